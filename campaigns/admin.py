from django.contrib import admin

from campaigns.models import CallAttempt, Campaign, CampaignLead
from leads.admin_base import CappedCountPaginator, WorkspaceScopedAdmin


@admin.register(Campaign)
class CampaignAdmin(WorkspaceScopedAdmin):
    list_display = [
        "name",
        "workspace",
        "status",
        "timezone",
        "max_calls_in_parallel",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(CampaignLead)
class CampaignLeadAdmin(WorkspaceScopedAdmin):
    list_display = ["phone", "campaign", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["=phone"]
    raw_id_fields = ["lead", "parent", "campaign"]
    list_select_related = ["campaign"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(CallAttempt)
class CallAttemptAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "campaign", "outcome", "agent", "duration_seconds"]
    list_filter = ["outcome"]
    raw_id_fields = ["campaign_lead", "lead", "campaign", "agent"]
    show_full_result_count = False
    paginator = CappedCountPaginator
