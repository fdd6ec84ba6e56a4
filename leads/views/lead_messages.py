"""Follow-ups and drafts on the lead page: write one, approve a draft, cancel either.

Everything goes through leads.services.messages; nothing is sent from a request (the
worker's periodic sender does that)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leads.forms import DraftApproveForm, MessageForm, add_service_errors
from leads.models import ActionLog
from leads.services.messages import draft_approve, draft_create, followup_schedule, message_cancel
from leads.views.base import Role
from leads.views.lead_detail import LeadActionView, LeadDetailView, redirect_after_change


class LeadMessageCreateView(LeadDetailView):
    """POST the composer: intent=schedule makes a follow-up, intent=draft a draft."""

    required_roles = {"POST": Role.AGENT}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.setup_lead(pk)
        form = MessageForm(request.POST, zone=self.zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["intent"] == MessageForm.SCHEDULE:
                    followup_schedule(
                        lead=lead,
                        actor=self.actor,
                        channel=data["channel"],
                        subject=data["subject"],
                        body=data["body"],
                        scheduled_at=data["send_at"],
                    )
                    done = "Follow-up scheduled."
                else:
                    draft_create(
                        lead=lead,
                        actor=self.actor,
                        channel=data["channel"],
                        subject=data["subject"],
                        body=data["body"],
                    )
                    done = "Draft saved; it goes out once someone approves it."
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, done)
                return redirect_after_change(request, self.detail_url())
        if request.htmx:
            context = {"lead": lead, "message_form": form, "can_edit": True}
            return render(request, "leads/_messages.html#message-form", context, status=422)
        return render(request, self.template_name, self.get_context_data(message_form=form))


class LeadMessageActionView(LeadActionView):
    """Base of approve / cancel: the message must be one of this lead's."""

    def message_or_404(self, message_id: int) -> ActionLog:
        return self.get_scoped_or_404(
            ActionLog.objects.messages().filter(lead=self.lead), pk=message_id
        )


class LeadDraftApproveView(LeadMessageActionView):
    def post(self, request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
        self.setup_lead(pk)
        draft = self.message_or_404(message_id)
        form = DraftApproveForm(request.POST, zone=self.zone)
        if not form.is_valid():
            return self.fail(request, " ".join(form.errors.get("send_at", [])))
        try:
            draft_approve(draft=draft, actor=self.actor, send_at=form.cleaned_data["send_at"])
        except ValidationError as error:
            return self.fail(request, error)
        if form.cleaned_data["send_at"] is None:
            messages.success(request, "Approved: it goes out with the next send run.")
        else:
            messages.success(request, "Approved: it goes out at the time you set.")
        return redirect_after_change(request, self.detail_url())


class LeadMessageCancelView(LeadMessageActionView):
    def post(self, request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
        self.setup_lead(pk)
        message = self.message_or_404(message_id)
        try:
            message_cancel(message=message, actor=self.actor)
        except ValidationError as error:
            return self.fail(request, error)
        messages.success(request, "Cancelled; it will not be sent.")
        return redirect_after_change(request, self.detail_url())
