from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

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


class ChecklistItemInlineFormSet(BaseInlineFormSet):
    """Codes are unique per workspace. The inline leaves `workspace` out of its forms, so
    Django skips the (workspace, code) constraint and a clash would only surface as an
    IntegrityError on save: check it here, against the other rows and the workspace."""

    def clean(self) -> None:
        super().clean()
        deleted = [form for form in self.forms if self._should_delete_form(form)]
        # Read up front: add_error() takes the field out of cleaned_data.
        kept = [
            (form, form.cleaned_data["code"])
            for form in self.forms
            if form not in deleted and getattr(form, "cleaned_data", {}).get("code")
        ]
        seen: set[str] = set()
        for form, code in kept:
            if code in seen:
                form.add_error("code", f"“{code}” is already the code of another row here.")
            seen.add(code)
        workspace_id = self.instance.workspace_id
        if workspace_id is None:
            return  # the group itself is invalid; its form says why
        # A row deleted in this save frees its code (deletions are saved first). A row
        # renamed in this save does not: rows are saved one by one, so taking its old
        # code would clash until it is saved — such a swap takes two saves.
        taken = dict(
            ChecklistItem.objects.filter(workspace_id=workspace_id, code__in=seen)
            .exclude(pk__in=[f.instance.pk for f in deleted if f.instance.pk is not None])
            .values_list("code", "pk")
        )
        for form, code in kept:
            if taken.get(code, form.instance.pk) != form.instance.pk:
                form.add_error(
                    "code", f"“{code}” is already used in this workspace; codes are unique."
                )


class ChecklistItemInline(WorkspaceScopedInline):
    model = ChecklistItem
    form = ChecklistItemForm
    formset = ChecklistItemInlineFormSet
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
