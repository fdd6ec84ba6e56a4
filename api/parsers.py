"""JSON parsing with a hard size limit, whether or not the client sent Content-Length."""

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from api.errors import ApiError


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"The request body is larger than the limit of {limit} bytes.",
    )


class LimitedJSONParser(parsers.JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        view = (parser_context or {}).get("view")
        limit = view.body_limit() if hasattr(view, "body_limit") else settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise body_too_large(limit)
        if not raw.strip():
            raise ParseError("The request body is empty; send a JSON object.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise ParseError("The request body is not UTF-8 text.") from None
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"The request body is not valid JSON: {exc}") from None
        if b"\\u0000" in raw and _has_nul(data):
            # PostgreSQL cannot store U+0000 in text or jsonb: refuse it up front instead
            # of failing half-way through a write (fuzzing found the 500).
            raise ParseError("The request body contains a NUL character (\\u0000).")
        return data


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in JSON")
