"""The lead list: filters, search, sort, keyset pages, bulk actions, CSV export and
saved views."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView, View

from leads.csv_export import csv_streaming_response
from leads.filters import LeadFilter
from leads.forms import (
    MANAGER_BULK_ACTIONS,
    UNASSIGN,
    BulkActionForm,
    SavedViewForm,
    split_tags,
)
from leads.models import Lead, SavedView
from leads.pagination import LEAD_SORTS, capped_count, keyset_page, parse_sort
from leads.services.bulk_actions import (
    lead_bulk_assign,
    lead_bulk_assign_next,
    lead_bulk_tag,
    lead_bulk_update,
)
from leads.services.saved_views import saved_view_delete, saved_view_save
from leads.views.base import Role, StaffMixin

PAGE_SIZE = 50
SORT_OPTIONS = [
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("-updated", "Recently changed"),
    ("name", "Name A→Z"),
    ("-name", "Name Z→A"),
    ("company", "Company A→Z"),
    ("-company", "Company Z→A"),
]
# Query-string keys that describe a view of the list (what a saved view keeps).
VIEW_KEYS = (*LeadFilter.base_filters, "sort")


def view_query(params: QueryDict) -> str:
    """The filters, search and sort of a request, without page cursors."""
    kept = QueryDict(mutable=True)
    for key in VIEW_KEYS:
        values = [v for v in params.getlist(key) if v]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


class LeadListMixin(StaffMixin):
    def lead_filter(self, params: QueryDict) -> LeadFilter:
        base = self.visible_leads().select_related("stage", "assignee__user", "team")
        return LeadFilter(params, queryset=base, member=self.member)

    def filtered(self, params: QueryDict) -> Any:
        lead_filter = self.lead_filter(params)
        if not lead_filter.is_valid():
            return lead_filter, None
        return lead_filter, lead_filter.qs


class LeadListView(LeadListMixin, TemplateView):
    template_name = "leads/lead_list.html"

    def get_template_names(self) -> list[str]:
        # htmx asks for the results only when a filter or page changes.
        if self.request.htmx and not self.request.htmx.boosted:
            return ["leads/lead_list.html#results"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        lead_filter, qs = self.filtered(params)
        sort = parse_sort(params.get("sort"))
        page = None
        count, more = 0, False
        if qs is not None:
            page = keyset_page(
                qs,
                sort=sort,
                after=params.get("after"),
                before=params.get("before"),
                size=PAGE_SIZE,
            )
            count, more = capped_count(qs)
        query = view_query(params)
        context.update(
            filter=lead_filter,
            page=page,
            count=count,
            count_capped=more,
            sort=sort,
            sort_links=self.sort_links(params, sort),
            query=query,
            query_amp=("&" + query) if query else "",
            saved_views=SavedView.objects.for_member(self.member),
            saved_view_form=SavedViewForm(initial={"query": query}),
            bulk_form=BulkActionForm(workspace=self.workspace),
            sort_options=SORT_OPTIONS,
        )
        return context

    def sort_links(self, params: QueryDict, sort: Any) -> dict[str, dict[str, str]]:
        """For each sortable column: the link that sorts by it (toggling direction when it
        is the current sort) and its aria-sort value."""
        links = {}
        for key in LEAD_SORTS:
            current = sort.key == key
            wanted = key if current and sort.descending else f"-{key}"
            if not current and key in ("name", "company"):
                wanted = key  # text columns start A→Z
            q = QueryDict(view_query(params), mutable=True)
            q["sort"] = wanted
            aria = ("descending" if sort.descending else "ascending") if current else "none"
            links[key] = {"url": "?" + q.urlencode(), "aria": aria}
        return links


class LeadBulkView(LeadListMixin, View):
    """Apply one action to the selected leads, or export them (or every lead matching
    the filters) as CSV."""

    # Exporting is reading: viewers may. Every other action checks its own role below.
    required_roles = {"POST": Role.VIEWER}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkActionForm(request.POST, workspace=self.workspace)
        back = reverse("leads:lead_list") + "?" + request.POST.get("query", "")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(back)
        action = form.cleaned_data["action"]
        if action in MANAGER_BULK_ACTIONS:
            self.require(Role.MANAGER)
        elif action != "export":
            self.require(Role.AGENT)
        if action == "export":
            if form.cleaned_data.get("scope") == "all":
                params = QueryDict(request.POST.get("query", ""))
                return HttpResponseRedirect(reverse("leads:lead_export") + "?" + params.urlencode())
            leads = self.visible_leads().filter(pk__in=form.cleaned_data["ids"])
            return csv_response(
                leads.select_related("stage", "assignee__user", "team", "lead_source")
            )
        ids = form.cleaned_data["ids"]
        leads = list(self.visible_leads().filter(pk__in=ids).select_related("team").order_by("pk"))
        if len(leads) != len(set(ids)):
            # A lead of another workspace (or a colleague's, for an agent) is not found.
            messages.error(request, "Some selected leads no longer exist; nothing was changed.")
            return HttpResponseRedirect(back)
        try:
            changed = self.apply(action, leads, form)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return HttpResponseRedirect(back)
        label = dict(form.fields["action"].choices)[action]
        messages.success(request, f"{label}: {changed} of {len(leads)} leads changed.")
        return HttpResponseRedirect(back)

    def apply(self, action: str, leads: list[Lead], form: BulkActionForm) -> int:
        data = form.cleaned_data
        if action == "stage":
            stage = data.get("stage")
            summary = f"Stage changed to {stage.name}" if stage else "Stage cleared"
            return lead_bulk_update(
                leads=leads, actor=self.actor, data={"stage": stage}, summary=summary
            )
        if action == "archive":
            return lead_bulk_update(
                leads=leads, actor=self.actor, data={"archived": True}, summary="Archived"
            )
        if action == "tag":
            return lead_bulk_tag(leads=leads, actor=self.actor, names=split_tags(data["tags"]))
        if action == "assign":
            choice = data["assignee"]
            member = None if choice == UNASSIGN else form.members[choice]
            return lead_bulk_assign(leads=leads, actor=self.actor, member=member)
        if action == "rotation":
            return lead_bulk_assign_next(leads=leads, actor=self.actor)
        raise PermissionDenied("Unknown action.")


class LeadExportView(LeadListMixin, View):
    """Every lead matching the list's filters, as CSV, streamed."""

    def get(self, request: HttpRequest) -> HttpResponse:
        lead_filter, qs = self.filtered(request.GET)
        if qs is None:
            return render(request, "400.html", {"errors": lead_filter.errors}, status=400)
        sort = parse_sort(request.GET.get("sort"))
        qs = qs.select_related("stage", "assignee__user", "team", "lead_source").order_by(
            *sort.order_by
        )
        return csv_response(qs)


CSV_COLUMNS = [
    "id",
    "uuid",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "stage",
    "status",
    "assignee",
    "assignee_email",
    "team",
    "lead_source",
    "source",
    "tags",
    "opted_out_at",
    "archived_at",
    "created_at",
    "updated_at",
]


def _csv_rows(leads: Any) -> Iterator[list[Any]]:
    yield CSV_COLUMNS
    for lead in leads.prefetch_related("tags").iterator(chunk_size=2000):
        yield [
            lead.pk,
            lead.uuid,
            lead.first_name,
            lead.last_name,
            lead.email,
            lead.phone_e164,
            lead.company,
            lead.stage.name if lead.stage else "",
            lead.status,
            lead.assignee.name if lead.assignee else "",
            lead.assignee.email if lead.assignee else "",
            lead.team.name if lead.team else "",
            lead.lead_source.name if lead.lead_source else "",
            lead.source,
            ", ".join(sorted(t.name for t in lead.tags.all())),
            lead.opted_out_at.isoformat() if lead.opted_out_at else "",
            lead.archived_at.isoformat() if lead.archived_at else "",
            lead.created_at.isoformat(),
            lead.updated_at.isoformat(),
        ]


def csv_response(leads: Any) -> StreamingHttpResponse:
    return csv_streaming_response(_csv_rows(leads), name="leads")


class SavedViewCreateView(StaffMixin, View):
    required_roles = {"POST": Role.VIEWER}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedViewForm(request.POST)
        query = view_query(QueryDict(request.POST.get("query", "")))
        if not form.is_valid():
            messages.error(request, "Give the view a name (up to 80 characters).")
            return HttpResponseRedirect(reverse("leads:lead_list") + "?" + query)
        try:
            with transaction.atomic():
                view = saved_view_save(
                    member=self.member, name=form.cleaned_data["name"], query=query
                )
        except IntegrityError:
            messages.error(request, "That name is taken; choose another.")
        else:
            messages.success(request, f"Saved the view “{view.name}”.")
        return HttpResponseRedirect(reverse("leads:lead_list") + "?" + query)


class SavedViewDeleteView(StaffMixin, View):
    required_roles = {"POST": Role.VIEWER}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = self.get_scoped_or_404(SavedView.objects.filter(membership=self.member), pk=pk)
        saved_view_delete(view=view)
        messages.success(request, f"Deleted the view “{view.name}”.")
        return HttpResponseRedirect(reverse("leads:lead_list"))


def list_url(**params: str) -> str:
    return reverse("leads:lead_list") + ("?" + urlencode(params) if params else "")
