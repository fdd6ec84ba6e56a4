"""One authentication path for every family: the credential names the workspace.

Accepted credentials:
- an API key, as `x-api-key: KEY` or `Authorization: Bearer KEY`, on every family;
- a Pulse session token (from POST /api/auth/login), as `Authorization: Bearer TOKEN`,
  on the families that accept it.
Keys are never read from the query string."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiSession
from leads.models import ApiKey, Membership, User, Workspace
from leads.services.api_keys import api_key_verify

ROLE_SCOPES: dict[str, frozenset[str]] = {
    Membership.Role.OWNER: frozenset(ApiKey.Scope.values),
    Membership.Role.ADMIN: frozenset(ApiKey.Scope.values),
    Membership.Role.MANAGER: frozenset(
        {"leads:read", "leads:write", "campaigns:read", "campaigns:write"}
    ),
    Membership.Role.AGENT: frozenset(
        {"leads:read", "leads:write", "campaigns:read", "campaigns:write"}
    ),
    Membership.Role.VIEWER: frozenset({"leads:read", "campaigns:read"}),
}
_SESSION_SALT = "leadbook.pulse-session"


@dataclass(frozen=True)
class Credential:
    """Who is calling and for which workspace."""

    workspace: Workspace
    scopes: frozenset[str]
    api_key: ApiKey | None = None
    user: User | None = None
    membership: Membership | None = None
    session: ApiSession | None = None

    @property
    def rate_limit_identity(self) -> str:
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        return f"user:{self.user.pk if self.user else 'none'}:{self.workspace.pk}"

    @property
    def email(self) -> str:
        if self.user is not None:
            return self.user.email
        if self.api_key is not None and self.api_key.created_by is not None:
            return self.api_key.created_by.email
        return ""


class ApiClient:
    """request.user for API requests: authenticated, but not a staff-page session."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, credential: Credential) -> None:
        self.credential = credential
        self.email = credential.email

    def __str__(self) -> str:
        return self.email or "API client"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_create(
    *,
    workspace: Workspace,
    api_key: ApiKey | None = None,
    user: User | None = None,
    membership: Membership | None = None,
) -> tuple[ApiSession, str]:
    """A signed, expiring session token. Only its hash is stored."""
    token = signing.dumps({"n": secrets.token_urlsafe(24)}, salt=_SESSION_SALT, compress=False)
    session = ApiSession.objects.create(
        workspace=workspace,
        token_hash=_hash(token),
        api_key=api_key,
        user=user,
        membership=membership,
        expires_at=timezone.now() + timedelta(seconds=settings.PULSE_TOKEN_TTL_SECONDS),
    )
    return session, token


def session_verify(token: str) -> ApiSession | None:
    try:
        signing.loads(token, salt=_SESSION_SALT, max_age=settings.PULSE_TOKEN_TTL_SECONDS)
    except signing.BadSignature:
        return None
    session = (
        ApiSession.objects.select_related("workspace", "api_key__created_by", "user", "membership")
        .filter(token_hash=_hash(token))
        .first()
    )
    now = timezone.now()
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return None
    if session.api_key is not None and not session.api_key.is_usable(now):
        return None
    if session.membership is not None and not (
        session.membership.is_active and session.user and session.user.is_active
    ):
        return None
    return session


def credential_for_key(key: ApiKey) -> Credential:
    return Credential(workspace=key.workspace, scopes=frozenset(key.scopes), api_key=key)


def credential_for_session(session: ApiSession) -> Credential:
    if session.api_key is not None:
        scopes = frozenset(session.api_key.scopes)
    else:
        scopes = (
            ROLE_SCOPES.get(session.membership.role, frozenset())
            if session.membership
            else frozenset()
        )
    return Credential(
        workspace=session.workspace,
        scopes=scopes,
        api_key=session.api_key,
        user=session.user,
        membership=session.membership,
        session=session,
    )


def _presented_token(request: Request) -> tuple[str | None, bool]:
    """The raw credential and whether it came as Bearer."""
    header_key = request.headers.get("x-api-key")
    if header_key is not None:
        # Present is presented: an empty x-api-key is an invalid key, never a reason to
        # fall back to another header.
        return header_key.strip(), False
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), True
    return None, False


class CredentialAuthentication(authentication.BaseAuthentication):
    """API key or (where the family allows) Pulse session token → Credential."""

    def authenticate(self, request: Request) -> tuple[ApiClient, Credential] | None:
        raw, bearer = _presented_token(request)
        if raw is None:
            return None
        view = request.parser_context.get("view") if request.parser_context else None
        family = getattr(view, "family", None)
        credential = None
        if raw.startswith("lb_"):
            key = api_key_verify(raw)
            if key is not None:
                credential = credential_for_key(key)
        elif bearer and family is not None and family.accepts_session_tokens:
            session = session_verify(raw)
            if session is not None:
                credential = credential_for_session(session)
        if credential is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked credentials.")
        return ApiClient(credential), credential

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class CredentialAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.CredentialAuthentication"
    name = ["ApiKeyHeader", "BearerAuth"]

    def get_security_requirement(self, auto_schema: object) -> list[dict[str, list]]:
        # Either header authenticates; the default would list both in one requirement,
        # which OpenAPI reads as "send both".
        return [{"ApiKeyHeader": []}, {"BearerAuth": []}]

    def get_security_definition(self, auto_schema: object) -> list[dict[str, str]]:
        return [
            {"type": "apiKey", "in": "header", "name": "x-api-key"},
            {"type": "http", "scheme": "bearer"},
        ]
