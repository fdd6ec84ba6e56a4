"""Pulse login: exchanging apiKey + apiSecret, or username + password, for a session
token bound to one account (workspace)."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from rest_framework.request import Request

from api.authentication import ROLE_SCOPES, Credential, session_create
from api.errors import ApiError
from api.models import ApiSession
from api.pulse.errors import PULSE
from leads.models import ApiKey, Membership, User, Workspace
from leads.services.api_keys import api_key_join, api_key_verify

INVALID_KEY = "Invalid apiKey or apiSecret."
INVALID_PASSWORD = "Invalid username or password."


@dataclass(frozen=True)
class Login:
    session: ApiSession
    token: str


def _check_account_header(request: Request, workspace: Workspace) -> None:
    value = (request.headers.get(PULSE.tenant_header) or "").strip()
    if value and value != workspace.account_id:
        raise ApiError(
            403, "forbidden", f"These credentials do not give access to account {value}."
        )


def login_with_key(request: Request, *, api_key: str, api_secret: str) -> Login:
    """A session for the key whose public half is apiKey and secret half apiSecret."""
    key = api_key_verify(api_key_join(api_key.strip(), api_secret.strip()))
    if key is None:
        raise ApiError(401, "unauthenticated", INVALID_KEY)
    _check_account_header(request, key.workspace)
    session, token = session_create(workspace=key.workspace, api_key=key)
    return Login(session=session, token=token)


def login_with_password(request: Request, *, username: str, password: str) -> Login:
    """A session for a member who signs in with email and password. Goes through
    django.contrib.auth with the request, so django-axes counts failures and locks the
    username + address out after AXES_FAILURE_LIMIT of them."""
    # axes flags the lockout on the object it is given; handing it the DRF request keeps
    # its middleware from swapping our answer for its HTML lockout page.
    # Passed as `email` (the USERNAME_FIELD): axes records a failure under that key, and
    # under any other it would count failures for nobody and never lock anyone out.
    # Lower-cased so that changing the case of the address does not restart the count.
    user = authenticate(request, email=username.strip().lower(), password=password)
    if getattr(request, "axes_locked_out", False):
        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        raise ApiError(
            429,
            "locked_out",
            f"Too many failed sign-ins; try again in {minutes} minutes.",
            headers={"Retry-After": str(minutes * 60)},
        )
    if user is None or not user.is_active:
        raise ApiError(401, "unauthenticated", INVALID_PASSWORD)
    memberships = Membership.objects.select_related("workspace").filter(user=user, is_active=True)
    wanted = (request.headers.get(PULSE.tenant_header) or "").strip()
    if wanted:
        membership = memberships.filter(workspace__account_id=wanted).first()
        if membership is None:
            raise ApiError(403, "forbidden", f"You are not a member of account {wanted}.")
    else:
        membership = memberships.order_by("created_at", "id").first()
        if membership is None:
            raise ApiError(403, "forbidden", "You are not an active member of any account.")
    user_logged_in.send(sender=User, request=request, user=user)
    session, token = session_create(
        workspace=membership.workspace, user=user, membership=membership
    )
    return Login(session=session, token=token)


def _account(workspace: Workspace, role: str | None) -> dict[str, Any]:
    return {"accountId": workspace.account_id, "name": workspace.name, "role": role}


def session_payload(
    *,
    workspace: Workspace,
    scopes: frozenset[str],
    token: str | None,
    expires_at: Any,
    user: User | None,
    membership: Membership | None,
    api_key: ApiKey | None,
) -> dict[str, Any]:
    """What login returns and GET /auth/session echoes."""
    primary = _account(workspace, membership.role if membership else None)
    accounts = [primary]
    if user is not None:
        accounts = [
            _account(m.workspace, m.role)
            for m in Membership.objects.select_related("workspace")
            .filter(user=user, is_active=True)
            .order_by("created_at", "id")
        ]
    return {
        "token": token,
        "expiresAt": expires_at,
        "primaryAccount": primary,
        "accounts": accounts,
        "user": (
            {"userId": user.pk, "email": user.email, "name": membership.name}
            if user is not None and membership is not None
            else None
        ),
        "apiKey": ({"apiKey": api_key.display_prefix, "name": api_key.name} if api_key else None),
        "permissions": sorted(scopes),
    }


def login_payload(login: Login) -> dict[str, Any]:
    session = login.session
    scopes = (
        frozenset(session.api_key.scopes)
        if session.api_key
        else ROLE_SCOPES.get(session.membership.role, frozenset())
    )
    return session_payload(
        workspace=session.workspace,
        scopes=scopes,
        token=login.token,
        expires_at=session.expires_at,
        user=session.user,
        membership=session.membership,
        api_key=session.api_key,
    )


def credential_payload(credential: Credential, presented_token: str | None) -> dict[str, Any]:
    """The session payload for whatever credential the request carried: a session token
    echoes itself; a plain API key has no token to show."""
    session = credential.session
    return session_payload(
        workspace=credential.workspace,
        scopes=credential.scopes,
        token=presented_token if session is not None else None,
        expires_at=session.expires_at if session is not None else credential_key_expiry(credential),
        user=credential.user,
        membership=credential.membership,
        api_key=credential.api_key,
    )


def credential_key_expiry(credential: Credential) -> Any:
    return credential.api_key.expires_at if credential.api_key is not None else None
