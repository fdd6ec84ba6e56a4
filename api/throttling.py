"""Rate limits per credential, counted atomically in the shared cache (Redis when
REDIS_URL is set, process memory otherwise). Fixed windows: a minute and an hour for
ordinary requests, a minute for bulk requests."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request

from api.metadata import client_ip


@dataclass(frozen=True)
class Window:
    seconds: int
    limit: int


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # seconds until the window that is closest to its limit starts over
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


def windows_for(request: Request, bucket: str) -> list[Window]:
    credential = request.auth
    workspace = getattr(credential, "workspace", None)

    def pick(attr: str, default: int) -> int:
        value = getattr(workspace, attr, None) if workspace is not None else None
        return value or default

    if bucket == "bulk":
        return [
            Window(60, pick("bulk_rate_limit_per_minute", settings.API_BULK_RATE_LIMIT_PER_MINUTE))
        ]
    return [
        Window(60, pick("rate_limit_per_minute", settings.API_RATE_LIMIT_PER_MINUTE)),
        Window(3600, pick("rate_limit_per_hour", settings.API_RATE_LIMIT_PER_HOUR)),
    ]


def rate_limit_hit(request: Request, bucket: str) -> RateState:
    """Count this request in every window of its bucket and report the tightest one."""
    credential = request.auth
    identity = (
        credential.rate_limit_identity if credential is not None else f"ip:{client_ip(request)}"
    )
    now = time.time()
    tightest: RateState | None = None
    for window in windows_for(request, bucket):
        index = int(now // window.seconds)
        key = f"rl:{identity}:{bucket}:{window.seconds}:{index}"
        cache.add(key, 0, timeout=window.seconds + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.add(key, 1, timeout=window.seconds + 5)
            count = 1
        reset = int((index + 1) * window.seconds - now) + 1
        state = RateState(
            limit=window.limit,
            remaining=max(window.limit - count, 0),
            reset=reset,
            exceeded=count > window.limit,
        )
        if (
            tightest is None
            or (state.exceeded and not tightest.exceeded)
            or (state.exceeded == tightest.exceeded and state.remaining < tightest.remaining)
        ):
            tightest = state
    assert tightest is not None
    return tightest
