"""The pipeline board: a column per stage, filtered like the list; leads move between
columns by drag and drop or from the keyboard."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView

from leads.filters import LeadFilter
from leads.forms import StageForm
from leads.models import Stage
from leads.selectors import BoardColumn, board_columns
from leads.services.leads import lead_update
from leads.views.base import Role, StaffMixin
from leads.views.lead_list import view_query


def _link_cards(columns: list[BoardColumn]) -> None:
    """Give each card `url`, its lead's page. One reverse() for the whole board: a board
    has hundreds of cards, and a reverse() per card was a fifth of its rendering."""
    marker = str(2**62)  # a number no script prefix contains
    head, tail = reverse("leads:lead_detail", args=[marker]).split(marker)
    for column in columns:
        for card in column.cards:
            card.url = f"{head}{card.pk}{tail}"


class PipelineView(StaffMixin, TemplateView):
    template_name = "leads/pipeline.html"
    required_roles = {"GET": Role.VIEWER, "HEAD": Role.VIEWER, "POST": Role.AGENT}

    def board_context(self, params: Any) -> dict[str, Any]:
        params = params.copy()
        params.pop("stage", None)  # the columns are the stages
        base = self.visible_leads()
        lead_filter = LeadFilter(params, queryset=base, member=self.member)
        stages = list(Stage.objects.filter(workspace=self.workspace))
        columns = board_columns(lead_filter.qs, stages) if lead_filter.is_valid() else []
        _link_cards(columns)
        query = view_query(params)
        return {
            "filter": lead_filter,
            "columns": columns,
            "stages": stages,
            "query": query,
        }

    def get_template_names(self) -> list[str]:
        if self.request.htmx and not self.request.htmx.boosted:
            return ["leads/pipeline.html#board"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.board_context(self.request.GET))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        """Move one lead to a stage; answers with the refreshed board."""
        lead = self.get_lead_or_404(request.POST.get("lead"))
        form = StageForm(request.POST, workspace=self.workspace)
        status, note = 200, ""
        if not form.is_valid():
            status, note = 422, "That stage does not exist in this workspace."
        else:
            stage = form.cleaned_data["stage"]
            try:
                lead_update(
                    lead=lead,
                    actor=self.actor,
                    data={"stage": stage},
                    summary=f"Stage changed to {stage.name}" if stage else "Stage cleared",
                )
                note = f"Moved {lead} to {stage.name if stage else 'No stage'}."
            except ValidationError as error:
                status, note = 422, " ".join(error.messages)
        query = QueryDict(request.POST.get("query", ""))
        if not request.htmx:
            # The no-JavaScript form: back to the board, the outcome as a message.
            (messages.success if status == 200 else messages.error)(request, note)
            return HttpResponseRedirect(reverse("leads:pipeline") + "?" + view_query(query))
        context = self.board_context(query)
        context.update(announcement=note, moved=lead.pk, failed=status != 200)
        return render(request, "leads/pipeline.html#board", context, status=status)
