"""POST /api/auth/login and GET /api/auth/session: session tokens from an API key's two
halves or from a member's email and password."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.utils import timezone

from api.models import ApiSession
from leads.models import Lead
from leads.services.api_keys import api_key_create
from tests.api.pulse.conftest import pulse_for
from tests.conftest import make_member

PASSWORD = "correct-horse-battery"


def halves(secret: str) -> dict[str, str]:
    """apiKey = lb_<prefix>, apiSecret = the rest (docs/api.md)."""
    prefix, _, rest = secret[3:].partition("_")
    return {"apiKey": f"lb_{prefix}", "apiSecret": rest}


def login(client, body, **headers):
    return pulse_for(client, None).post("auth/login", body, headers=headers)


def test_an_api_key_and_secret_give_a_working_session_token(client, ws_a, alice, key_a):
    response = login(client, halves(key_a))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["primaryAccount"]["accountId"] == ws_a.account_id
    assert body["apiKey"]["apiKey"] == halves(key_a)["apiKey"]
    assert body["user"] is None
    assert "settings:manage" in body["permissions"]
    expires = timezone.datetime.fromisoformat(body["expiresAt"])
    assert timedelta(hours=11, minutes=59) < expires - timezone.now() <= timedelta(hours=12)
    token = body["token"]
    assert key_a not in token
    created = pulse_for(client, token).post("leads", {"firstName": "Via", "lastName": "Token"})
    assert created.status_code == 201
    assert created.json()["createdBy"] == "alice@acme.test"


def test_a_member_logs_in_with_email_and_password(client, ws_a, bob):
    response = login(client, {"username": "BOB@acme.test", "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == {"userId": bob.user.pk, "email": "bob@acme.test", "name": "Bob Agent"}
    assert body["primaryAccount"] == {
        "accountId": ws_a.account_id,
        "name": ws_a.name,
        "role": "agent",
    }
    assert "settings:manage" not in body["permissions"]
    api = pulse_for(client, body["token"])
    created = api.post("leads", {"firstName": "F", "lastName": "L"}).json()
    assert created["createdBy"] == "bob@acme.test"
    assert created["auditLog"][0]["user"] == "bob@acme.test"
    assert created["auditLog"][0]["apiKey"] is None
    assert api.post("teams", {"name": "Nope"}).status_code == 403


def test_the_session_endpoint_echoes_the_login_payload(client, ws_a, alice, key_a):
    body = login(client, halves(key_a)).json()
    echoed = pulse_for(client, body["token"]).get("auth/session")
    assert echoed.status_code == 200
    assert echoed.json() == body


def test_a_plain_api_key_is_a_bearer_credential_too(client, ws_a, alice, key_a):
    api = pulse_for(client, key_a)
    assert api.get("leads").status_code == 200
    session = api.get("auth/session").json()
    assert session["token"] is None
    assert session["primaryAccount"]["accountId"] == ws_a.account_id


@pytest.mark.parametrize(
    "body",
    [
        {"apiKey": "lb_nope", "apiSecret": "nope"},
        {"username": "alice@acme.test", "password": "wrong"},
        {"username": "nobody@acme.test", "password": PASSWORD},
    ],
)
def test_wrong_credentials_are_401(client, ws_a, alice, key_a, body):
    response = login(client, body)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert ApiSession.objects.count() == 0


def test_a_wrong_secret_for_a_real_key_is_401(client, ws_a, key_a):
    parts = halves(key_a)
    response = login(client, {**parts, "apiSecret": parts["apiSecret"][:-1] + "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "Invalid apiKey or apiSecret."


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"apiKey": "lb_x"},
        {"username": "a@b.test"},
        {"apiKey": "lb_x", "apiSecret": "y", "username": "a", "password": "b"},
    ],
)
def test_incomplete_logins_are_400(client, ws_a, body):
    response = login(client, body)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_revoked_keys_cannot_log_in_and_their_sessions_stop_working(client, ws_a):
    key, secret = api_key_create(workspace=ws_a, name="soon revoked")
    token = login(client, halves(secret)).json()["token"]
    key.revoke()
    assert login(client, halves(secret)).status_code == 401
    assert pulse_for(client, token).get("leads").status_code == 401


def test_tokens_expire(client, ws_a, key_a):
    token = login(client, halves(key_a)).json()["token"]
    ApiSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = pulse_for(client, token).get("leads")
    assert response.status_code == 401


@override_settings(PULSE_TOKEN_TTL_SECONDS=600)
def test_the_token_lifetime_is_configurable(client, ws_a, key_a):
    body = login(client, halves(key_a)).json()
    expires = timezone.datetime.fromisoformat(body["expiresAt"])
    assert timedelta(minutes=9) < expires - timezone.now() <= timedelta(minutes=10)


def test_the_account_header_selects_a_members_account(client, ws_a, ws_b, alice):
    make_member(ws_b, "multi@acme.test", "owner")
    make_member(ws_a, "multi-a@acme.test", "agent")
    from leads.models import Membership, User

    user = User.objects.get(email="multi@acme.test")
    Membership.objects.create(workspace=ws_a, user=user, role="viewer")
    to_b = login(client, {"username": "multi@acme.test", "password": PASSWORD})
    assert to_b.json()["primaryAccount"]["accountId"] == ws_b.account_id
    assert len(to_b.json()["accounts"]) == 2
    to_a = login(
        client,
        {"username": "multi@acme.test", "password": PASSWORD},
        **{"x-account-id": ws_a.account_id},
    )
    assert to_a.json()["primaryAccount"] == {
        "accountId": ws_a.account_id,
        "name": ws_a.name,
        "role": "viewer",
    }
    api = pulse_for(client, to_a.json()["token"])
    assert api.get("leads").status_code == 200
    assert api.post("leads", {"firstName": "F", "lastName": "L"}).status_code == 403


def test_logging_in_to_an_account_one_does_not_belong_to_is_403(client, ws_a, ws_b, alice, key_a):
    other = {"x-account-id": ws_b.account_id}
    assert login(client, halves(key_a), **other).status_code == 403
    by_password = login(client, {"username": "alice@acme.test", "password": PASSWORD}, **other)
    assert by_password.status_code == 403
    assert ApiSession.objects.count() == 0


def test_a_session_token_is_bound_to_its_account(client, ws_a, ws_b, alice, key_a):
    token = login(client, halves(key_a)).json()["token"]
    assert pulse_for(client, token, ws_a.account_id).get("leads").status_code == 200
    mismatch = pulse_for(client, token, ws_b.account_id).get("leads")
    assert mismatch.status_code == 403
    assert mismatch.json()["code"] == "forbidden"


def test_inactive_members_cannot_log_in(client, ws_a, bob):
    bob.is_active = False
    bob.save()
    response = login(client, {"username": "bob@acme.test", "password": PASSWORD})
    assert response.status_code == 403


def test_a_deactivated_member_loses_their_session(client, ws_a, bob):
    token = login(client, {"username": "bob@acme.test", "password": PASSWORD}).json()["token"]
    bob.is_active = False
    bob.save()
    assert pulse_for(client, token).get("leads").status_code == 401


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_username_out(client, ws_a, alice):
    statuses = [
        login(client, {"username": name, "password": "wrong"}).status_code
        for name in ("alice@acme.test", "ALICE@acme.test", "Alice@Acme.test")
    ]
    assert statuses[:2] == [401, 401]
    assert AccessAttempt.objects.get().failures_since_start == 3
    locked = login(client, {"username": "alice@acme.test", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert int(locked["Retry-After"]) > 0
    assert locked["Content-Type"] == "application/json"
    assert ApiSession.objects.count() == 0


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_successful_login_resets_the_failure_count(client, ws_a, alice):
    login(client, {"username": "alice@acme.test", "password": "wrong"})
    login(client, {"username": "alice@acme.test", "password": "wrong"})
    assert login(client, {"username": "alice@acme.test", "password": PASSWORD}).status_code == 200
    assert login(client, {"username": "alice@acme.test", "password": "wrong"}).status_code == 401
    assert login(client, {"username": "alice@acme.test", "password": PASSWORD}).status_code == 200


def test_login_needs_no_idempotency_key_and_stores_no_replay(client, ws_a, key_a):
    first = login(client, halves(key_a), **{"Idempotency-Key": "same"})
    second = login(client, halves(key_a), **{"Idempotency-Key": "same"})
    assert first.json()["token"] != second.json()["token"]
    assert "Idempotent-Replayed" not in second


def test_the_session_endpoint_needs_a_credential(client, ws_a):
    response = pulse_for(client, None).get("auth/session")
    assert response.status_code == 401
    assert Lead.objects.count() == 0
