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


def page_rows(qs: QuerySet, offset: int, limit: int) -> list[Any]:
    """Rows `offset` to `offset + limit` of an ordered queryset. Deep pages skip ids only
    (a narrow read, often index-only) in a subquery, and the same query loads just the
    page's rows by id, instead of reading every skipped row whole: one query, like the
    first page, not an id query and then a row query."""
    if offset == 0:
        return list(qs[:limit])
    return list(qs.filter(pk__in=qs.values("pk")[offset : offset + limit]))
