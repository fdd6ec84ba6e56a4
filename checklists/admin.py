from django.contrib import admin

from checklists.models import ChecklistGroup, ChecklistItem, Document, LeadChecklistItem
from leads.admin_base import CappedCountPaginator, WorkspaceScopedAdmin, WorkspaceScopedInline


class ChecklistItemInline(WorkspaceScopedInline):
    model = ChecklistItem
    fields = ["position", "code", "label", "field_type", "is_required", "validation_rules"]
    ordering = ["position", "id"]


@admin.register(ChecklistGroup)
class ChecklistGroupAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "position"]
    search_fields = ["name"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(WorkspaceScopedAdmin):
    list_display = ["code", "label", "field_type", "is_required", "group", "lead", "workspace"]
    list_filter = ["field_type", "is_required"]
    search_fields = ["code", "label"]
    autocomplete_fields = ["group"]
    raw_id_fields = ["lead"]
    list_select_related = ["group", "workspace"]


@admin.register(LeadChecklistItem)
class LeadChecklistItemAdmin(WorkspaceScopedAdmin):
    list_display = ["lead", "item", "status", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["lead", "item"]
    list_select_related = ["lead", "item"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(Document)
class DocumentAdmin(WorkspaceScopedAdmin):
    list_display = ["filename", "lead", "mime_type", "size", "created_at"]
    search_fields = ["filename", "external_id"]
    raw_id_fields = ["lead", "checklist_value"]
    show_full_result_count = False
    paginator = CappedCountPaginator
