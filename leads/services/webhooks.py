"""Outgoing webhooks: registering endpoints safely and delivering the outbox.

The outbox rows (WebhookDelivery) are written by lead_event_emit inside the business
transaction. This module sends them:

- after commit, through a task (leads.tasks.webhook_deliveries_send), and by a periodic
  sweep for retries and for anything a dead worker left behind;
- a row is *claimed* with a lease (`locked_until`) by a conditional UPDATE, so two
  workers never send it at once and a killed worker's row is taken over when the lease
  runs out; the outcome is recorded only by the holder of the lease. A batch claims the
  next few rows it is about to send in one statement and writes its successes together
  (DeliveryBatch);
- every request is signed twice (Standard Webhooks and MEGA's X-Mega-Signature), carries
  the event's stable id, and goes to an address checked against SSRF just before sending
  (the connection is made to that very address, so DNS cannot be rebound in between);
- failures are retried with exponential backoff and jitter up to the endpoint's
  `retry_attempts`; a 3xx is a failure (redirects are not followed), 410 Gone disables the
  endpoint, and a Retry-After header is honoured.
"""

import base64
import contextlib
import email.utils
import functools
import hashlib
import hmac
import ipaddress
import logging
import random
import secrets
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from leads.actors import Actor
from leads.models import ActionLog, WebhookDelivery, WebhookEndpoint, Workspace
from leads.services.events import LEAD_EVENTS, on_deliveries_committed
from leads.services.timeline import actionlog_record

logger = logging.getLogger("leadbook.webhooks")

SECRET_OVERLAP = timedelta(hours=24)
USER_AGENT = "Leadbook-Webhooks/1.0"
# Kept of a receiver's answer, for the delivery log.
RESPONSE_BODY_LIMIT = 2048
# A batch writes its successes together, once it holds this many or the oldest is this
# old: the delivery log lags by about that much, and a worker that dies resends at most
# that much (at-least-once delivery allows it; receivers dedupe on webhook-id).
DELIVERED_BUFFER_ROWS = 100
DELIVERED_BUFFER_SECONDS = 1.0
# Kept outcomes are written before a send that could outlast their lease less this.
LEASE_MARGIN_SECONDS = 5
# A batch claims the deliveries it is about to send together, as many as it sends in about
# CLAIM_AHEAD_SECONDS at its pace so far (one at first, at most CLAIM_AHEAD_ROWS): one
# statement instead of one per delivery. A claim counts the attempt, so a worker that dies
# mid-batch uses up one try of those it had claimed but not sent yet (as it always did of
# the one it was sending); they are sent again once the lease runs out.
CLAIM_AHEAD_SECONDS = 0.25
CLAIM_AHEAD_ROWS = 100
# A delivery claimed ahead that waited longer than this for its turn gets a fresh lease
# before it is sent (a slow receiver earlier in the batch).
CLAIM_RENEW_AFTER_SECONDS = 10


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, loaded once per process: loading them is what made every
    delivery cost 25 ms (bench/RESULTS.md). An SSLContext is safe to share between
    connections and threads; each connection still verifies its own host name."""
    return ssl.create_default_context()


# Addresses that are never a webhook receiver, whatever ipaddress thinks of them.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_BLOCKED_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


# --- URL safety (SSRF) ------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL that passed the SSRF check, with the addresses that were checked."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def _resolve(host: str, port: int) -> list[str]:
    """Every address a name resolves to (tests replace this to simulate DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def ip_is_public(address: str) -> bool:
    """True for a globally routable unicast address. IPv4 hidden inside IPv6 (mapped,
    6to4, Teredo, NAT64) is judged by the IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return ip_is_public(str(embedded))
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _unsafe(message: str) -> ValidationError:
    return ValidationError({"url": [ValidationError(message, code="unsafe_url")]})


def webhook_url_check(url: str) -> WebhookTarget:
    """Refuse a URL Leadbook must not call: not HTTPS, with credentials, or naming (or
    resolving to) a private, loopback, link-local, metadata or otherwise non-public
    address. settings.WEBHOOK_ALLOW_PRIVATE_URLS lifts the address and scheme rules, for
    tests and local development only."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    if not isinstance(url, str) or not url.strip():
        raise _unsafe("Enter the URL that should receive the events.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise _unsafe("This is not a valid URL.") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise _unsafe("Webhook URLs must use HTTPS.")
    if parts.username or parts.password:
        raise _unsafe("Webhook URLs must not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise _unsafe("This URL has no host name.")
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        if not allow_private and (
            host == "localhost" or any(host.endswith(s) for s in _BLOCKED_NAMES)
        ):
            raise _unsafe(f"“{host}” is not a public host name.")
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError):
            raise _unsafe(f"“{host}” does not resolve to an address.") from None
        if not addresses:
            raise _unsafe(f"“{host}” does not resolve to an address.")
    if not allow_private:
        for address in addresses:
            if not ip_is_public(address):
                raise _unsafe(
                    "Webhook URLs must point to a public address; "
                    f"“{host}” is private, loopback, link-local or reserved."
                )
    # IPv4 first: it is what most receivers and most of our hosts route.
    ordered = sorted(addresses, key=lambda a: ":" in a)
    return WebhookTarget(
        url=url.strip(),
        scheme=parts.scheme.lower(),
        host=host,
        port=port,
        addresses=tuple(ordered),
    )


# --- endpoints --------------------------------------------------------------------------


def webhook_secret_generate(payload_format: str) -> str:
    """A new signing secret: Standard Webhooks' `whsec_<base64 of 32 random bytes>`,
    prefixed with `mega_` for endpoints registered through the MEGA family."""
    raw = base64.b64encode(secrets.token_bytes(32)).decode()
    prefix = "mega_" if payload_format == WebhookEndpoint.PayloadFormat.MEGA else ""
    return f"{prefix}whsec_{raw}"


def webhook_settings_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the settings given (URL against SSRF, event types, ranges); returns them
    cleaned or raises ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "event_types" in data:
        types = data["event_types"]
        if not isinstance(types, list | tuple) or not types:
            errors["event_types"] = ["Choose at least one event type."]
        else:
            unknown = [t for t in types if t not in LEAD_EVENTS]
            if unknown:
                errors["event_types"] = [
                    f"Unknown event type: {', '.join(map(str, unknown))}. "
                    f"Choose from {', '.join(LEAD_EVENTS)}."
                ]
            else:
                cleaned["event_types"] = list(dict.fromkeys(types))
    for name, low, high in (("timeout_seconds", 1, 60), ("retry_attempts", 0, 10)):
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[name] = [f"Must be a whole number from {low} to {high}."]
            else:
                cleaned[name] = value
    if "description" in data:
        description = data["description"] or ""
        if not isinstance(description, str) or len(description) > 500:
            errors["description"] = ["Must be text of at most 500 characters."]
        else:
            cleaned["description"] = description
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = ["Must be true or false."]
        else:
            cleaned["is_active"] = data["is_active"]
    if "url" in data:
        try:
            cleaned["url"] = webhook_url_check(data["url"]).url
        except ValidationError as err:
            errors.update({k: list(v) for k, v in err.message_dict.items()})
        else:
            if len(cleaned["url"]) > 2000:
                errors["url"] = ["The URL is longer than 2,000 characters."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _audit(endpoint: WebhookEndpoint, actor: Actor, event: str, summary: str) -> None:
    actionlog_record(
        workspace=endpoint.workspace,
        actor=actor,
        type=ActionLog.Type.SETTINGS,
        event=event,
        summary=summary,
        input={
            "webhook": str(endpoint.uuid),
            "url": endpoint.url,
            "eventTypes": endpoint.event_types,
            "isActive": endpoint.is_active,
        },
    )


@transaction.atomic
def webhook_endpoint_create(
    *,
    workspace: Workspace,
    actor: Actor,
    url: str,
    event_types: list[str] | None = None,
    payload_format: str = WebhookEndpoint.PayloadFormat.STANDARD,
    timeout_seconds: int = 10,
    retry_attempts: int = 5,
    description: str = "",
    is_active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver after checking its URL; returns it and its secret, which is
    not shown again."""
    cleaned = webhook_settings_clean(
        {
            "url": url,
            "event_types": event_types if event_types is not None else ["lead.created"],
            "timeout_seconds": timeout_seconds,
            "retry_attempts": retry_attempts,
            "description": description,
            "is_active": is_active,
        }
    )
    secret = webhook_secret_generate(payload_format)
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        payload_format=payload_format,
        secret=secret,
        created_by=actor.created_by_user,
        **cleaned,
    )
    _audit(endpoint, actor, "webhook_created", f"Webhook registered: {endpoint.url}")
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor: Actor, data: Mapping[str, Any]
) -> WebhookEndpoint:
    """Change the named settings; a new URL is checked like a new registration."""
    allowed = {"url", "event_types", "timeout_seconds", "retry_attempts", "description"}
    allowed.add("is_active")
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"webhook fields not writable: {sorted(unknown)}")
    cleaned = webhook_settings_clean(data)
    changed = [name for name, value in cleaned.items() if getattr(endpoint, name) != value]
    for name in changed:
        setattr(endpoint, name, cleaned[name])
    if changed:
        endpoint.save(update_fields=[*changed, "updated_at"])
        _audit(endpoint, actor, "webhook_updated", f"Webhook changed: {', '.join(changed)}")
    return endpoint


@transaction.atomic
def webhook_secret_rotate(
    *, endpoint: WebhookEndpoint, actor: Actor, now: datetime | None = None
) -> str:
    """Mint a new secret. The previous one keeps signing beside it for 24 hours, so a
    receiver can switch without missing a delivery."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + SECRET_OVERLAP
    endpoint.secret = webhook_secret_generate(endpoint.payload_format)
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    _audit(endpoint, actor, "webhook_secret_rotated", "Webhook secret rotated")
    return endpoint.secret


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookEndpoint:
    """Soft delete: the endpoint stops receiving and disappears from lists; its delivery
    log stays for the record."""
    if endpoint.deleted_at is None:
        endpoint.deleted_at = timezone.now()
        endpoint.is_active = False
        endpoint.save(update_fields=["deleted_at", "is_active", "updated_at"])
        _audit(endpoint, actor, "webhook_deleted", f"Webhook deleted: {endpoint.url}")
    return endpoint


# --- signing ----------------------------------------------------------------------------


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, then the previous one while its overlap lasts."""
    found = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        found.append(endpoint.previous_secret)
    return found


def _standard_key(secret: str) -> bytes:
    """The Standard Webhooks key inside a `[mega_]whsec_<base64>` secret."""
    return base64.b64decode(secret.split("whsec_", 1)[-1] + "==")


def mega_signature(secret: str, timestamp: int, body: bytes) -> str:
    """MEGA's documented signature: sha256=hex(HMAC_SHA256(secret, timestamp + "." + body))."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_signature_headers(
    endpoint: WebhookEndpoint, *, message_id: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The signature headers of one attempt: Standard Webhooks (one `v1,` entry per live
    secret) and X-Mega-* (X-Mega-Signature-Previous carries the old secret's signature
    during a rotation)."""
    timestamp = int(now.timestamp())
    signing = _signing_secrets(endpoint, now)
    text = body.decode()
    standard = " ".join(
        Webhook(_standard_key(s)).sign(
            msg_id=message_id, timestamp=datetime.fromtimestamp(timestamp, UTC), data=text
        )
        for s in signing
    )
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard,
        "X-Mega-Signature": mega_signature(signing[0], timestamp, body),
        "X-Mega-Timestamp": str(timestamp),
        "X-Mega-Delivery": message_id,
    }
    if len(signing) > 1:
        headers["X-Mega-Signature-Previous"] = mega_signature(signing[1], timestamp, body)
    return headers


# --- delivery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str = ""
    response_body: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header as seconds from now (it may be seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def retry_delay(attempt: int, *, retry_after: float | None = None) -> float:
    """Seconds before the next try after `attempt` failures: exponential from
    WEBHOOK_RETRY_BASE_SECONDS, capped, with ±WEBHOOK_RETRY_JITTER so receivers that fail
    together do not get hammered together. A Retry-After is honoured (within a day)."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    base = min(base, settings.WEBHOOK_RETRY_MAX_SECONDS)
    jitter = settings.WEBHOOK_RETRY_JITTER
    delay = base * random.uniform(1 - jitter, 1 + jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 24 * 3600))
    return delay


def _pinned_url(target: WebhookTarget, address: str) -> str:
    parts = urlsplit(target.url)
    host = f"[{address}]" if ":" in address else address
    default = 443 if target.scheme == "https" else 80
    netloc = host if target.port == default else f"{host}:{target.port}"
    return urlunsplit((target.scheme, netloc, parts.path or "/", parts.query, ""))


def _host_header(target: WebhookTarget) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


@dataclass(frozen=True)
class _Claim:
    """A delivery a batch claimed ahead of sending it."""

    lease_until: datetime
    delivery: WebhookDelivery
    claimed_at: float  # time.monotonic()


@dataclass(frozen=True)
class _Delivered:
    """A successful attempt whose outcome is not written yet."""

    delivery_id: int
    lease_until: datetime
    delivered_at: datetime
    status_code: int | None
    response_body: str


class DeliveryBatch:
    """What a worker shares while sending a batch: each endpoint read once, one
    keep-alive HTTP client per endpoint (connections are reused only for the same
    endpoint: a pooled TLS connection must never serve another host name that happens
    to share the address), the deliveries claimed ahead of sending them, and the
    successes not written yet. Close it when done: that writes the successes left and
    gives back what was claimed but not sent."""

    def __init__(self) -> None:
        self.endpoints: dict[int, WebhookEndpoint] = {}
        self.clients: dict[int, httpx.Client] = {}
        self.claims: dict[int, _Claim] = {}
        self.delivered: list[_Delivered] = []
        self._delivered_since = 0.0
        self._delivered_lease_ends: datetime | None = None
        self._relaxed = False

    def relax_commits(self) -> None:
        """On PostgreSQL, stop waiting for each lease and outcome to reach the disk
        (synchronous_commit off for this connection until close). Every claim and
        outcome statement commits; the disk flush was most of a delivery's time when each
        delivery committed twice. A crash of the database server can then lose the last
        fraction of a second of outcomes: those events are sent again, which
        at-least-once delivery (receivers dedupe on webhook-id) already allows. Business
        writes never run inside a batch."""
        if connection.vendor == "postgresql" and not self._relaxed:
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")
            self._relaxed = True

    def endpoint(self, endpoint_id: int) -> WebhookEndpoint:
        if endpoint_id not in self.endpoints:
            self.endpoints[endpoint_id] = WebhookEndpoint.objects.get(pk=endpoint_id)
        return self.endpoints[endpoint_id]

    def client(self, endpoint: WebhookEndpoint) -> httpx.Client:
        if endpoint.pk not in self.clients:
            self.clients[endpoint.pk] = httpx.Client(
                timeout=httpx.Timeout(endpoint.timeout_seconds),
                follow_redirects=False,
                trust_env=False,
                verify=_tls_context(),
            )
        return self.clients[endpoint.pk]

    # --- claims ahead of sending

    def claim(self, delivery_ids: list[int], now: datetime) -> None:
        """Claim the deliveries about to be sent, in one statement (see _claim_deliveries);
        those another worker holds, or not due, are left out."""
        claimed_at = time.monotonic()
        lease_until, rows = _claim_deliveries(delivery_ids, now)
        for row in rows:
            self.claims[row.pk] = _Claim(lease_until, row, claimed_at)

    def take_claim(self, delivery_id: int) -> tuple[datetime, WebhookDelivery] | None:
        """The lease and row of a delivery this batch claimed ahead, None if it did not.
        One that waited long for its turn gets its lease renewed first, so it is sent
        with as much lease left as a delivery claimed just now."""
        claim = self.claims.pop(delivery_id, None)
        if claim is None:
            return None
        waited = time.monotonic() - claim.claimed_at
        if waited < CLAIM_RENEW_AFTER_SECONDS:
            return claim.lease_until, claim.delivery
        renewed = claim.lease_until + timedelta(seconds=waited)
        if not WebhookDelivery.objects.filter(
            pk=delivery_id, locked_until=claim.lease_until
        ).update(locked_until=renewed):
            return None
        return renewed, claim.delivery

    def release_claims(self) -> None:
        """Give back the deliveries claimed ahead but not sent (the batch stopped early):
        due again at once, the attempt not counted."""
        claims, self.claims = self.claims, {}
        by_lease: dict[datetime, list[int]] = {}
        for delivery_id, claim in claims.items():
            by_lease.setdefault(claim.lease_until, []).append(delivery_id)
        for lease_until, ids in by_lease.items():
            WebhookDelivery.objects.filter(pk__in=ids, locked_until=lease_until).update(
                locked_until=None, attempts=F("attempts") - 1
            )

    # --- successes written together

    def keep_delivered(self, delivered: _Delivered) -> None:
        """Hold a success to write with the next ones (one statement instead of one per
        delivery, which was a third of a delivery's time)."""
        if not self.delivered:
            self._delivered_since = time.monotonic()
        ends = self._delivered_lease_ends
        if ends is None or delivered.lease_until < ends:
            self._delivered_lease_ends = delivered.lease_until
        self.delivered.append(delivered)
        if len(self.delivered) >= DELIVERED_BUFFER_ROWS:
            self.write_delivered()

    def before_sending(self, seconds: float) -> None:
        """Write the held successes before a send that may take `seconds`, if they are
        old enough or that send could outlast the lease they are written under."""
        ends = self._delivered_lease_ends
        if ends is None:
            return
        if time.monotonic() - self._delivered_since >= DELIVERED_BUFFER_SECONDS or (
            ends <= timezone.now() + timedelta(seconds=seconds + LEASE_MARGIN_SECONDS)
        ):
            self.write_delivered()

    def write_delivered(self) -> None:
        """Write the held successes, each only while its lease is still held."""
        rows, self.delivered = self.delivered, []
        self._delivered_lease_ends = None
        if rows:
            _record_delivered(rows)

    def close(self) -> None:
        try:
            self.write_delivered()
            self.release_claims()
        finally:
            for client in self.clients.values():
                client.close()
            self.clients.clear()
            if self._relaxed:
                self._relaxed = False
                with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                    cursor.execute("SET synchronous_commit TO DEFAULT")

    def __enter__(self) -> "DeliveryBatch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _post(
    target: WebhookTarget,
    body: bytes,
    headers: dict[str, str],
    timeout: int,
    client: httpx.Client,
) -> AttemptResult:
    """POST to the validated addresses in turn (the next only if connecting fails),
    never following redirects, reading at most RESPONSE_BODY_LIMIT bytes back."""
    deadline = time.monotonic() + timeout
    last_error = ""
    request_headers = {
        **headers,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": _host_header(target),
    }
    for address in target.addresses:
        extensions = {}
        if target.scheme == "https":
            # Connect to the checked address but speak TLS (SNI and certificate
            # check) for the host name in the URL.
            extensions["sni_hostname"] = target.host
        try:
            request = client.build_request(
                "POST",
                _pinned_url(target, address),
                content=body,
                headers=request_headers,
                extensions=extensions,
            )
            response = client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last_error = f"Could not connect to {address}: {exc}"
            continue
        except httpx.TimeoutException:
            return AttemptResult(None, f"Timed out after {timeout} s")
        except httpx.HTTPError as exc:
            return AttemptResult(None, f"{type(exc).__name__}: {exc}")
        try:
            received = b""
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= RESPONSE_BODY_LIMIT or time.monotonic() > deadline:
                    break
        except httpx.HTTPError:
            pass  # the status line is what counts; the body is only kept for the log
        finally:
            response.close()
        text = received[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace")
        return AttemptResult(
            response.status_code,
            "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}",
            text,
            retry_after_seconds(response.headers.get("Retry-After"), timezone.now()),
        )
    return AttemptResult(None, last_error or "Could not connect")


def _claim_deliveries(
    delivery_ids: list[int], now: datetime
) -> tuple[datetime, list[WebhookDelivery]]:
    """Take the lease on the due deliveries among these and read them, in one statement;
    those not due, already delivered or held by another worker are left out. The
    attempt is counted here, so a worker that dies mid-delivery still uses up one try
    and a poison event cannot loop forever."""
    lease_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    if not delivery_ids:
        return lease_until, []
    table = WebhookDelivery._meta.db_table
    ids = ", ".join(["%s"] * len(delivery_ids))
    rows = list(
        WebhookDelivery.objects.raw(
            f"UPDATE {table} SET locked_until = %s, attempts = attempts + 1 "
            f"WHERE id IN ({ids}) AND status = %s AND next_attempt_at <= %s "
            "AND (locked_until IS NULL OR locked_until <= %s) RETURNING *",
            [lease_until, *delivery_ids, WebhookDelivery.Status.PENDING, now, now],
        )
    )
    return lease_until, rows


def _claim_delivery(delivery_id: int, now: datetime) -> tuple[datetime, WebhookDelivery] | None:
    """The lease and row of one delivery just claimed, or None (see _claim_deliveries)."""
    lease_until, rows = _claim_deliveries([delivery_id], now)
    return (lease_until, rows[0]) if rows else None


def _claim(delivery_id: int, now: datetime) -> datetime | None:
    """The lease a worker got on a delivery, or None (see _claim_delivery)."""
    claimed = _claim_delivery(delivery_id, now)
    return claimed[0] if claimed else None


def _record(delivery_id: int, lease_until: datetime, **values: Any) -> bool:
    """Write an attempt's outcome, but only while we still hold the lease: a worker that
    overran it must not overwrite the outcome of the worker that took over."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, locked_until=lease_until).update(
            locked_until=None, **values
        )
    )


def _record_delivered(rows: list[_Delivered]) -> None:
    """Write many successes at once, each only while its lease is held (like _record):
    on PostgreSQL one UPDATE … FROM unnest(…) whose text is the same for any number of
    rows, so the server plans it once per connection."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            for row in rows:
                _record(
                    row.delivery_id,
                    row.lease_until,
                    status=WebhookDelivery.Status.SUCCEEDED,
                    delivered_at=row.delivered_at,
                    last_status_code=row.status_code,
                    last_error="",
                    last_response_body=row.response_body,
                )
        return
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET status = %s, locked_until = NULL, "
            "delivered_at = v.delivered_at, last_status_code = v.status_code, "
            "last_error = '', last_response_body = v.response_body "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], "
            "%s::smallint[], %s::text[]) "
            "AS v(id, lease_until, delivered_at, status_code, response_body) "
            "WHERE t.id = v.id AND t.locked_until = v.lease_until",
            [
                WebhookDelivery.Status.SUCCEEDED,
                [row.delivery_id for row in rows],
                [row.lease_until for row in rows],
                [row.delivered_at for row in rows],
                [row.status_code for row in rows],
                [row.response_body for row in rows],
            ],
        )


def webhook_deliver(
    *, delivery_id: int, now: datetime | None = None, batch: DeliveryBatch | None = None
) -> str:
    """Try to send one delivery now. Returns what happened: succeeded, retrying, failed,
    or busy (not due, already done, or another worker holds it)."""
    if batch is None:
        with DeliveryBatch() as own:
            return webhook_deliver(delivery_id=delivery_id, now=now, batch=own)
    now = now or timezone.now()
    claimed = batch.take_claim(delivery_id) or _claim_delivery(delivery_id, now)
    if claimed is None:
        return "busy"
    lease_until, delivery = claimed
    endpoint = batch.endpoint(delivery.endpoint_id)
    if endpoint.deleted_at is not None or not endpoint.is_active:
        reason = "deleted" if endpoint.deleted_at is not None else "disabled"
        _record(
            delivery_id,
            lease_until,
            status=WebhookDelivery.Status.FAILED,
            last_error=f"Not sent: the endpoint is {reason}.",
        )
        return "failed"

    body = delivery.body.encode()
    try:
        target = webhook_url_check(endpoint.url)
    except ValidationError as err:
        result = AttemptResult(None, "Refused before sending: " + " ".join(err.messages))
    else:
        headers = webhook_signature_headers(
            endpoint, message_id=str(delivery.event_id), body=body, now=timezone.now()
        )
        headers["X-Mega-Event"] = delivery.event_type
        batch.before_sending(endpoint.timeout_seconds * len(target.addresses))
        result = _post(target, body, headers, endpoint.timeout_seconds, batch.client(endpoint))

    common = {
        "last_status_code": result.status_code,
        "last_error": result.error[:2000],
        "last_response_body": result.response_body,
    }
    finished = max(now, timezone.now())
    if result.ok:
        batch.keep_delivered(
            _Delivered(delivery_id, lease_until, finished, result.status_code, result.response_body)
        )
        return "succeeded"
    if result.status_code == 410:
        # The receiver says the endpoint is gone for good: stop sending it anything.
        with transaction.atomic():
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                is_active=False, updated_at=timezone.now()
            )
            common["last_error"] = "HTTP 410 Gone: the endpoint was disabled."
            _record(delivery_id, lease_until, status=WebhookDelivery.Status.FAILED, **common)
        logger.warning("webhook endpoint %s answered 410 and was disabled", endpoint.uuid)
        return "failed"
    if delivery.attempts > endpoint.retry_attempts:
        _record(delivery_id, lease_until, status=WebhookDelivery.Status.FAILED, **common)
        return "failed"
    delay = retry_delay(delivery.attempts, retry_after=result.retry_after)
    _record(
        delivery_id,
        lease_until,
        next_attempt_at=max(now, timezone.now()) + timedelta(seconds=delay),
        **common,
    )
    return "retrying"


def webhook_deliveries_due(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Ids of pending deliveries that are due and not leased (or whose lease ran out)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliveries_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: send what is due (retries, and rows a dead worker left), for at most
    WEBHOOK_SWEEP_SECONDS so one slow receiver cannot hold a worker for long."""
    started = time.monotonic()
    due = webhook_deliveries_due(now=now, limit=settings.WEBHOOK_SWEEP_BATCH)
    return webhook_deliver_many(
        delivery_ids=due, now=now, stop_after=started + settings.WEBHOOK_SWEEP_SECONDS
    )


def webhook_deliver_many(
    *, delivery_ids: Iterable[int], now: datetime | None = None, stop_after: float | None = None
) -> dict[str, int]:
    """Send deliveries one after the other, sharing endpoint reads and connections,
    claiming a few ahead at a time; stop early (the rest stays due) once time.monotonic()
    passes `stop_after`."""
    outcomes: dict[str, int] = {}
    ids = list(delivery_ids)
    with DeliveryBatch() as batch:
        batch.relax_commits()
        started = time.monotonic()
        claimed_up_to = 0
        for done, delivery_id in enumerate(ids):
            if done >= claimed_up_to:
                ahead = 1
                if done:
                    pace = (time.monotonic() - started) / done
                    ahead = int(CLAIM_AHEAD_SECONDS / pace) if pace > 0 else CLAIM_AHEAD_ROWS
                    ahead = max(1, min(ahead, CLAIM_AHEAD_ROWS))
                claimed_up_to = done + ahead
                batch.claim(ids[done:claimed_up_to], now or timezone.now())
            outcome = webhook_deliver(delivery_id=delivery_id, now=now, batch=batch)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if stop_after is not None and time.monotonic() > stop_after:
                break
    return outcomes


@transaction.atomic
def webhook_deliveries_redeliver(*, deliveries: Iterable[WebhookDelivery]) -> list[int]:
    """Queue deliveries again from scratch (the admin's "redeliver"): same event id and
    body, a fresh set of tries, sent right after commit."""
    ids = [d.pk for d in deliveries]
    if not ids:
        return []
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        locked_until=None,
        delivered_at=None,
    )
    transaction.on_commit(lambda: _deliver_after_commit(ids))
    return ids


def _deliver_after_commit(delivery_ids: list[int]) -> None:
    """Hand freshly committed deliveries to a worker. If queueing fails, the periodic
    sweep still finds them: the outbox row is the source of truth, not the queue."""
    from leads.tasks import webhook_deliveries_send

    try:
        webhook_deliveries_send.enqueue(delivery_ids=delivery_ids)
    except Exception:
        logger.exception("could not queue webhook deliveries %s; the sweep will", delivery_ids)


on_deliveries_committed(_deliver_after_commit)
