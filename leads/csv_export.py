"""Streaming CSV downloads for the staff pages (lead list, audit trail)."""

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone


def csv_cell(value: Any) -> str:
    """A value as a CSV cell; one a spreadsheet would run as a formula is defused."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_streaming_response(rows: Iterable[Sequence[Any]], *, name: str) -> StreamingHttpResponse:
    """Stream rows (the first is the header) as `<name>-<timestamp>.csv`, cell by cell
    through csv_cell, without building the file in memory."""
    writer = csv.writer(_Echo())
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        (writer.writerow([csv_cell(v) for v in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
