"""Laravel's length-aware paginator, as Autocalls lists answer.

`total` needs a count. Counting is exact up to AUTOCALLS_LIST_COUNT_CAP matching rows;
past it the count stops there (a COUNT over a million rows on every page is what the cap
avoids), `total` says the cap and `last_page` the last page within it, while
`next_page_url` keeps pointing further as long as rows follow. Clients that walk
`next_page_url` see every row; see docs/api.md."""

import math
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.request import Request

from api.pagination import page_rows

ON_EACH_SIDE = 3


def _window(current: int, last: int) -> list[list[int]]:
    """Page numbers to show, in groups separated by "..." (Laravel's UrlWindow)."""
    if last < ON_EACH_SIDE * 2 + 8:
        return [list(range(1, last + 1))]
    window = ON_EACH_SIDE + 4
    start, finish = [1, 2], [last - 1, last]
    if current <= window:
        return [list(range(1, window + ON_EACH_SIDE + 1)), finish]
    if current > last - window:
        return [start, list(range(last - (window + ON_EACH_SIDE - 1), last + 1))]
    return [start, list(range(current - ON_EACH_SIDE, current + ON_EACH_SIDE + 1)), finish]


NEWEST_FIRST = ("-created_at", "-id")


def _count(queryset: QuerySet, offset: int, rows: list[Any], *, per_page: int, cap: int) -> int:
    """How many rows match, exact up to `cap` (past it, any figure above cap).

    `rows` are the page's rows plus the next one when there is one. A page that is not
    full is the last: the rows before it and on it are all there are. A full first page
    counts on the narrowest index. A full deeper page has already walked past `offset`
    rows to read its own, so it counts only what follows its last row (a range of the
    (workspace or campaign, created_at, id) index starting there): page 1,000 costs what
    page 1 does instead of walking the same rows twice."""
    seen = offset + len(rows)
    if (len(rows) <= per_page and (rows or not offset)) or seen > cap:
        return seen
    if not (offset and rows) or tuple(queryset.query.order_by) != NEWEST_FIRST:
        return queryset.order_by()[: cap + 1].count()
    last = rows[-1]
    following = queryset.filter(created_at__lte=last.created_at).exclude(
        created_at=last.created_at, pk__gte=last.pk
    )
    return seen + following.order_by()[: cap + 1 - seen].count()


def laravel_page(
    request: Request, queryset: QuerySet, *, page: int, per_page: int
) -> tuple[list[Any], dict[str, Any]]:
    """The rows of one page and the paginator fields around them (without `data`)."""
    cap = settings.AUTOCALLS_LIST_COUNT_CAP
    offset = (page - 1) * per_page
    # One row more than the page tells whether another page follows, whatever the count.
    rows = page_rows(queryset, offset, per_page + 1)
    total = min(_count(queryset, offset, rows, per_page=per_page, cap=cap), cap)
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    last_page = max(1, math.ceil(total / per_page))
    path = request.build_absolute_uri(request.path)
    params = {k: v for k, v in request.query_params.items() if k != "page"}

    def url(number: int) -> str:
        return f"{path}?{urlencode({**params, 'page': number})}"

    links: list[dict[str, Any]] = [
        {"url": url(page - 1) if page > 1 else None, "label": "&laquo; Previous", "active": False}
    ]
    for i, group in enumerate(_window(page, last_page)):
        if i:
            links.append({"url": None, "label": "...", "active": False})
        links.extend({"url": url(n), "label": str(n), "active": n == page} for n in group)
    links.append(
        {"url": url(page + 1) if has_more else None, "label": "Next &raquo;", "active": False}
    )
    return rows, {
        "current_page": page,
        "first_page_url": url(1),
        "from": offset + 1 if rows else None,
        "last_page": last_page,
        "last_page_url": url(last_page),
        "links": links,
        "next_page_url": url(page + 1) if has_more else None,
        "path": path,
        "per_page": per_page,
        "prev_page_url": url(page - 1) if page > 1 else None,
        "to": offset + len(rows) if rows else None,
        "total": total,
    }
