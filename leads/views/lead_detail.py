"""Creating a lead and working one: fields, stage, assignee, opt-out, archive, timeline."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView, View

from leads.forms import (
    NEXT_IN_ROTATION,
    AssignForm,
    DraftApproveForm,
    LeadForm,
    MessageForm,
    OptOutForm,
    StageForm,
    add_service_errors,
)
from leads.models import ActionLog, Lead, Membership
from leads.selectors import lead_open_messages, timeline_changes, timeline_page
from leads.services.assignment import lead_assign, lead_assign_next_in_rotation
from leads.services.leads import lead_create, lead_matching, lead_update
from leads.services.merge import MERGE_EVENT, UNDO_EVENT, merge_undo_blocker
from leads.views.base import Role, StaffMixin


@dataclass(frozen=True)
class LeadPageSection:
    """A panel another app adds to the lead page. Apps that build on leads (checklists)
    register one from their AppConfig.ready(): leads itself never imports them (DESIGN:
    dependencies point one way), yet their panels render inside the lead page."""

    template: str
    context: Callable[..., dict[str, Any]]  # (*, lead, member) -> the panel's context


_LEAD_PAGE_SECTIONS: list[LeadPageSection] = []


def register_lead_page_section(*, template: str, context: Callable[..., dict[str, Any]]) -> None:
    """Show `template` on every lead page, with `context(lead=…, member=…)` as `section`."""
    if not any(s.template == template for s in _LEAD_PAGE_SECTIONS):
        _LEAD_PAGE_SECTIONS.append(LeadPageSection(template=template, context=context))


def lead_page_sections(lead: Lead, member: Membership) -> list[dict[str, Any]]:
    return [
        {"template": s.template, "context": s.context(lead=lead, member=member)}
        for s in _LEAD_PAGE_SECTIONS
    ]


def redirect_after_change(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful change: htmx reloads the whole page (every panel shows the new
    state); a plain form post gets the usual redirect."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class LeadCreateView(StaffMixin, TemplateView):
    template_name = "leads/lead_form.html"
    required_roles = {"GET": Role.AGENT, "HEAD": Role.AGENT, "POST": Role.AGENT}

    def form(self, data: Any = None) -> LeadForm:
        return LeadForm(data, workspace=self.workspace, can_assign=self.can(Role.MANAGER))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            data = form.service_data()
            if not self.can(Role.MANAGER):
                # An agent works the leads they enter; otherwise they would lose sight of it.
                data["assignee"] = self.member
            try:
                lead = lead_create(workspace=self.workspace, actor=self.actor, data=data).lead
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Created {lead}.")
                return redirect_after_change(request, reverse("leads:lead_detail", args=[lead.pk]))
        context = self.get_context_data(form=form)
        template = "leads/lead_form.html#lead-form" if request.htmx else self.template_name
        return render(request, template, context, status=422 if request.htmx else 200)


class LeadView(StaffMixin):
    """A lead the member may see, resolved from the URL (404 otherwise)."""

    def setup_lead(self, pk: int) -> Lead:
        self.lead = self.get_lead_or_404(
            pk,
            self.visible_leads().select_related(
                "stage", "assignee__user", "team", "lead_source", "merged_into"
            ),
        )
        self.lead.workspace = self.workspace  # the same row: services need not load it again
        return self.lead

    def detail_url(self) -> str:
        return reverse("leads:lead_detail", args=[self.lead.pk])


class LeadDetailView(LeadView, TemplateView):
    template_name = "leads/lead_detail.html"
    required_roles = {"GET": Role.VIEWER, "HEAD": Role.VIEWER, "POST": Role.AGENT}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_lead(pk)
        if request.htmx and request.GET.get("panel") == "timeline":
            return render(request, "leads/lead_detail.html#timeline", self.timeline_context())
        return super().get(request, pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Save the edit form."""
        lead = self.setup_lead(pk)
        form = LeadForm(
            request.POST, workspace=self.workspace, lead=lead, can_assign=self.can(Role.MANAGER)
        )
        if form.is_valid():
            data = form.service_data()
            try:
                write = lead_update(lead=lead, actor=self.actor, data=data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if write.changes:
                    names = ", ".join(n.replace("_", " ") for n in write.changes)
                    messages.success(request, f"Saved: {names}.")
                else:
                    messages.info(request, "Nothing changed.")
                return redirect_after_change(request, self.detail_url())
        context = self.get_context_data(form=form)
        if request.htmx:
            return render(request, "leads/lead_detail.html#lead-form", context, status=422)
        return render(request, self.template_name, context, status=200)

    def timeline_context(self) -> dict[str, Any]:
        types = [t for t in self.request.GET.getlist("type") if t in ActionLog.Type.values]
        page = timeline_page(self.lead, types=types, before=self.request.GET.get("before"))
        merges = [
            e.pk
            for e in page.entries
            if e.event == MERGE_EVENT and isinstance(e.input, dict) and "mergedLead" in e.input
        ]
        undone = set(
            ActionLog.objects.filter(parent_id__in=merges, event=UNDO_EVENT).values_list(
                "parent_id", flat=True
            )
            if merges
            else []
        )
        for entry in page.entries:
            entry.undoable = entry.pk in merges and entry.pk not in undone
        timeline_changes(page.entries, self.workspace.pk)
        return {
            "lead": self.lead,
            "timeline": page,
            "timeline_types": types,
            "type_choices": ActionLog.Type.choices,
            "can_edit": self.can(Role.AGENT),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        lead = self.lead
        can_manage = self.can(Role.MANAGER)
        context.update(self.timeline_context())
        context.setdefault(
            "form",
            LeadForm(workspace=self.workspace, lead=lead, can_assign=can_manage),
        )
        context.update(
            lead=lead,
            tags=list(lead.tags.all()),
            stage_form=StageForm(workspace=self.workspace, initial={"stage": lead.stage}),
            assign_form=AssignForm(workspace=self.workspace),
            opt_out_form=OptOutForm(),
            matches=self.visible_matches(),
            last_assignment=ActionLog.objects.for_lead(lead)
            .filter(type=ActionLog.Type.ASSIGNMENT)
            .first(),
            merge_log=self.open_merge_log(),
            lead_sections=lead_page_sections(lead, self.member),
            open_messages=lead_open_messages(lead),
            approve_form=DraftApproveForm(zone=self.zone),
        )
        context.setdefault(
            "message_form", MessageForm(zone=self.zone, initial={"channel": "EMAIL"})
        )
        return context

    def visible_matches(self) -> list[Lead]:
        """Possible duplicates of the lead among the leads this member may see: an agent
        is not shown a colleague's lead here any more than in the lead list."""
        if self.lead.merged_into_id:
            return []
        matches = lead_matching(self.lead, among=self.visible_leads())
        return [m for m in matches if m.merged_into_id is None]

    def open_merge_log(self) -> ActionLog | None:
        """For a lead merged into another: the survivor's merge entry, if undoable."""
        lead = self.lead
        if not lead.merged_into_id:
            return None
        log = (
            ActionLog.objects.filter(
                lead_id=lead.merged_into_id, event=MERGE_EVENT, input__mergedLead=lead.pk
            )
            .order_by("-created_at", "-id")
            .first()
        )
        return log if log is not None and not merge_undo_blocker(log) else None


class LeadActionView(LeadView, View):
    """Base of the small forms in the lead page's side panel."""

    required_roles = {"POST": Role.AGENT}

    def fail(self, request: HttpRequest, error: ValidationError | str) -> HttpResponse:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else error
        if request.htmx:
            return render(request, "leads/_panel_error.html", {"message": text}, status=422)
        messages.error(request, text)
        return HttpResponseRedirect(self.detail_url())


class LeadStageView(LeadActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        form = StageForm(request.POST, workspace=self.workspace)
        if not form.is_valid():
            return self.fail(request, "Choose a stage of this workspace.")
        stage = form.cleaned_data["stage"]
        try:
            lead_update(
                lead=lead,
                actor=self.actor,
                data={"stage": stage},
                summary=f"Stage changed to {stage.name}" if stage else "Stage cleared",
            )
        except ValidationError as error:
            return self.fail(request, error)
        messages.success(request, f"Moved to {stage.name if stage else 'no stage'}.")
        return redirect_after_change(request, self.detail_url())


class LeadAssignView(LeadActionView):
    required_roles = {"POST": Role.MANAGER}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        form = AssignForm(request.POST, workspace=self.workspace)
        if not form.is_valid():
            return self.fail(request, "Choose an active member, or next in rotation.")
        try:
            if form.cleaned_data["assignee"] == NEXT_IN_ROTATION:
                write = lead_assign_next_in_rotation(lead=lead, actor=self.actor)
            else:
                write = lead_assign(
                    lead=lead,
                    actor=self.actor,
                    member=form.member(),
                    note=form.cleaned_data["note"],
                )
        except ValidationError as error:
            return self.fail(request, error)
        who = write.lead.assignee.name if write.lead.assignee else "nobody"
        messages.success(request, f"Assigned to {who}.")
        return redirect_after_change(request, self.detail_url())


class LeadOptOutView(LeadActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        form = OptOutForm(request.POST)
        if not form.is_valid():
            return self.fail(request, "Choose whether the lead opts out or back in.")
        opted_out = form.cleaned_data["opted_out"]
        data: dict[str, Any] = {"opted_out": opted_out}
        if opted_out:
            data["opt_out_channel"] = form.cleaned_data.get("channel") or "all"
        try:
            lead_update(
                lead=lead,
                actor=self.actor,
                data=data,
                summary="Opted out" if opted_out else "Opted back in",
            )
        except ValidationError as error:
            return self.fail(request, error)
        messages.success(
            request,
            "Opted out: pending messages were cancelled." if opted_out else "Opted back in.",
        )
        return redirect_after_change(request, self.detail_url())


class LeadArchiveView(LeadActionView):
    required_roles = {"POST": Role.MANAGER}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        archive = request.POST.get("archived") == "true"
        if lead.merged_into_id and not archive:
            return self.fail(request, "This lead was merged into another; undo the merge instead.")
        try:
            lead_update(
                lead=lead,
                actor=self.actor,
                data={"archived": archive},
                summary="Archived" if archive else "Restored from the archive",
            )
        except ValidationError as error:
            return self.fail(request, error)
        messages.success(request, "Archived." if archive else "Restored from the archive.")
        return redirect_after_change(request, self.detail_url())
