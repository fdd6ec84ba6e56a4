"""The campaign pages: list, create and edit, start and stop, add leads (from a saved
view or the lead list's selection), the per-campaign lead table, and the call queue.

Everyone in the workspace sees campaigns; agents and up work the call queue; managers
and up create, change, start, stop and fill campaigns. Every write goes through
campaigns/services.py."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView, View

from campaigns.forms import (
    QUEUE_OUTCOMES,
    CampaignForm,
    EnrollFromViewForm,
    EnrollSelectionForm,
    OutcomeForm,
)
from campaigns.models import FINAL_STATUSES, Campaign, CampaignLead
from campaigns.selectors import queue_card
from campaigns.services import (
    EnrollReport,
    campaign_create,
    campaign_enroll_leads,
    campaign_queue,
    campaign_queue_claim,
    campaign_queue_release,
    campaign_queue_report,
    campaign_start,
    campaign_stop,
    campaign_update,
)
from leads.filters import LeadFilter
from leads.forms import add_service_errors
from leads.models import SavedView
from leads.pagination import Sort, keyset_page
from leads.views.base import Role, StaffMixin

PAGE_SIZE = 50
LEAD_PAGE = Sort(key="created", descending=True, columns=("created_at",))


def report_message(report: EnrollReport, campaign: Campaign) -> str:
    parts = [f"Added {report.added:,} lead{'s' if report.added != 1 else ''} to {campaign.name}."]
    reasons = [
        (report.already, "already in the campaign"),
        (report.no_phone, "without a phone number"),
        (report.opted_out, "opted out"),
        (report.archived, "archived"),
    ]
    left = [f"{n:,} {why}" for n, why in reasons if n]
    if left:
        parts.append("Left out: " + ", ".join(left) + ".")
    return " ".join(parts)


class CampaignMixin(StaffMixin):
    """A campaign of the current workspace from the URL (404 for anyone else's)."""

    campaign: Campaign

    def campaigns(self) -> QuerySet:
        return Campaign.objects.for_workspace(self.workspace)

    def setup_campaign(self, pk: int) -> Campaign:
        self.campaign = self.get_scoped_or_404(Campaign, pk=pk)
        self.campaign.workspace = self.workspace
        return self.campaign

    def detail_url(self) -> str:
        return reverse("campaigns:detail", args=[self.campaign.pk])


class CampaignListView(CampaignMixin, TemplateView):
    template_name = "campaigns/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        qs = self.campaigns().with_progress()
        if status in Campaign.Status.values:
            qs = qs.filter(status=status)
        context.update(
            campaigns=list(qs.order_by("-created_at", "-id")[:200]),
            status=status,
            status_choices=Campaign.Status.choices,
        )
        return context


class CampaignCreateView(CampaignMixin, TemplateView):
    template_name = "campaigns/form.html"
    required_roles = {"GET": Role.MANAGER, "HEAD": Role.MANAGER, "POST": Role.MANAGER}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form",
            CampaignForm(
                initial=CampaignForm.initial_for(
                    Campaign(timezone=self.workspace.default_timezone, name="")
                )
            ),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = campaign_create(
                    workspace=self.workspace, actor=self.actor, data=form.service_data()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Created {campaign.name}. Add leads, then start it.")
                return HttpResponseRedirect(reverse("campaigns:detail", args=[campaign.pk]))
        return self.render_to_response(self.get_context_data(form=form), status=422)


class CampaignEditView(CampaignMixin, TemplateView):
    template_name = "campaigns/form.html"
    required_roles = {"GET": Role.MANAGER, "HEAD": Role.MANAGER, "POST": Role.MANAGER}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_campaign(pk)
        return super().get(request, pk=pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["campaign"] = self.campaign
        context.setdefault("form", CampaignForm(initial=CampaignForm.initial_for(self.campaign)))
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self.setup_campaign(pk)
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign_update(campaign=campaign, actor=self.actor, data=form.service_data())
            except ValidationError as error:
                add_service_errors(form, error)
                self.setup_campaign(pk)  # the unsaved changes stay in the form only
            else:
                messages.success(request, f"Saved {campaign.name}.")
                return HttpResponseRedirect(self.detail_url())
        return self.render_to_response(self.get_context_data(form=form), status=422)


class CampaignDetailView(CampaignMixin, TemplateView):
    """Settings, figures, actions and the campaign's leads with their statuses."""

    template_name = "campaigns/detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_campaign(pk)
        return super().get(request, pk=pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        campaign = self.campaign
        params = self.request.GET
        status = params.get("status", "")
        leads = campaign.leads.select_related("lead", "claimed_by__user")
        if status in CampaignLead.Status.values:
            leads = leads.filter(status=status)
        page = keyset_page(
            leads,
            sort=LEAD_PAGE,
            after=params.get("after"),
            before=params.get("before"),
            size=PAGE_SIZE,
        )
        counts = campaign.leads.count_by_status()
        total = sum(counts.values())
        done = sum(counts.get(s, 0) for s in FINAL_STATUSES)
        views = list(SavedView.objects.for_member(self.member)) if self.can(Role.MANAGER) else []
        context.update(
            campaign=campaign,
            page=page,
            status=status,
            status_query=f"status={status}&" if status else "",
            counts=[
                (value, label, counts.get(value, 0)) for value, label in CampaignLead.Status.choices
            ],
            total=total,
            done=done,
            percent=int(done * 100 / total) if total else 0,
            saved_views=views,
        )
        return context


class CampaignStartView(CampaignMixin, View):
    required_roles = {"POST": Role.MANAGER}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self.setup_campaign(pk)
        try:
            campaign_start(campaign=campaign, actor=self.actor)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{campaign.name} is running: agents can call.")
        return HttpResponseRedirect(self.detail_url())


class CampaignStopView(CampaignMixin, View):
    required_roles = {"POST": Role.MANAGER}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self.setup_campaign(pk)
        campaign_stop(campaign=campaign, actor=self.actor)
        messages.success(request, f"{campaign.name} is stopped; numbers in hand went back.")
        return HttpResponseRedirect(self.detail_url())


class CampaignEnrollSavedView(CampaignMixin, View):
    """Add every lead of one of the member's saved views (as they see it)."""

    required_roles = {"POST": Role.MANAGER}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self.setup_campaign(pk)
        form = EnrollFromViewForm(request.POST, views=SavedView.objects.for_member(self.member))
        if not form.is_valid():
            messages.error(request, "Choose one of your saved views.")
            return HttpResponseRedirect(self.detail_url())
        view = form.cleaned_data["saved_view"]
        lead_filter = LeadFilter(
            QueryDict(view.query), queryset=self.visible_leads(), member=self.member
        )
        if not lead_filter.is_valid():
            messages.error(request, f"The saved view “{view.name}” no longer applies.")
            return HttpResponseRedirect(self.detail_url())
        try:
            report = campaign_enroll_leads(
                campaign=campaign, actor=self.actor, leads=_capped(lead_filter.qs)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, report_message(report, campaign))
        return HttpResponseRedirect(self.detail_url())


def _capped(leads: QuerySet) -> list:
    """The leads, at most one more than a campaign takes at once (so that the service can
    say there are too many without loading a million)."""
    return list(leads.order_by("pk")[: settings.CAMPAIGN_ENROLL_MAX + 1])


class CampaignEnrollSelectionView(CampaignMixin, TemplateView):
    """The lead list's "Add to campaign…": choose the campaign, then add the ticked
    leads."""

    template_name = "campaigns/enroll.html"
    required_roles = {"POST": Role.MANAGER}

    def post(self, request: HttpRequest) -> HttpResponse:
        campaigns = self.campaigns().exclude(status=Campaign.Status.COMPLETED)
        form = EnrollSelectionForm(request.POST, campaigns=campaigns)
        back = reverse("leads:lead_list") + "?" + request.POST.get("query", "")
        if not form.is_valid() and "ids" in form.errors:
            messages.error(request, "Select at least one lead.")
            return HttpResponseRedirect(back)
        ids = form.cleaned_data.get("ids") or []
        leads = list(self.visible_leads().filter(pk__in=ids))
        if len(leads) != len(set(ids)):
            messages.error(request, "Some selected leads no longer exist; nothing was added.")
            return HttpResponseRedirect(back)
        campaign = form.cleaned_data.get("campaign") if form.is_valid() else None
        if campaign is None or "confirm" not in request.POST:
            if "confirm" in request.POST:
                form.add_error("campaign", "Choose a campaign.")
            return self.render_to_response(
                {"form": form, "leads": leads, "campaigns": campaigns, "back": back},
                status=422 if form.errors else 200,
            )
        self.campaign = campaign
        campaign.workspace = self.workspace
        try:
            report = campaign_enroll_leads(campaign=campaign, actor=self.actor, leads=leads)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(back)
        messages.success(request, report_message(report, campaign))
        return HttpResponseRedirect(self.detail_url())


# --- The call queue ------------------------------------------------------------------


class QueueView(CampaignMixin, TemplateView):
    """One number at a time: who, their local time, the script, earlier attempts, and
    an outcome button per result. The next number appears as soon as one is reported."""

    template_name = "campaigns/queue.html"
    required_roles = {"GET": Role.AGENT, "HEAD": Role.AGENT, "POST": Role.AGENT}

    def held(self) -> CampaignLead | None:
        return (
            self.campaign.leads.processing(timezone.now())
            .filter(claimed_by=self.member)
            .select_related("lead", "campaign")
            .first()
        )

    def card_context(self, entry: CampaignLead | None, **extra: Any) -> dict[str, Any]:
        campaign = self.campaign
        context: dict[str, Any] = {
            "campaign": campaign,
            "card": queue_card(entry, self.member) if entry is not None else None,
            "outcomes": QUEUE_OUTCOMES,
            "form": extra.pop("form", None) or OutcomeForm(),
            **extra,
        }
        if entry is None:
            queue = campaign_queue(campaign=campaign, limit=1)
            context["waiting"] = bool(queue.entries)
        return context

    def render_card(
        self, entry: CampaignLead | None, status: int = 200, **extra: Any
    ) -> HttpResponse:
        context = self.card_context(entry, **extra)
        if self.request.htmx:
            return render(self.request, "campaigns/queue.html#card", context, status=status)
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_campaign(pk)
        return self.render_card(self.held())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Take the next number (or get back the one already in hand)."""
        campaign = self.setup_campaign(pk)
        claimed = campaign_queue_claim(campaign=campaign, agent=self.member).entries
        entry = self.held() if claimed else None  # again, with what the card shows
        notice = "" if entry else "Nobody is left to call right now."
        return self.render_card(entry, notice=notice)


class QueueOutcomeView(QueueView):
    """Record what the call gave, then hand over the next number."""

    required_roles = {"POST": Role.AGENT}

    def post(self, request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
        campaign = self.setup_campaign(pk)
        entry = self.get_scoped_or_404(
            CampaignLead.objects.filter(campaign=campaign).select_related("lead", "campaign"),
            pk=entry_pk,
        )
        form = OutcomeForm(request.POST)
        if not form.is_valid():
            return self.render_card(self.held(), status=422, form=form, error="Choose an outcome.")
        try:
            call = campaign_queue_report(
                campaign_lead=entry,
                agent=self.member,
                actor=self.actor,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["note"],
            )
        except ValidationError as error:
            # 422, not 409: htmx swaps it in, so the agent reads why.
            return self.render_card(self.held(), status=422, error=" ".join(error.messages))
        recorded = f"Recorded “{call.get_outcome_display()}” for {entry.lead}."
        claimed = campaign_queue_claim(campaign=campaign, agent=self.member).entries
        nxt = self.held() if claimed else None
        notice = recorded + ("" if nxt else " Nobody is left to call right now.")
        return self.render_card(nxt, notice=notice)


class QueueReleaseView(QueueView):
    """Stop calling: the number in hand goes back to the queue, uncalled."""

    required_roles = {"POST": Role.AGENT}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_campaign(pk)
        held = self.held()
        if held is not None:
            campaign_queue_release(campaign_lead=held, agent=self.member)
        return self.render_card(None, notice="You stopped calling; the number went back.")
