"""Pulse pages: `page` / `pageSize` in, `{data, totalCount, totalPages, currentPage}` out.

Counting is what gets slow on big tables, so totalCount is exact up to
PULSE_EXACT_COUNT_LIMIT rows (a `COUNT(*)` over a `LIMIT` subquery that stops early) and,
past that on PostgreSQL, the planner's row estimate for the same query (an `EXPLAIN`,
no scan). The last page knows its total without counting, and a page lying past the limit
goes straight to the estimate. SQLite deployments are small, so they always count
exactly."""

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from api.pagination import ESTIMATED_HEADER, page_and_total

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
# Far past any real list (100 million rows at 100 a page); keeps OFFSET inside 64 bits.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def _positive_int(query: Any, name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"{name} must be a whole number."]}) from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum else "at least 1"
        raise ValidationError({name: [f"{name} must be {bound}."]})
    return value


def page_params(query: Any) -> PageParams:
    """page (default 1) and pageSize (default 10, at most 100) from the query string."""
    return PageParams(
        page=_positive_int(query, "page", 1, MAX_PAGE),
        page_size=_positive_int(query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    exact: bool
    params: PageParams

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.params.page_size) if self.total else 0

    def body(self, data: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "data": data,
            "totalCount": self.total,
            "totalPages": self.total_pages,
            "currentPage": self.params.page,
        }

    def headers(self) -> dict[str, str]:
        return {} if self.exact else {ESTIMATED_HEADER: "true"}


def paginate(qs: QuerySet, params: PageParams) -> Page:
    """One page of an ordered queryset and its (capped) count (api/pagination.py)."""
    rows, total, estimated = page_and_total(
        qs, params.offset, params.page_size, exact_up_to=settings.PULSE_EXACT_COUNT_LIMIT
    )
    return Page(rows=rows, total=total, exact=not estimated, params=params)


def page_serializer(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    """The OpenAPI shape of a page of `item` (for extend_schema)."""
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(
        name=name,
        fields={
            "data": item(many=True),
            "totalCount": serializers.IntegerField(),
            "totalPages": serializers.IntegerField(),
            "currentPage": serializers.IntegerField(),
        },
    )
