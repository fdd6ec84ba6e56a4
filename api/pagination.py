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
    (a narrow read, often index-only) and then load just the page's rows, instead of
    reading every skipped row whole."""
    if offset == 0:
        return list(qs[:limit])
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    by_id = {row.pk: row for row in qs.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]
