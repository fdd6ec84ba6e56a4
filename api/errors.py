"""One exception handler for every family: whatever went wrong, the client gets the
family's own error envelope with a clear message, never a traceback."""

import logging
from dataclasses import replace
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from api.autocalls.errors import AUTOCALLS
from api.families import ApiErrorInfo, Family
from api.mega.errors import MEGA
from api.omni.errors import OMNI
from api.pulse.errors import PULSE

logger = logging.getLogger("leadbook.api")


class ApiError(Exception):
    """An error a view raises on purpose, with its status and machine code."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub": ["message", …]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for k, v in flatten_errors(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(d, dict | list) for d in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(d) for d in detail)
        else:
            for i, item in enumerate(detail):
                for k, v in flatten_errors(item, f"{prefix}[{i}]" if prefix else f"[{i}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _summary(fields: dict[str, list[str]]) -> str:
    if not fields:
        return "The request is invalid."
    name, messages = next(iter(fields.items()))
    first = messages[0] if messages else "is invalid"
    if name == "non_field_errors":
        return first
    more = sum(len(m) for m in fields.values()) - 1
    text = f"{name}: {first}"
    return text + (f" (and {more} more)" if more else "")


def unfielded(family: Family, messages: list[str]) -> dict[str, list[str]]:
    """The fields of an error tied to no field: none, or the family's non-field key."""
    return {family.non_field_key: messages} if family.non_field_key else {}


def validation_fields(family: Family, error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError with canonical field names, renamed for the family."""
    if hasattr(error, "error_dict"):
        return {
            family.field_name(name): [m for e in errs for m in e.messages]
            for name, errs in error.error_dict.items()
        }
    return {"non_field_errors": list(error.messages)}


def to_error_info(exc: Exception, family: Family) -> tuple[ApiErrorInfo, dict[str, str]]:
    """Map any exception to an error and the response headers it needs."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        return ApiErrorInfo(exc.status_code, exc.code, exc.message, exc.fields), exc.headers
    if isinstance(exc, DjangoValidationError):
        fields = validation_fields(family, exc)
        code = "validation_error"
        codes = (
            {e.code for e in getattr(exc, "error_list", [])}
            if not hasattr(exc, "error_dict")
            else set()
        )
        if len(codes) == 1 and None not in codes:
            code = codes.pop()
        message = (
            fields["non_field_errors"][0]
            if list(fields) == ["non_field_errors"]
            else _summary(fields)
        )
        if list(fields) == ["non_field_errors"]:
            fields = unfielded(family, fields["non_field_errors"])
        return ApiErrorInfo(family.validation_status, code, message, fields), headers
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        message = _summary(fields)
        if list(fields) == ["non_field_errors"]:
            fields = unfielded(family, fields["non_field_errors"])
        return ApiErrorInfo(family.validation_status, "validation_error", message, fields), headers
    if isinstance(exc, RequestDataTooBig):
        return ApiErrorInfo(413, "payload_too_large", "The request body is too large."), headers
    if isinstance(exc, Http404 | exceptions.NotFound):
        message = str(getattr(exc, "detail", "")) or "Not found."
        if message in ("Not found.", "No matches the given query."):
            message = "Not found."
        return ApiErrorInfo(404, "not_found", message), headers
    if isinstance(exc, DjangoPermissionDenied):
        return ApiErrorInfo(403, "forbidden", str(exc) or "Not allowed."), headers
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        headers["Retry-After"] = str(max(wait, 1))
        return (
            ApiErrorInfo(429, "rate_limited", "Rate limit exceeded. Please retry later."),
            headers,
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return ApiErrorInfo(401, "unauthenticated", str(exc.detail)), headers
    if isinstance(exc, exceptions.PermissionDenied):
        return ApiErrorInfo(403, "forbidden", str(exc.detail)), headers
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ApiErrorInfo(405, "method_not_allowed", str(exc.detail)), headers
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ApiErrorInfo(415, "unsupported_media_type", str(exc.detail)), headers
    if isinstance(exc, exceptions.ParseError):
        return ApiErrorInfo(400, "malformed_request", str(exc.detail)), headers
    if isinstance(exc, exceptions.APIException):
        return ApiErrorInfo(exc.status_code, exc.default_code, str(exc.detail)), headers
    if isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    ):
        logger.warning("database unavailable: %s", type(exc).__name__)
        headers["Retry-After"] = "1"
        return (
            ApiErrorInfo(
                503, "service_unavailable", "The service is briefly unavailable; please retry."
            ),
            headers,
        )
    logger.error("unexpected error in API view", exc_info=exc)
    return ApiErrorInfo(500, "internal_error", "Something went wrong on our side."), headers


def family_for_path(path: str) -> Family | None:
    """The family whose prefix is the longest match (Pulse owns the rest of /api/)."""
    matches = [f for f in (OMNI, MEGA, PULSE, AUTOCALLS) if path.startswith(f.url_prefix)]
    return max(matches, key=lambda f: len(f.url_prefix), default=None)


def api_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """What Django refuses before any view runs (a Host header not in ALLOWED_HOSTS, a
    malformed request), in the family's envelope; None outside the API."""
    family = family_for_path(request.path)
    if family is None:
        return None
    info = ApiErrorInfo(400, "bad_request", "The request was refused before it reached the API.")
    return JsonResponse(family.error_body(info), status=400)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    view = context.get("view")
    family: Family = getattr(view, "family", None) or OMNI
    info, headers = to_error_info(exc, family)
    if info.status == family.validation_status and not info.fields:
        # An ApiError a view raised at the validation status without naming a field.
        info = replace(info, fields=unfielded(family, [info.message]))
    if info.status == status.HTTP_401_UNAUTHORIZED:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return Response(family.error_body(info), status=info.status, headers=headers)
