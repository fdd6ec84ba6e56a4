"""Merging two matching leads: choose the surviving value per field, review what moves,
confirm; and undo."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import View

from leads.forms import MergeChoicesForm
from leads.models import ActionLog, Lead
from leads.services.merge import (
    MERGED,
    lead_merge,
    lead_merge_undo,
    merge_field_choices,
    merge_related_preview,
)
from leads.views.base import Role, StaffMixin


class LeadMergeView(StaffMixin, View):
    """GET: the choices. POST step=review: what the survivor will look like and what moves.
    POST step=confirm: merge."""

    required_roles = {"GET": Role.AGENT, "HEAD": Role.AGENT, "POST": Role.AGENT}
    template_name = "leads/lead_merge.html"

    def load(self, pk: int, other: int) -> tuple[Lead, Lead]:
        if pk == other:
            raise Http404("A lead cannot be merged with itself.")
        qs = (
            self.visible_leads()
            .not_merged()
            .select_related("stage", "assignee__user", "team", "lead_source")
        )
        return self.get_lead_or_404(pk, qs), self.get_lead_or_404(other, qs)

    def context(self, survivor: Lead, merged: Lead, form: MergeChoicesForm) -> dict[str, Any]:
        return {
            "survivor": survivor,
            "merged": merged,
            "form": form,
            "moves": merge_related_preview(survivor, merged),
            "merged_opted_out": merged.opted_out_at is not None and survivor.opted_out_at is None,
            "new_tags": sorted(
                {t.name for t in merged.tags.all()} - {t.name for t in survivor.tags.all()}
            ),
        }

    def get(self, request: HttpRequest, pk: int, other: int) -> HttpResponse:
        survivor, merged = self.load(pk, other)
        form = MergeChoicesForm(choices=merge_field_choices(survivor, merged))
        return render(request, self.template_name, self.context(survivor, merged, form))

    def post(self, request: HttpRequest, pk: int, other: int) -> HttpResponse:
        survivor, merged = self.load(pk, other)
        form = MergeChoicesForm(request.POST, choices=merge_field_choices(survivor, merged))
        context = self.context(survivor, merged, form)
        if not form.is_valid():
            return render(request, self.template_name, context, status=422)
        if request.POST.get("step") != "confirm":
            context["review"] = [
                (choice, form.cleaned_data[choice.name] == MERGED) for choice in form.choices
            ]
            return render(request, self.template_name, context)
        try:
            lead_merge(
                survivor=survivor, merged=merged, actor=self.actor, choices=form.cleaned_data
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return render(request, self.template_name, context, status=422)
        messages.success(
            request, f"Merged lead #{merged.pk} into this lead. You can undo it from the timeline."
        )
        return HttpResponseRedirect(reverse("leads:lead_detail", args=[survivor.pk]))


class LeadMergeUndoView(StaffMixin, View):
    required_roles = {"POST": Role.AGENT}

    def post(self, request: HttpRequest, pk: int, log_id: int) -> HttpResponse:
        lead = self.get_lead_or_404(pk)
        log = self.get_scoped_or_404(ActionLog.objects.filter(lead=lead), pk=log_id)
        try:
            lead_merge_undo(log=log, actor=self.actor)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, "The merge was undone: both leads are back.")
        return HttpResponseRedirect(reverse("leads:lead_detail", args=[lead.pk]))
