"""GET /leads: filters, keyset (cursor) pages and a total that stays cheap at scale.

Pages are read with keyset conditions on (sort column, id), served by the indexes
leads_lead_ws_created / _updated / _interaction, so page 5,000 costs what page 1 costs.
A cursor is signed and names the sort it was issued for; replayed under another sort it
is refused. `last_interaction_at` may be empty: those leads come after the others
ascending and before them descending (PostgreSQL's natural NULL order in that index)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_datetime

from api.errors import ApiError
from api.mega.serializers import LOST_STATUSES
from api.pagination import count_or_estimate, total_for_page
from leads.models import Lead

CURSOR_SALT = "leadbook.mega.cursor"
# Up to this many matches `total` is an exact count; beyond it, PostgreSQL's estimate.
EXACT_TOTAL_CAP = 10_000
NULLABLE_SORTS = {"last_interaction_at"}


@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    total: int
    total_is_estimate: bool
    next_cursor: str | None


def status_condition(status: str) -> Q | None:
    """MEGA's status as a filter (see mega_status); None means "matches nothing"."""
    live = Q(archived_at__isnull=True)
    won = Q(stage__is_won=True)
    lost = Q(stage__is_lost=True) | Q(status__in=LOST_STATUSES)
    return {
        "archived": Q(archived_at__isnull=False),
        "won": live & won,
        "lost": live & ~won & lost,
        "active": live & ~won & ~lost,
    }.get(status)


def filtered(queryset: QuerySet, params: Mapping[str, Any]) -> QuerySet:
    """The list's filters, applied to a workspace's leads."""
    if params.get("status"):
        condition = status_condition(params["status"])
        queryset = queryset.none() if condition is None else queryset.filter(condition)
    if params.get("stageId"):
        queryset = queryset.filter(stage__uuid=params["stageId"])
    if params.get("search", "").strip():
        queryset = queryset.search(params["search"])
    if params.get("created_since"):
        queryset = queryset.filter(created_at__gte=params["created_since"])
    if params.get("updated_since"):
        queryset = queryset.filter(updated_at__gte=params["updated_since"])
    if params.get("lead_line"):
        queryset = queryset.filter(lead_line=params["lead_line"])
    return queryset


# --- cursors ------------------------------------------------------------------------------


def cursor_encode(sort_by: str, sort_dir: str, lead: Lead) -> str:
    value = getattr(lead, sort_by)
    return signing.dumps(
        {"s": sort_by, "d": sort_dir, "v": value.isoformat() if value else None, "i": lead.pk},
        salt=CURSOR_SALT,
        compress=True,
    )


def cursor_decode(token: str, sort_by: str, sort_dir: str) -> tuple[datetime | None, int]:
    """The (value, id) a cursor continues after; 400 if it was tampered with or issued
    for another sort."""
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
        value = parse_datetime(data["v"]) if data["v"] is not None else None
        position = (data["s"], data["d"], value, int(data["i"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ApiError(400, "invalid_cursor", "The cursor is not valid.") from None
    issued_by, issued_dir, value, pk = position
    if (issued_by, issued_dir) != (sort_by, sort_dir):
        raise ApiError(
            400,
            "cursor_sort_mismatch",
            f"This cursor was issued for sort_by={issued_by}&sort_dir={issued_dir}; "
            f"it cannot be used with sort_by={sort_by}&sort_dir={sort_dir}.",
        )
    if value is None and sort_by not in NULLABLE_SORTS:
        raise ApiError(400, "invalid_cursor", "The cursor is not valid.")
    return value, pk


# --- pages --------------------------------------------------------------------------------


def _ordered(queryset: QuerySet, field: str, descending: bool) -> QuerySet:
    if descending:
        return queryset.order_by(F(field).desc(nulls_first=True), "-pk")
    return queryset.order_by(F(field).asc(nulls_last=True), "pk")


def _after(queryset: QuerySet, field: str, descending: bool, value: datetime, pk: int) -> QuerySet:
    """Rows strictly after (value, pk) among rows with a value. Written as a range on the
    sort column plus a filter on ties, so the index serves it as a range scan."""
    if descending:
        return queryset.filter(**{f"{field}__lte": value}).exclude(**{field: value, "pk__gte": pk})
    return queryset.filter(**{f"{field}__gte": value}).exclude(**{field: value, "pk__lte": pk})


def _keyset(
    queryset: QuerySet, field: str, descending: bool, after: tuple[datetime | None, int], n: int
) -> list[Lead]:
    value, pk = after
    with_value = queryset.filter(**{f"{field}__isnull": False})
    without = queryset.filter(**{f"{field}__isnull": True})
    if field not in NULLABLE_SORTS:
        return list(_ordered(_after(queryset, field, descending, value, pk), field, descending)[:n])
    # Two regions, each one index range: rows with a value, and rows without (by id).
    if not descending:
        if value is None:
            return list(without.filter(pk__gt=pk).order_by("pk")[:n])
        rows = list(_ordered(_after(with_value, field, False, value, pk), field, False)[:n])
        if len(rows) < n:
            rows += list(without.order_by("pk")[: n - len(rows)])
        return rows
    if value is not None:
        return list(_ordered(_after(with_value, field, True, value, pk), field, True)[:n])
    rows = list(without.filter(pk__lt=pk).order_by("-pk")[:n])
    if len(rows) < n:
        rows += list(_ordered(with_value, field, True)[: n - len(rows)])
    return rows


def lead_page(queryset: QuerySet, params: Mapping[str, Any]) -> LeadPage:
    """One page of the list, with the cursor for the next one (None on the last)."""
    sort_by, sort_dir = params["sort_by"], params["sort_dir"]
    descending = sort_dir == "desc"
    limit, offset = params["limit"], params["offset"]
    queryset = filtered(queryset, params)
    rows_qs = queryset.select_related("stage", "assignee__user")
    if params.get("cursor"):
        after = cursor_decode(params["cursor"], sort_by, sort_dir)
        rows = _keyset(rows_qs, sort_by, descending, after, limit + 1)
    else:
        rows = list(_ordered(rows_qs, sort_by, descending)[offset : offset + limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if params.get("cursor"):  # how many rows came before is unknown: count
        total, estimated = count_or_estimate(queryset, exact_up_to=EXACT_TOTAL_CAP)
    else:
        total, estimated = total_for_page(
            queryset, offset=offset, shown=len(rows), more=more, exact_up_to=EXACT_TOTAL_CAP
        )
    return LeadPage(
        leads=rows,
        total=total,
        total_is_estimate=estimated,
        next_cursor=cursor_encode(sort_by, sort_dir, rows[-1]) if more else None,
    )
