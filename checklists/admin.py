from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError

from checklists.models import ChecklistGroup, ChecklistItem, Document, LeadChecklistItem
from checklists.rules import config_check, schema_check
from leads.admin_base import (
    CappedCountPaginator,
    WorkspaceFormMixin,
    WorkspaceScopedAdmin,
    WorkspaceScopedInline,
)

SCHEMA_HELP = (
    "A JSON Schema. Conditions are checked against the lead's data document: its fields "
    "(first_name, email, phone, company, status, tags in lower case, custom_fields, …) "
    "and every "
    'checklist value by code, e.g. {"properties": {"entity_type": {"const": "LLC"}}, '
    '"required": ["entity_type"]}. Leave empty for "always".'
)


class ChecklistItemForm(WorkspaceFormMixin):
    """Refuses conditions and validation rules that are not JSON Schemas, and a config
    that does not fit the field type, before they can break a lead's checklist."""

    class Meta:
        model = ChecklistItem
        fields = "__all__"
        help_texts = {
            "conditions": SCHEMA_HELP,
            "validation_rules": 'A JSON Schema the value must satisfy, e.g. {"pattern": '
            '"^\\\\d{2}-\\\\d{7}$"}; add "errorMessage" to say what is wrong in your words.',
            "config": 'Per field type: SELECT {"options": [...]}, NUMBER {"min", "max"}, TEXT '
            '{"pattern"}, BANK_STATEMENT {"months"}, ID {"type"}, TAX_RETURN {"years"}.',
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("conditions", "validation_rules"):
            try:
                schema_check(data.get(name), name=name)
            except ValidationError as err:
                self.add_error(name, err.message_dict[name])
        try:
            config_check(data.get("field_type", ""), data.get("config"))
        except ValidationError as err:
            self.add_error("config", err.message_dict["config"])
        return data


class ChecklistGroupForm(WorkspaceFormMixin):
    class Meta:
        model = ChecklistGroup
        fields = "__all__"
        help_texts = {"conditions": SCHEMA_HELP}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            schema_check(data.get("conditions"), name="conditions")
        except ValidationError as err:
            self.add_error("conditions", err.message_dict["conditions"])
        return data


class ChecklistItemInline(WorkspaceScopedInline):
    model = ChecklistItem
    form = ChecklistItemForm
    fields = [
        "position",
        "code",
        "label",
        "field_type",
        "is_required",
        "config",
        "conditions",
        "validation_rules",
        "client_instructions",
    ]
    ordering = ["position", "id"]


@admin.register(ChecklistGroup)
class ChecklistGroupAdmin(WorkspaceScopedAdmin):
    form = ChecklistGroupForm
    list_display = ["name", "workspace", "position"]
    list_select_related = ["workspace"]
    search_fields = ["name"]
    fields = ["workspace", "name", "position", "conditions"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(WorkspaceScopedAdmin):
    form = ChecklistItemForm
    list_display = ["code", "label", "field_type", "is_required", "group", "lead", "workspace"]
    list_filter = ["field_type", "is_required"]
    search_fields = ["code", "label"]
    autocomplete_fields = ["group"]
    raw_id_fields = ["lead"]
    list_select_related = ["group", "workspace", "lead"]


@admin.register(LeadChecklistItem)
class LeadChecklistItemAdmin(WorkspaceScopedAdmin):
    list_display = ["lead", "item", "status", "auto_skipped", "updated_at"]
    list_filter = ["status", "auto_skipped"]
    raw_id_fields = ["lead", "item"]
    list_select_related = ["lead", "item"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(Document)
class DocumentAdmin(WorkspaceScopedAdmin):
    list_display = ["filename", "lead", "mime_type", "size", "created_at"]
    search_fields = ["filename", "external_id"]
    raw_id_fields = ["lead", "checklist_value"]
    list_select_related = ["lead"]
    show_full_result_count = False
    paginator = CappedCountPaginator
