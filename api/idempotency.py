"""Idempotency-Key on every POST of every family.

The claim (an IdempotencyRecord) is inserted in the same transaction as the work and
holds the response, so it exists exactly when the work committed:

- same key, same body, after commit: the stored status and body are replayed with
  `Idempotent-Replayed: true`;
- same key, different body: 409 `idempotency_key_reused`;
- same key while the first request is still running: the second claim waits on the
  unique index; when the first commits it replays, when the first rolls back it does the
  work itself. On PostgreSQL the wait is bounded (the connection's lock_timeout,
  DB_LOCK_TIMEOUT_MS); past it the client gets 409 `idempotency_request_in_progress` with
  Retry-After. On SQLite every write transaction takes the database's write lock first,
  so the second request waits there (SQLITE_BUSY_TIMEOUT) and never sees a 409; past the
  busy timeout it gets 503 with Retry-After;
- only successful (2xx) responses are stored. Anything else rolls back the whole
  transaction, claim included, so a corrected retry with the same key goes through.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def validate_key(key: str) -> str:
    if key == "" or key.strip() == "":
        raise ApiError(400, "idempotency_key_invalid", "The Idempotency-Key header is empty.")
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            400,
            "idempotency_key_invalid",
            f"The Idempotency-Key header is longer than {MAX_KEY_LENGTH} characters.",
        )
    if any(ord(c) < 0x20 or ord(c) > 0x7E for c in key):
        raise ApiError(
            400,
            "idempotency_key_invalid",
            "The Idempotency-Key header may hold printable ASCII characters only.",
        )
    return key


def _path(request: Request) -> str:
    """The path without its trailing slash: Pulse answers /api/leads and /api/leads/
    alike, so a key sent to both is one key for one endpoint."""
    return request.path.rstrip("/") or "/"


def endpoint_of(request: Request) -> str:
    """What a key is scoped to (with the workspace): method and path."""
    return f"{request.method} {_path(request)}"[:300]


def fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path, query and body (JSON compared
    by value, uploaded files by content)."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(_path(request).encode())
    digest.update(json.dumps(sorted(request.query_params.lists())).encode())
    data = request.data
    if hasattr(data, "lists"):
        data = dict(data.lists())
    digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(name.encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, print_: str) -> HttpResponse:
    if record.fingerprint != print_:
        raise ApiError(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request.",
        )
    response = HttpResponse(
        record.body, status=record.status_code, content_type=record.content_type
    )
    response[REPLAYED] = "true"
    return response


def _body(
    response: HttpResponse, replay_body: Callable[[Any], Any] | None = None
) -> tuple[str, str]:
    """The bytes a replay sends (DRF renders Response.data with JSONRenderer), less what
    the view keeps out of the store (replay_body)."""
    if isinstance(response, Response):
        data = replay_body(response.data) if replay_body else response.data
        return JSONRenderer().render(data).decode(), "application/json"
    return response.content.decode(), response.get("Content-Type", "application/json")


def run_write(
    request: Request,
    handler: Callable[..., HttpResponse],
    *args: Any,
    idempotent: bool,
    replay_body: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> HttpResponse:
    """Run a write handler in one transaction, under the request's Idempotency-Key when
    it sent one and the endpoint is idempotent."""
    key = request.headers.get(HEADER) if idempotent else None
    if key is None:
        with transaction.atomic():
            response = handler(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response

    validate_key(key)
    workspace = request.auth.workspace
    endpoint = endpoint_of(request)
    print_ = fingerprint(request)

    with transaction.atomic():
        try:
            record_id = _claim(workspace.pk, endpoint, key, print_)
        except OperationalError as exc:
            if "lock timeout" not in str(exc).lower():
                raise
            raise ApiError(
                409,
                "idempotency_request_in_progress",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                headers={"Retry-After": "1"},
            ) from None
        if record_id is None:
            existing = IdempotencyRecord.objects.get(
                workspace=workspace, endpoint=endpoint, key=key
            )
            cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
            if existing.created_at >= cutoff:
                return _replay(existing, print_)
            existing.delete()  # past retention: the key is new again
            record_id = _claim(workspace.pk, endpoint, key, print_)

        response = handler(request, *args, **kwargs)
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)
            return response
        body, content_type = _body(response, replay_body)
        IdempotencyRecord.objects.filter(pk=record_id).update(
            status_code=response.status_code, content_type=content_type, body=body
        )
        return response


def _claim(workspace_id: int, endpoint: str, key: str, print_: str) -> int | None:
    """Insert the claim, or return None when the key is already taken. A claim of another
    request still running makes this wait until that request commits (then None) or rolls
    back (then the claim is ours); PostgreSQL gives up after DB_LOCK_TIMEOUT_MS."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, endpoint, key, fingerprint, status_code, "
            "content_type, body, created_at) VALUES (%s, %s, %s, %s, 0, '', '', %s) "
            "ON CONFLICT (workspace_id, endpoint, key) DO NOTHING RETURNING id",
            [workspace_id, endpoint, key, print_, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def idempotency_purge(*, now: "timezone.datetime | None" = None) -> int:
    """Delete records past the retention period (IDEMPOTENCY_TTL_HOURS, at least 24)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
