from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from campaigns.models import CallAttempt, Campaign, CampaignLead
from campaigns.services import campaign_start, campaign_stop
from leads.actors import Actor
from leads.admin_base import CappedCountPaginator, WorkspaceScopedAdmin


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source="manual")


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
    actions = ["start_campaigns", "stop_campaigns"]

    @admin.action(description="Start the selected campaigns")
    def start_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        for campaign in queryset:
            try:
                campaign_start(campaign=campaign, actor=_actor(request))
            except ValidationError as err:
                self.message_user(request, err.messages[0], messages.ERROR)
            else:
                self.message_user(request, f"“{campaign.name}” started.", messages.SUCCESS)

    @admin.action(description="Stop the selected campaigns (cancels calls in progress)")
    def stop_campaigns(self, request: HttpRequest, queryset: QuerySet) -> None:
        for campaign in queryset:
            campaign_stop(campaign=campaign, actor=_actor(request))
            self.message_user(request, f"“{campaign.name}” stopped.", messages.SUCCESS)


@admin.register(CampaignLead)
class CampaignLeadAdmin(WorkspaceScopedAdmin):
    list_display = ["phone", "campaign", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["=phone"]
    raw_id_fields = ["lead", "parent", "campaign", "claimed_by"]
    list_select_related = ["campaign"]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(CallAttempt)
class CallAttemptAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "campaign", "outcome", "agent", "duration_seconds"]
    list_filter = ["outcome"]
    raw_id_fields = ["campaign_lead", "lead", "campaign", "agent", "api_key"]
    show_full_result_count = False
    paginator = CappedCountPaginator
