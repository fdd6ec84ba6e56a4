"""The API platform: credentials, tenant headers, error envelopes, idempotency, rate
limits and audit metadata, exercised through one probe endpoint per family."""

import json
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from api.authentication import session_create
from api.idempotency import idempotency_purge
from api.models import IdempotencyRecord
from leads.models import ActionLog, ApiKey, Lead
from leads.services.api_keys import api_key_create
from tests.api import platform_urls
from tests.concurrency import run_in_threads

pytestmark = pytest.mark.urls("tests.api.platform_urls")

PREFIX = {
    "omni": "/api/v1/",
    "mega": "/api/agents/crm/",
    "pulse": "/api/",
    "autocalls": "/api/user/",
}
FAMILIES = list(PREFIX)


def headers_for(family: str, key: str | None, workspace=None, **extra: str) -> dict[str, str]:
    h: dict[str, str] = {}
    if key is not None:
        if family == "omni":
            h["x-api-key"] = key
        else:
            h["Authorization"] = f"Bearer {key}"
    if family == "mega" and workspace is not None:
        h["x-customer-id"] = str(workspace.uuid)
    h.update(extra)
    return h


def call(client, family, method, path, *, key=None, workspace=None, body=None, **extra):
    url = PREFIX[family] + path
    kwargs = {"headers": headers_for(family, key, workspace, **extra)}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(url, **kwargs)


def error_message(family: str, body: dict) -> str:
    return {
        "omni": lambda b: b["error"]["message"],
        "mega": lambda b: b["error"]["message"],
        "pulse": lambda b: b["error"],
        "autocalls": lambda b: b["message"],
    }[family](body)


def error_code(family: str, body: dict) -> str:
    return {
        "omni": lambda b: b["error"]["code"],
        "mega": lambda b: b["error"]["reason"],
        "pulse": lambda b: b["code"],
        "autocalls": lambda b: b["code"],
    }[family](body)


def assert_envelope(family: str, response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    if family == "omni":
        assert body["success"] is False and set(body["error"]) == {"code", "message", "details"}
    elif family == "mega":
        assert body["error"]["code"] == status and body["error"]["type"]
    elif family == "pulse":
        assert isinstance(body["error"], str) and "message" in body
    else:
        assert isinstance(body["message"], str)
    assert error_code(family, body) == code
    assert "Traceback" not in response.text


# --- credentials -------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_no_credential_is_401_in_the_family_envelope(client, family, ws_a):
    response = call(client, family, "get", "probe", workspace=ws_a)
    assert_envelope(family, response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("family", FAMILIES)
def test_a_valid_key_reads_its_own_workspace(client, family, ws_a, key_a):
    response = call(client, family, "get", "probe", key=key_a, workspace=ws_a)
    assert response.status_code == 200
    assert response.json() == {"leads": []}


def test_both_header_styles_are_accepted_everywhere(client, ws_a, key_a):
    for family in FAMILIES:
        for style in ({"x-api-key": key_a}, {"Authorization": f"Bearer {key_a}"}):
            extra = {"x-customer-id": str(ws_a.uuid)} if family == "mega" else {}
            response = client.get(PREFIX[family] + "probe", headers={**style, **extra})
            assert response.status_code == 200, (family, style)


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_revoked_and_expired_keys_get_401(client, family, ws_a, alice):
    revoked, revoked_secret = api_key_create(workspace=ws_a, name="r")
    revoked.revoke()
    expired_secret = api_key_create(
        workspace=ws_a, name="e", expires_at=timezone.now() - timedelta(minutes=1)
    )[1]
    good = api_key_create(workspace=ws_a, name="g")[1]
    mistyped = good[:-1] + ("A" if good[-1] != "A" else "B")
    for secret in (revoked_secret, expired_secret, mistyped, "lb_nonsense", "mega_" + "0" * 64):
        response = call(client, family, "get", "probe", key=secret, workspace=ws_a)
        assert_envelope(family, response, 401, "unauthenticated")


@pytest.mark.parametrize("family", FAMILIES)
def test_an_empty_x_api_key_is_refused_even_beside_a_valid_bearer(client, family, ws_a, key_a):
    """A credential header that is sent is the credential: an empty one is not skipped in
    favour of another (Schemathesis' ignored_auth check found the fallback)."""
    response = call(client, family, "get", "probe", key=key_a, workspace=ws_a, **{"x-api-key": ""})
    if family == "omni":  # omni's helper sends the key as x-api-key: send it as Bearer too
        response = client.get(
            "/api/v1/probe", headers={"x-api-key": "", "Authorization": f"Bearer {key_a}"}
        )
    assert_envelope(family, response, 401, "unauthenticated")


def test_keys_in_the_query_string_are_ignored(client, ws_a, key_a):
    assert client.get(f"/api/v1/probe?api_key={key_a}").status_code == 401
    assert client.get(f"/api/v1/probe?token={key_a}").status_code == 401


@pytest.mark.parametrize("family", FAMILIES)
def test_a_key_without_the_scope_gets_403(client, family, ws_a):
    secret = api_key_create(workspace=ws_a, name="ro", scopes=["leads:read"])[1]
    assert call(client, family, "get", "probe", key=secret, workspace=ws_a).status_code == 200
    response = call(
        client, family, "post", "probe", key=secret, workspace=ws_a, body={"first_name": "X"}
    )
    assert_envelope(family, response, 403, "forbidden")
    assert "leads:write" in error_message(family, response.json())
    assert Lead.objects.count() == 0


def test_mega_needs_its_own_customer_id(client, ws_a, ws_b, key_a):
    url = "/api/agents/crm/probe"
    bearer = {"Authorization": f"Bearer {key_a}"}
    missing = client.get(url, headers=bearer)
    assert_envelope("mega", missing, 401, "unauthenticated")
    assert missing.json()["error"]["type"] == "authentication_error"
    other = client.get(url, headers={**bearer, "x-customer-id": str(ws_b.uuid)})
    assert_envelope("mega", other, 403, "forbidden")
    assert other.json()["error"]["type"] == "authorization_error"
    malformed = client.get(url, headers={**bearer, "x-customer-id": "not-a-uuid"})
    assert malformed.status_code == 403
    own = client.get(url, headers={**bearer, "x-customer-id": str(ws_a.uuid).upper()})
    assert own.status_code == 200


def test_pulse_account_header_is_optional_but_must_match(client, ws_a, ws_b, key_a):
    bearer = {"Authorization": f"Bearer {key_a}"}
    assert client.get("/api/probe", headers=bearer).status_code == 200
    own = client.get("/api/probe", headers={**bearer, "x-account-id": ws_a.account_id})
    assert own.status_code == 200
    other = client.get("/api/probe", headers={**bearer, "x-account-id": ws_b.account_id})
    assert_envelope("pulse", other, 403, "forbidden")


def test_pulse_session_tokens_work_on_pulse_only(client, ws_a, alice):
    key, _ = api_key_create(workspace=ws_a, name="pulse")
    _, token = session_create(workspace=ws_a, api_key=key)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/probe", headers=bearer).status_code == 200
    assert client.get("/api/user/probe", headers=bearer).status_code == 401
    key.revoke()
    assert client.get("/api/probe", headers=bearer).status_code == 401


def test_expired_pulse_session_tokens_are_refused(client, ws_a):
    key, _ = api_key_create(workspace=ws_a, name="pulse")
    session, token = session_create(workspace=ws_a, api_key=key)
    session.expires_at = timezone.now() - timedelta(seconds=1)
    session.save()
    assert client.get("/api/probe", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_another_workspace_row_is_404_like_a_missing_one(client, ws_a, ws_b, key_a, key_b):
    mine = Lead.objects.create(workspace=ws_a, first_name="Mine")
    theirs = Lead.objects.create(workspace=ws_b, first_name="Theirs")
    assert call(client, "omni", "get", f"probe/{mine.pk}", key=key_a).status_code == 200
    foreign = call(client, "omni", "get", f"probe/{theirs.pk}", key=key_a)
    missing = call(client, "omni", "get", "probe/999999", key=key_a)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    listed = call(client, "omni", "get", "probe", key=key_b).json()["leads"]
    assert [row["id"] for row in listed] == [theirs.pk]


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_validation_errors_name_the_field(client, family, ws_a, key_a):
    response = call(client, family, "post", "probe", key=key_a, workspace=ws_a, body={})
    status = 422 if family == "autocalls" else 400
    assert_envelope(family, response, status, "validation_error")
    assert "first_name" in error_message(family, response.json())
    if family == "autocalls":
        assert response.json()["errors"] == {"first_name": ["This field is required."]}


@pytest.mark.parametrize("family", FAMILIES)
def test_service_validation_errors_keep_the_family_envelope(client, family, ws_a, key_a):
    response = call(
        client,
        family,
        "post",
        "probe",
        key=key_a,
        workspace=ws_a,
        body={"first_name": "X", "phone": "12"},
    )
    assert response.status_code == (422 if family == "autocalls" else 400)
    assert "not a valid phone number" in json.dumps(response.json())
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    ['[{"first_name": "X"}]', '"just text"', "null", {"first_name": "X", "refuse": "service"}],
)
def test_an_autocalls_422_not_tied_to_a_field_still_lists_errors(client, ws_a, key_a, body):
    """Laravel answers every 422 with `errors`; a client reading errors must not crash."""
    response = call(client, "autocalls", "post", "probe", key=key_a, body=body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["errors"] == {"body": [payload["message"]]}
    assert Lead.objects.count() == 0


def test_an_autocalls_422_raised_by_a_view_without_a_field_lists_errors(client, ws_a, key_a):
    body = {"first_name": "X", "refuse": "view"}
    response = call(client, "autocalls", "post", "probe", key=key_a, body=body)
    assert response.status_code == 422
    assert response.json() == {
        "message": "This lead is opted out.",
        "code": "refused",
        "errors": {"body": ["This lead is opted out."]},
    }


def test_the_other_families_keep_an_error_without_a_field_in_the_message(client, ws_a, key_a):
    body = {"first_name": "X", "refuse": "service"}
    omni = call(client, "omni", "post", "probe", key=key_a, body=body).json()
    assert omni["error"]["details"] is None
    assert omni["error"]["message"] == "Nothing to call in this campaign."
    pulse = call(client, "pulse", "post", "probe", key=key_a, body=body).json()
    assert "fields" not in pulse and pulse["code"] == "nothing_to_call"


@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_json_wrong_type_and_huge_bodies_are_clear_4xx(client, family, ws_a, key_a):
    malformed = call(client, family, "post", "probe", key=key_a, workspace=ws_a, body="{nope")
    assert_envelope(family, malformed, 400, "malformed_request")
    not_object = call(client, family, "post", "probe", key=key_a, workspace=ws_a, body="[1, 2]")
    assert not_object.status_code in (400, 422)
    wrong_type = call(
        client,
        family,
        "post",
        "probe",
        key=key_a,
        workspace=ws_a,
        body={"first_name": "X", "count": "many"},
    )
    assert wrong_type.status_code in (400, 422)
    assert "count" in json.dumps(wrong_type.json())
    form = client.post(
        PREFIX[family] + "probe",
        data="first_name=X",
        content_type="text/plain",
        headers=headers_for(family, key_a, ws_a),
    )
    assert_envelope(family, form, 415, "unsupported_media_type")
    with override_settings(API_MAX_BODY_BYTES=2048):
        huge = call(
            client,
            family,
            "post",
            "probe",
            key=key_a,
            workspace=ws_a,
            body={"first_name": "x" * 5000},
        )
    assert_envelope(family, huge, 413, "payload_too_large")
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_a_nul_character_anywhere_in_the_json_is_a_400_not_a_database_error(
    client, family, ws_a, key_a
):
    """PostgreSQL cannot store U+0000 in text or jsonb (fuzzing found the 500)."""
    for body in ('{"first_name": "A\\u0000B"}', '{"first_name": "A", "x": {"k\\u0000": 1}}'):
        response = call(client, family, "post", "probe", key=key_a, workspace=ws_a, body=body)
        assert_envelope(family, response, 400, "malformed_request")
    escaped = call(
        client,
        family,
        "post",
        "probe",
        key=key_a,
        workspace=ws_a,
        body='{"first_name": "A\\\\u0000"}',
    )
    assert escaped.status_code == 201  # a backslash followed by "u0000" is just text
    assert Lead.objects.get().first_name == "A\\u0000"


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_paths_and_methods_answer_in_the_family_envelope(client, family, ws_a, key_a):
    missing = call(client, family, "get", "no-such-thing", key=key_a, workspace=ws_a)
    assert_envelope(family, missing, 404, "not_found")
    wrong_method = call(client, family, "put", "probe", key=key_a, workspace=ws_a, body={})
    assert_envelope(family, wrong_method, 405, "method_not_allowed")


@pytest.mark.parametrize("family", FAMILIES)
def test_a_host_we_do_not_serve_is_a_400_in_the_family_envelope(client, family, ws_a, key_a):
    headers = headers_for(family, key_a, ws_a)
    response = client.get(PREFIX[family] + "probe", headers=headers, HTTP_HOST="evil.example")
    assert_envelope(family, response, 400, "bad_request")
    assert "evil.example" not in response.text
    staff = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert staff.status_code == 400 and staff["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("family", FAMILIES)
def test_an_unexpected_error_is_a_500_in_the_envelope_with_nothing_written(
    client, family, ws_a, key_a
):
    response = call(
        client,
        family,
        "post",
        "probe",
        key=key_a,
        workspace=ws_a,
        body={"first_name": "X", "boom": True},
    )
    assert_envelope(family, response, 500, "internal_error")
    assert "boom" not in response.text
    assert Lead.objects.count() == 0
    assert ActionLog.objects.count() == 0


# --- idempotency -------------------------------------------------------------------


def idem(client, key_a, body, idem_key, workspace=None, family="omni", path="probe"):
    return call(
        client,
        family,
        "post",
        path,
        key=key_a,
        workspace=workspace,
        body=body,
        **{"Idempotency-Key": idem_key},
    )


def test_the_same_key_and_body_replays_the_stored_response(client, ws_a, key_a):
    first = idem(client, key_a, {"first_name": "Ida"}, "k-1")
    replays = [idem(client, key_a, {"first_name": "Ida"}, "k-1") for _ in range(10)]
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    for replay in replays:
        assert replay.status_code == 201
        assert replay.content == first.content
        assert replay["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1
    assert ActionLog.objects.filter(event="lead_created").count() == 1


def test_the_same_key_with_a_different_body_is_409(client, ws_a, key_a):
    idem(client, key_a, {"first_name": "Ida"}, "k-2")
    for _family in ("omni", "mega"):
        response = idem(client, key_a, {"first_name": "Other"}, "k-2", ws_a, family="omni")
        assert_envelope("omni", response, 409, "idempotency_key_reused")
    assert Lead.objects.get().first_name == "Ida"


def test_rejected_requests_are_not_stored_under_the_key(client, ws_a, key_a):
    assert idem(client, "lb_wrong", {"first_name": "A"}, "k-3").status_code == 401
    assert idem(client, key_a, {}, "k-3").status_code == 400
    assert idem(client, key_a, {"first_name": "A", "boom": True}, "k-3").status_code == 500
    assert IdempotencyRecord.objects.count() == 0
    assert idem(client, key_a, {"first_name": "A"}, "k-3").status_code == 201
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("bad", ["x" * 256, "", "tab\there"])
def test_malformed_keys_are_400(client, ws_a, key_a, bad):
    response = idem(client, key_a, {"first_name": "A"}, bad)
    assert_envelope("omni", response, 400, "idempotency_key_invalid")
    assert Lead.objects.count() == 0


def test_keys_are_scoped_to_workspace_and_endpoint(client, ws_a, ws_b, key_a, key_b):
    a = idem(client, key_a, {"first_name": "Same"}, "shared")
    b = idem(client, key_b, {"first_name": "Same"}, "shared")
    other_endpoint = idem(client, key_a, {"first_name": "Same"}, "shared", ws_a, family="mega")
    assert a.status_code == b.status_code == other_endpoint.status_code == 201
    assert len({a.json()["id"], b.json()["id"], other_endpoint.json()["id"]}) == 3
    assert "Idempotent-Replayed" not in b
    assert Lead.objects.filter(workspace=ws_b).count() == 1


def test_records_are_purged_after_the_retention_period(client, ws_a, key_a):
    first = idem(client, key_a, {"first_name": "Old"}, "k-old")
    assert idempotency_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_purge(now=timezone.now() + timedelta(hours=24, seconds=1)) == 1
    again = idem(client, key_a, {"first_name": "Old"}, "k-old")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


def test_an_expired_record_is_not_replayed_even_before_the_purge(client, ws_a, key_a):
    idem(client, key_a, {"first_name": "Old"}, "k-exp")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = idem(client, key_a, {"first_name": "Old"}, "k-exp")
    assert "Idempotent-Replayed" not in again
    assert Lead.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_with_one_key_write_once(ws_a, key_a):
    assert connection.vendor == "postgresql"

    def send(_: int):
        response = idem(Client(), key_a, {"first_name": "Race"}, "race-key")
        return response.status_code, response.content, response.get("Retry-After")

    results, errors = run_in_threads(50, send)
    assert errors == []
    assert Lead.objects.filter(workspace=ws_a).count() == 1
    ok = [r for r in results if r[0] == 201]
    assert ok and len({r[1] for r in ok}) == 1
    for status, content, retry_after in results:
        assert status in (201, 409), status
        if status == 409:
            assert json.loads(content)["error"]["code"] == "idempotency_request_in_progress"
            assert retry_after == "1"


def test_a_key_sent_with_and_without_the_trailing_slash_is_one_key(client, ws_a, key_a):
    """Pulse answers /api/leads and /api/leads/ alike: a retry that adds the slash must
    replay, not create the lead a second time."""
    body = {"firstName": "Sla", "lastName": "Sh"}
    first = call(client, "pulse", "post", "leads", key=key_a, body=body, **{"Idempotency-Key": "s"})
    again = call(
        client, "pulse", "post", "leads/", key=key_a, body=body, **{"Idempotency-Key": "s"}
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Lead.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_key_still_in_use_is_409_in_progress_then_replays_once_it_commits(
    ws_a, key_a, monkeypatch
):
    assert connection.vendor == "postgresql"
    claimed, release = threading.Event(), threading.Event()
    real_create = platform_urls.lead_create

    def slow_create(**kwargs):
        claimed.set()  # the first request holds its claim from here until it commits
        assert release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(platform_urls, "lead_create", slow_create)
    body = {"first_name": "Slow"}
    first: list = []
    worker = threading.Thread(
        target=lambda: (first.append(idem(Client(), key_a, body, "busy")), connections.close_all())
    )
    worker.start()
    try:
        assert claimed.wait(10)
        with connection.cursor() as cursor:  # wait 0.3 s on the claim, not 10 s
            cursor.execute("SET lock_timeout = '300ms'")
        busy = idem(Client(), key_a, body, "busy")
    finally:
        release.set()
        worker.join()
    assert_envelope("omni", busy, 409, "idempotency_request_in_progress")
    assert busy["Retry-After"] == "1"
    assert first[0].status_code == 201
    replay = idem(Client(), key_a, body, "busy")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.content == first[0].content
    assert Lead.objects.count() == 1


def test_the_worker_purges_idempotency_records_periodically(client, ws_a, key_a):
    schedule = dict(settings.PERIODIC_TASKS)
    assert schedule["api.tasks.idempotency_purge"] <= 24 * 3600
    idem(client, key_a, {"first_name": "Old"}, "k-sched")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    import_string("api.tasks.idempotency_purge").call()
    assert not IdempotencyRecord.objects.exists()


# --- rate limits -------------------------------------------------------------------


def test_every_response_carries_rate_limit_headers(client, ws_a, key_a):
    response = call(client, "omni", "get", "probe", key=key_a)
    assert int(response["RateLimit-Limit"]) == 600
    assert int(response["RateLimit-Remaining"]) == 599
    assert 0 < int(response["RateLimit-Reset"]) <= 61
    unauthenticated = call(client, "omni", "get", "probe")
    assert "RateLimit-Remaining" in unauthenticated


@pytest.mark.parametrize("family", FAMILIES)
def test_over_the_workspace_limit_is_429_with_retry_after(client, family, ws_a, key_a):
    ws_a.rate_limit_per_minute = 3
    ws_a.save()
    statuses = [
        call(client, family, "get", "probe", key=key_a, workspace=ws_a).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = call(client, family, "get", "probe", key=key_a, workspace=ws_a)
    assert_envelope(family, limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1
    assert limited["RateLimit-Remaining"] == "0"
    if family == "mega":
        assert limited.json()["error"]["type"] == "rate_limit_error"


@pytest.mark.parametrize("family", FAMILIES)
@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_guessing_keys_counts_per_client_ip_and_ends_in_429(client, family, ws_a, key_a):
    guesses = [
        call(client, family, "get", "probe", key=f"lb_guess{n}", workspace=ws_a) for n in range(3)
    ]
    for n, guess in enumerate(guesses):
        assert_envelope(family, guess, 401, "unauthenticated")
        assert (guess["RateLimit-Limit"], guess["RateLimit-Remaining"]) == ("3", str(2 - n))
    limited = call(client, family, "get", "probe", key="lb_guess4", workspace=ws_a)
    assert_envelope(family, limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1 and limited["RateLimit-Remaining"] == "0"
    # The same bucket as requests without a credential, for this address only; a valid
    # key counts on its own.
    assert call(client, family, "get", "probe", workspace=ws_a).status_code == 429
    elsewhere = client.get(
        PREFIX[family] + "probe",
        headers=headers_for(family, "lb_guess5", ws_a),
        REMOTE_ADDR="192.0.2.7",
    )
    assert elsewhere.status_code == 401
    assert call(client, family, "get", "probe", key=key_a, workspace=ws_a).status_code == 200


@pytest.mark.parametrize("family", FAMILIES)
def test_refusals_before_the_view_carry_rate_limit_headers(client, family, ws_a, key_a):
    with override_settings(API_MAX_BODY_BYTES=2048):
        huge = {"first_name": "x" * 5000}
        anonymous = call(client, family, "post", "probe", workspace=ws_a, body=huge)
        keyed = call(client, family, "post", "probe", key=key_a, workspace=ws_a, body=huge)
    missing = call(client, family, "get", "no-such-thing", key=key_a, workspace=ws_a)
    assert_envelope(family, anonymous, 413, "payload_too_large")
    assert_envelope(family, keyed, 413, "payload_too_large")
    assert_envelope(family, missing, 404, "not_found")
    # No credential read: the unknown path counts per address, after the anonymous 413.
    assert [r["RateLimit-Remaining"] for r in (anonymous, keyed, missing)] == ["599", "599", "598"]
    for response in (anonymous, keyed, missing):
        assert response["RateLimit-Limit"] == "600" and int(response["RateLimit-Reset"]) > 0


def test_bulk_requests_count_in_their_own_bucket(client, ws_a, key_a):
    ws_a.bulk_rate_limit_per_minute = 1
    ws_a.save()
    body = {"first_name": "B"}
    assert call(client, "omni", "post", "probe/bulk", key=key_a, body=body).status_code == 201
    assert call(client, "omni", "post", "probe/bulk", key=key_a, body=body).status_code == 429
    assert call(client, "omni", "post", "probe", key=key_a, body=body).status_code == 201


def test_limits_are_per_key(client, ws_a, key_a):
    ws_a.rate_limit_per_minute = 1
    ws_a.save()
    other = api_key_create(workspace=ws_a, name="other")[1]
    assert call(client, "omni", "get", "probe", key=key_a).status_code == 200
    assert call(client, "omni", "get", "probe", key=key_a).status_code == 429
    assert call(client, "omni", "get", "probe", key=other).status_code == 200


# --- audit metadata ----------------------------------------------------------------


def test_writes_record_the_request_with_secrets_masked(client, ws_a, key_a):
    call(
        client,
        "omni",
        "post",
        "probe",
        key=key_a,
        body={"first_name": "Audit"},
        **{
            "Cookie": "sessionid=cookie-canary-123",
            "X-Session-Token": "token-canary-456",
            "X-Trace": "visible-value",
            "Idempotency-Key": "idem-canary-789",
        },
    )
    log = ActionLog.objects.get(event="lead_created")
    key = ApiKey.objects.get(workspace=ws_a)
    assert (log.request_method, log.request_path, log.request_ip) == (
        "POST",
        "/api/v1/probe",
        "127.0.0.1",
    )
    assert log.actor_key == key
    assert log.actor_label == f"API key {key.name} ({key.display_prefix})"
    assert log.request_headers["x-api-key"] == "[masked]"
    assert log.request_headers["cookie"] == "[masked]"
    assert log.request_headers["x-session-token"] == "[masked]"
    assert log.request_headers["x-trace"] == "visible-value"
    stored = json.dumps(list(ActionLog.objects.values()), default=str)
    for secret in (key_a, "cookie-canary-123", "token-canary-456", "idem-canary-789"):
        assert secret not in stored


def test_forwarded_for_is_trusted_only_when_configured(client, ws_a, key_a):
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    call(client, "omni", "post", "probe", key=key_a, body={"first_name": "A"}, **spoof)
    with override_settings(TRUSTED_PROXY_COUNT=1):
        call(client, "omni", "post", "probe", key=key_a, body={"first_name": "B"}, **spoof)
    ips = dict(
        ActionLog.objects.filter(event="lead_created").values_list("lead__first_name", "request_ip")
    )
    assert ips == {"A": "127.0.0.1", "B": "203.0.113.9"}
