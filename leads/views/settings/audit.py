"""/settings/audit/: the workspace's audit trail — every ActionLog entry, filterable by
who, kind, event, day and lead, in keyset pages; and the same as a streamed CSV."""

import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import TemplateView, View

from leads.csv_export import csv_streaming_response
from leads.filters import AuditFilter
from leads.pagination import Sort, keyset_page
from leads.selectors import audit_entries, audit_recent_events
from leads.views.settings.base import SettingsMixin

AUDIT_PAGE = 50
NEWEST_FIRST = Sort(key="created", descending=True, columns=("created_at",))
FILTER_KEYS = ("actor", "type", "event", "lead", "date_from", "date_until")


class AuditMixin(SettingsMixin):
    settings_tab = "audit"

    def audit_filter(self) -> AuditFilter:
        return AuditFilter(
            self.request.GET, queryset=audit_entries(self.workspace), workspace=self.workspace
        )

    def filter_query(self) -> str:
        """The filters of this request, for page and export links (no cursors)."""
        params = self.request.GET.copy()
        for key in list(params):
            if key not in FILTER_KEYS or not params.get(key):
                del params[key]
        return params.urlencode()


class AuditView(AuditMixin, TemplateView):
    template_name = "settings/audit.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        audit_filter = self.audit_filter()
        page = None
        if audit_filter.is_valid():
            params = self.request.GET
            page = keyset_page(
                audit_filter.qs,
                sort=NEWEST_FIRST,
                after=params.get("after"),
                before=params.get("before"),
                size=AUDIT_PAGE,
            )
        query = self.filter_query()
        context.update(
            filter=audit_filter,
            page=page,
            query=query,
            query_amp=f"{query}&" if query else "",
            events=audit_recent_events(self.workspace),
        )
        return context


def _json(value: Any) -> str:
    return "" if value in (None, {}, []) else json.dumps(value, ensure_ascii=False, sort_keys=True)


AUDIT_COLUMNS = [
    "id",
    "created_at",
    "actor",
    "api_key",
    "type",
    "status",
    "event",
    "summary",
    "lead_id",
    "request_method",
    "request_path",
    "request_ip",
    "request_headers",
    "input",
    "output",
]


def audit_csv_rows(entries: Any) -> Iterator[list[Any]]:
    yield AUDIT_COLUMNS
    for entry in entries.iterator(chunk_size=2000):
        yield [
            entry.pk,
            entry.created_at.isoformat(),
            entry.actor_label,
            entry.actor_key.display_prefix if entry.actor_key else "",
            entry.type,
            entry.status,
            entry.event,
            entry.summary,
            entry.lead_pk or "",
            entry.request_method,
            entry.request_path,
            entry.request_ip or "",
            _json(entry.request_headers),
            _json(entry.input),
            _json(entry.output),
        ]


class AuditExportView(AuditMixin, View):
    """Every entry matching the filters, newest first, streamed as CSV."""

    def get(self, request: HttpRequest) -> HttpResponse:
        audit_filter = self.audit_filter()
        if not audit_filter.is_valid():
            return render(request, "400.html", {"errors": audit_filter.errors}, status=400)
        entries = audit_filter.qs.order_by(*NEWEST_FIRST.order_by)
        return csv_streaming_response(audit_csv_rows(entries), name="audit")
