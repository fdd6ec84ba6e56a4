"""What the audit trail keeps of a request: method, path, client IP and headers, with
every secret masked."""

import re

from django.conf import settings
from django.http import HttpRequest

from leads.actors import RequestMeta

MASK = "[masked]"
_SECRET_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie"}
_SECRET_WORDS = re.compile(r"token|secret|key|password|passwd|signature|auth|session|csrf", re.I)
_MAX_HEADER_VALUE = 500


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers with the value of anything that may carry a secret replaced by MASK."""
    masked = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _SECRET_HEADERS or _SECRET_WORDS.search(lowered):
            masked[lowered] = MASK
        else:
            masked[lowered] = str(value)[:_MAX_HEADER_VALUE]
    return masked


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies in front of us saw."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or None


def request_meta(request: HttpRequest) -> RequestMeta:
    return RequestMeta(
        method=request.method or "",
        path=request.path,
        ip=client_ip(request),
        headers=mask_headers(dict(request.headers)),
    )
