"""Keyset (cursor) pagination for staff lists: every page, first or ten-thousandth, is one
index range scan, never an OFFSET over the rows before it."""

import base64
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import BadRequest
from django.db.models import Q, QuerySet

# Sort key -> (label, columns). `id` is always appended as the tie-breaker. Every
# column is NOT NULL and each sort has an index (workspace, columns…, id) on Lead.
LEAD_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "created": ("Created", ("created_at",)),
    "updated": ("Updated", ("updated_at",)),
    "name": ("Name", ("last_name", "first_name")),
    "company": ("Company", ("company",)),
}
DEFAULT_LEAD_SORT = "-created"
DATETIME_COLUMNS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool
    columns: tuple[str, ...]

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.key

    @property
    def order_by(self) -> list[str]:
        prefix = "-" if self.descending else ""
        return [prefix + c for c in (*self.columns, "id")]


def parse_sort(value: str | None) -> Sort:
    """A sort parameter like "-created" or "name"; unknown values fall back to the default."""
    raw = value or DEFAULT_LEAD_SORT
    key = raw.lstrip("-")
    if key not in LEAD_SORTS:
        raw, key = DEFAULT_LEAD_SORT, DEFAULT_LEAD_SORT.lstrip("-")
    return Sort(key=key, descending=raw.startswith("-"), columns=LEAD_SORTS[key][1])


def _encode(sort: Sort, row: Any) -> str:
    values = []
    for column in (*sort.columns, "id"):
        value = getattr(row, column)
        values.append(value.isoformat() if isinstance(value, datetime.datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(sort: Sort, cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        columns = (*sort.columns, "id")
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        decoded: list[Any] = []
        for column, value in zip(columns, values, strict=True):
            if column in DATETIME_COLUMNS:
                parsed = datetime.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError
                decoded.append(parsed)
            elif column == "id":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError
                decoded.append(value)
            else:
                if not isinstance(value, str):
                    raise ValueError
                decoded.append(value)
        return decoded
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest(
            "This page link is not valid any more; start from the first page."
        ) from None


def _beyond(sort: Sort, values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after (forward) or before the cursor row in the sort order.

    Written as `first <= v AND (first < v OR (first = v AND …))`: the redundant leading
    bound lets the database seek straight to the cursor in the index instead of reading
    every row before it."""
    columns = (*sort.columns, "id")
    going_down = sort.descending == forward
    strict = "lt" if going_down else "gt"
    loose = "lte" if going_down else "gte"
    condition = Q()
    for i, column in enumerate(columns):
        step = Q(**{f"{column}__{strict}": values[i]})
        for previous, value in zip(columns[:i], values[:i], strict=True):
            step &= Q(**{previous: value})
        condition |= step
    return Q(**{f"{columns[0]}__{loose}": values[0]}) & condition


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool


def keyset_page(
    queryset: QuerySet,
    *,
    sort: Sort,
    after: str | None = None,
    before: str | None = None,
    size: int = 50,
) -> KeysetPage:
    """One page of `queryset` in `sort` order, after or before a cursor (or the first)."""
    if before:
        values = _decode(sort, before)
        reverse = [c[1:] if c.startswith("-") else "-" + c for c in sort.order_by]
        rows = list(
            queryset.filter(_beyond(sort, values, forward=False)).order_by(*reverse)[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            items=rows,
            next_cursor=_encode(sort, rows[-1]) if rows else None,
            previous_cursor=_encode(sort, rows[0]) if rows and more_before else None,
            is_first=not more_before,
        )
    qs = queryset
    if after:
        qs = qs.filter(_beyond(sort, _decode(sort, after), forward=True))
    rows = list(qs.order_by(*sort.order_by)[: size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        items=rows,
        next_cursor=_encode(sort, rows[-1]) if rows and more_after else None,
        previous_cursor=_encode(sort, rows[0]) if rows and after else None,
        is_first=not after,
    )


def capped_count(queryset: QuerySet, cap: int = 10_000) -> tuple[int, bool]:
    """How many rows (counting at most `cap`), and whether there are more than that."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap
