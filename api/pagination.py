"""List totals without counting a million rows on every page (MEGA and Pulse lists).

A total is exact up to a limit (a COUNT over a LIMIT subquery, which stops early); past it,
on PostgreSQL, it is the planner's row estimate for the same query (an EXPLAIN: a plan,
no scan), and the response says so with the header `Total-Count-Estimated: true`.
SQLite deployments are small, so they always count exactly."""

import json
from typing import Any

from django.db import connections
from django.db.models import QuerySet

ESTIMATED_HEADER = "Total-Count-Estimated"


def planner_estimate(qs: QuerySet) -> int:
    """PostgreSQL's estimate of how many rows `qs` returns, without running it."""
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_or_estimate(qs: QuerySet, *, exact_up_to: int) -> tuple[int, bool]:
    """(total, estimated): exact up to `exact_up_to` rows, else the planner's estimate on
    PostgreSQL (never below the number of rows already seen)."""
    qs = qs.order_by()
    seen = qs[: exact_up_to + 1].count()
    if seen <= exact_up_to:
        return seen, False
    if connections[qs.db].vendor != "postgresql":
        return qs.count(), False
    return max(planner_estimate(qs), seen), True


def total_for_page(
    qs: QuerySet, *, offset: int, shown: int, more: bool, exact_up_to: int
) -> tuple[int, bool]:
    """How many rows `qs` matches, for a page that starts `offset` rows in and shows
    `shown` of them (`more`: at least one row follows it): (total, estimated), exact up
    to `exact_up_to` as in count_or_estimate.

    A page that is not full is the last one, so the total is the rows before it and on
    it: no count at all (a search that finds three leads is one query). A full page that
    already lies past `exact_up_to` rows proves there are more than that, so the total is
    the planner's estimate straight away: a deep page does not count again the rows it
    walked past."""
    seen = offset + shown + (1 if more else 0)
    if not more and (shown or not offset):
        return seen, False
    if seen <= exact_up_to or not shown:
        return count_or_estimate(qs, exact_up_to=exact_up_to)
    if connections[qs.db].vendor != "postgresql":
        return qs.count(), False
    return max(planner_estimate(qs), seen), True


def page_and_total(
    qs: QuerySet, offset: int, limit: int, *, exact_up_to: int
) -> tuple[list[Any], int, bool]:
    """Rows `offset` to `offset + limit` of an ordered queryset (read with one row more,
    to know whether others follow) and total_for_page's (total, estimated)."""
    rows = page_rows(qs, offset, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    total, estimated = total_for_page(
        qs, offset=offset, shown=len(rows), more=more, exact_up_to=exact_up_to
    )
    return rows, total, estimated


def page_rows(qs: QuerySet, offset: int, limit: int) -> list[Any]:
    """Rows `offset` to `offset + limit` of an ordered queryset. Deep pages skip ids only
    (a narrow read, often index-only) in a subquery, and the same query loads just the
    page's rows by id, instead of reading every skipped row whole: one query, like the
    first page, not an id query and then a row query."""
    if offset == 0:
        return list(qs[:limit])
    return list(qs.filter(pk__in=qs.values("pk")[offset : offset + limit]))
