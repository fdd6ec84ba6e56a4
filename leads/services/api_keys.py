"""API keys: minting and verifying.

A key reads `lb_<prefix>_<secret><checksum>`: the prefix is public and indexed, the
secret is 30 random base62 characters, and the 6-character checksum (CRC32 of the rest)
lets a mistyped or truncated key be refused without a database query. Only a SHA-256
of the whole key is stored. Pulse's login takes the key in two halves:
apiKey = `lb_<prefix>`, apiSecret = `<secret><checksum>`.
"""

import hashlib
import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog, ApiKey, User, Workspace
from leads.services.timeline import actionlog_record

_ALPHABET = string.digits + string.ascii_letters
_KEY_RE = re.compile(r"^lb_([0-9A-Za-z]{12})_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$")
LAST_USED_RESOLUTION_SECONDS = 60


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), 6)


def _random(width: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(width))


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    raw: str


def api_key_parse(raw: str) -> ParsedKey | None:
    """Recognise a well-formed key with a valid checksum, without touching the database."""
    match = _KEY_RE.match(raw or "")
    if match is None:
        return None
    prefix, secret, checksum = match.groups()
    if not hmac.compare_digest(_checksum(f"lb_{prefix}_{secret}"), checksum):
        return None
    return ParsedKey(prefix=prefix, raw=raw)


def api_key_join(api_key: str, api_secret: str) -> str:
    """The full key from Pulse's apiKey/apiSecret halves."""
    return f"{api_key}_{api_secret}"


@transaction.atomic
def api_key_create(
    *,
    workspace: Workspace,
    name: str,
    scopes: list[str] | None = None,
    created_by: User | None = None,
    expires_at: "timezone.datetime | None" = None,
) -> tuple[ApiKey, str]:
    """Mint a key (every scope when `scopes` is None). Returns the row and the secret,
    which is never shown again."""
    scopes = list(ApiKey.Scope.values) if scopes is None else list(dict.fromkeys(scopes))
    if not scopes:
        # A key without scopes authenticates but may do nothing: always a mistake.
        raise ValidationError({"scopes": "Choose at least one scope."})
    unknown = [s for s in scopes if s not in ApiKey.Scope.values]
    if unknown:
        known = ", ".join(ApiKey.Scope.values)
        raise ValidationError({"scopes": f"Unknown scope: {', '.join(unknown)}. Known: {known}."})
    if not name.strip():
        raise ValidationError({"name": "Give the key a name."})
    prefix = _random(12)
    body = f"lb_{prefix}_{_random(30)}"
    raw = body + _checksum(body)
    key = ApiKey.objects.create(
        workspace=workspace,
        name=name.strip()[:100],
        prefix=prefix,
        secret_hash=key_hash(raw),
        scopes=scopes,
        created_by=created_by,
        expires_at=expires_at,
    )
    return key, raw


def api_key_verify(raw: str) -> ApiKey | None:
    """The usable key for a raw secret, or None (unknown, revoked, expired, mistyped).
    The secret is compared in constant time."""
    parsed = api_key_parse(raw)
    if parsed is None:
        return None
    key = (
        ApiKey.objects.select_related("workspace", "created_by")
        .filter(prefix=parsed.prefix)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, key_hash(parsed.raw)):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    if (
        key.last_used_at is None
        or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def _key_audit(key: ApiKey, actor: Actor, event: str, summary: str) -> None:
    actionlog_record(
        workspace=key.workspace,
        actor=actor,
        type=ActionLog.Type.SETTINGS,
        event=event,
        summary=summary,
        input={
            "apiKey": key.display_prefix,
            "name": key.name,
            "scopes": key.scopes,
            "expiresAt": key.expires_at.isoformat() if key.expires_at else None,
        },
    )


@transaction.atomic
def api_key_issue(
    *,
    workspace: Workspace,
    actor: Actor,
    name: str,
    scopes: list[str],
    expires_at: "timezone.datetime | None" = None,
) -> tuple[ApiKey, str]:
    """Mint a key for someone managing the workspace (settings page, command line),
    recorded in the audit trail (the secret never is). Returns the row and the secret,
    shown once."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose a time in the future."})
    key, secret = api_key_create(
        workspace=workspace,
        name=name,
        scopes=scopes,
        created_by=actor.created_by_user,
        expires_at=expires_at,
    )
    _key_audit(key, actor, "api_key_created", f"API key “{key.name}” created")
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    """Revoke a key for good: every request with it is refused from now on. Revoking a
    revoked key changes nothing and records nothing."""
    key = ApiKey.objects.select_for_update().select_related("workspace").get(pk=key.pk)
    if key.revoked_at is None:
        key.revoke()
        _key_audit(key, actor, "api_key_revoked", f"API key “{key.name}” revoked")
    return key
