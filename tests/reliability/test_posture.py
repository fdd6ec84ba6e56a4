"""Deployment posture and secrets (DEP-1..6, AUTH-2, AUD-2, AUD-4, RES-4).

Key and session-token checks are constant-time (AUTH-11): below, a spy on
hmac.compare_digest sees every check of a presented API key or Pulse session token.

Already proven elsewhere: the login lockout (tests/leads/test_staff_accounts.py,
tests/api/pulse/test_auth.py), keys in the query string are ignored
(tests/api/test_platform.py), SSRF at send time, DNS rebinding and redirects not followed
(tests/leads/test_webhooks.py)."""

import hmac
import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.urls import resolve
from django.utils import timezone

from api.authentication import session_create
from api.models import ApiSession
from campaigns.models import Campaign
from leads.actors import Actor
from leads.models import (
    ApiKey,
    ImportJob,
    Lead,
    Membership,
    SavedView,
    User,
    WebhookEndpoint,
    Workspace,
)
from leads.services.api_keys import api_key_create, key_hash
from leads.services.imports import import_job_create
from leads.services.leads import lead_create
from leads.services.merge import lead_merge
from tests.reliability.routes import STAFF_ROUTES
from tests.reliability.test_tenancy import fill, snapshot, staff_call
from tests.reliability.world import Tenant, csv_upload

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DEBUG": "0",
    "HTTPS": "1",
    "BEHIND_TLS_PROXY": "1",
    "ALLOWED_HOSTS": "leads.example.com",
    "DJANGO_SETTINGS_MODULE": "leads_project.settings",
}


def _production_environ(**env: str) -> dict[str, str]:
    """This process's environment, less what tests set for themselves (the browser
    tests' DJANGO_ALLOW_ASYNC_UNSAFE, the test database), plus production settings."""
    skip = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environ = {k: v for k, v in os.environ.items() if k not in skip}
    environ.update(SECRET_KEY=secrets.token_urlsafe(50), **env)
    return environ


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    environ = _production_environ(**env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
    )


def test_the_production_settings_pass_djangos_deployment_checks():
    """DEP-1, with nothing silenced; and the check has teeth: without HTTPS it fails."""
    done = _check_deploy(**PRODUCTION_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout
    plain = _check_deploy(**{**PRODUCTION_ENV, "HTTPS": "0"})
    assert plain.returncode != 0 and "security.W004" in plain.stderr + plain.stdout


HTTPS_SETTINGS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


@override_settings(**HTTPS_SETTINGS)
def test_pages_served_behind_a_tls_proxy_carry_every_security_header(alice):
    """DEP-2 and DEP-4: HTTP is redirected to HTTPS; over HTTPS every header is there
    and the cookies are Secure (the session's HttpOnly), SameSite=Lax."""
    plain = Client().get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = page["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    signed_in = client.post(
        "/accounts/login/", {"username": alice.user.email, "password": "correct-horse-battery"}
    )
    assert signed_in.status_code == 302
    session, csrf = signed_in.cookies["sessionid"], page.cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    admin = client.get("/admin/login/")
    assert admin["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in admin


def test_passwords_are_stored_with_a_strong_hasher_and_validated():
    """DEP-5 against the production settings (tests use MD5 for speed)."""
    code = (
        "import django; django.setup();"
        "from django.contrib.auth.hashers import make_password;"
        "from django.contrib.auth.password_validation import get_default_password_validators;"
        "print(make_password('x').split('$')[0], len(get_default_password_validators()))"
    )
    environ = _production_environ(**PRODUCTION_ENV)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    algorithm, validators = out.stdout.split()[-2:]
    assert algorithm in ("argon2", "pbkdf2_sha256", "scrypt") and int(validators) >= 4


@override_settings(DEBUG=False)
def test_errors_show_a_generic_page_without_a_trace_or_settings(client, alice):
    """DEP-6: a 404 and a 500 with DEBUG off say nothing about the code or settings."""
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    crashing = Client(raise_request_exception=False)
    crashing.force_login(alice.user)
    with _crash_on("/"):
        broken = crashing.get("/")
    assert broken.status_code == 500
    for response in (missing, broken):
        text = response.content.decode()
        assert "Traceback" not in text and "SECRET_KEY" not in text and "settings" not in text


class _crash_on:
    """Make the dashboard raise, as an unexpected bug would."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> None:
        from leads.views import workspace

        self.original = workspace.dashboard_figures
        workspace.dashboard_figures = lambda *a, **k: 1 / 0

    def __exit__(self, *exc: object) -> None:
        from leads.views import workspace

        workspace.dashboard_figures = self.original


# --- CSRF -------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """POST forms of a page, where each posts to (its action and its buttons'
    formaction) and whether it carries Django's CSRF token."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[dict] = []
        self.open = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "form":
            self.open = (values.get("method") or "get").lower() == "post"
            if self.open:
                self.forms.append({"actions": [values.get("action") or self.page], "token": False})
        elif not self.open:
            return
        elif tag == "input" and values.get("name") == "csrfmiddlewaretoken" and values.get("value"):
            self.forms[-1]["token"] = True
        elif tag == "button" and values.get("formaction"):
            self.forms[-1]["actions"].append(values["formaction"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.open = False


def _url_name(action: str) -> str:
    match = resolve(urlsplit(action).path)
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def _more_states(tenant: Tenant) -> list[tuple[str, str]]:
    """Pages whose forms show only in a state the world does not start in, and who sees
    them: an import that is running (stop) and one that is done (revert), a stopped
    campaign (start) and a manager's saved view (fill a campaign from it), a merged lead
    (undo, on both leads' pages), the call queue of the agent holding a number (outcome,
    give back), the lead list of the viewer who owns a saved view (delete), the header
    of someone in two workspaces (switch)."""
    owner = tenant.owner
    running, done = (
        import_job_create(workspace=tenant.workspace, member=owner, upload=csv_upload(name, "acme"))
        for name in ("running.csv", "done.csv")
    )
    ImportJob.objects.filter(pk=running.pk).update(status=ImportJob.Status.RUNNING)
    ImportJob.objects.filter(pk=done.pk).update(status=ImportJob.Status.COMPLETED, created_count=1)
    stopped = Campaign.objects.create(
        workspace=tenant.workspace, name="Stopped", status=Campaign.Status.STOPPED
    )
    SavedView.objects.create(workspace=tenant.workspace, membership=owner, name="Hot", query="")
    merged = lead_create(
        workspace=tenant.workspace,
        actor=Actor(user=owner.user, membership=owner),
        data={"first_name": "Merged", "email": tenant.lead.email},
        route=False,
    ).lead
    lead_merge(survivor=tenant.lead, merged=merged, actor=Actor.system(), choices={})
    other = Workspace.objects.create(name="Acme Two")
    Membership.objects.create(workspace=other, user=owner.user, role=Membership.Role.AGENT)
    return [
        ("owner", f"/imports/{running.pk}/"),
        ("owner", f"/imports/{done.pk}/"),
        ("owner", f"/campaigns/{stopped.pk}/"),
        ("owner", f"/leads/{merged.pk}/"),
        ("agent", f"/campaigns/{tenant.campaign.pk}/queue/"),
        ("viewer", "/leads/"),
    ]


def test_every_post_form_on_every_staff_page_carries_a_csrf_token(tenant_a):
    """DEP-3: every POST form of every staff page, as each member sees it (owner, agent,
    viewer), carries the token; and every staff POST route is where at least one of the
    forms seen posts to, so no form escapes the walk."""
    members = {"owner": tenant_a.owner, "agent": tenant_a.agent, "viewer": tenant_a.viewer}
    clients = {}
    for role, member in members.items():
        clients[role] = Client()
        clients[role].force_login(member.user)
    anonymous = Client()
    pages = {fill(r.path, tenant_a.ids) for r in STAFF_ROUTES if r.method == "get"}
    visits = [(role, page) for role in members for page in sorted(pages)]
    visits += [("owner", "/accounts/password/change/"), *_more_states(tenant_a)]
    visits += [
        (None, p) for p in ("/accounts/login/", "/accounts/password/reset/", "/admin/login/")
    ]
    posted_to: set[str] = set()
    seen = 0
    for role, page in visits:
        response = (clients[role] if role else anonymous).get(page)
        if response.streaming or response.status_code in (403, 404):
            continue  # a CSV export has no forms; a page this role may not open
        assert response.status_code == 200, (role, page)
        parser = _Forms(page)
        parser.feed(response.content.decode())
        missing = [f["actions"] for f in parser.forms if not f["token"]]
        assert missing == [], (role, page, missing)
        seen += len(parser.forms)
        posted_to |= {_url_name(a) for f in parser.forms for a in f["actions"]}
    assert seen >= 50
    unseen = {r.name for r in STAFF_ROUTES if r.method == "post"} - posted_to
    assert unseen == set(), "staff POST routes no form of any walked page posts to"


@pytest.mark.parametrize(
    "route", [r for r in STAFF_ROUTES if r.method == "post"], ids=lambda r: r.id
)
def test_every_staff_form_refuses_a_post_without_the_csrf_token(tenant_a, tenant_b, route):
    """DEP-3: the owner's own session, without the token, is refused and changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant_a.owner.user)
    before = snapshot(tenant_a.workspace)
    response = staff_call(client, route, tenant_a.ids)
    assert response.status_code == 403
    assert snapshot(tenant_a.workspace) == before


def test_account_forms_refuse_a_post_without_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    login = {"username": alice.user.email, "password": "correct-horse-battery"}
    assert client.post("/accounts/login/", login).status_code == 403
    assert client.post("/admin/login/", login).status_code == 403
    assert client.post("/accounts/password/reset/", {"email": alice.user.email}).status_code == 403
    client.force_login(alice.user)
    assert client.post("/accounts/logout/").status_code == 403
    change = {"old_password": "correct-horse-battery", "new_password1": "x", "new_password2": "x"}
    assert client.post("/accounts/password/change/", change).status_code == 403
    assert mail.outbox == []


def test_a_staff_session_is_no_credential_for_the_api_and_keys_need_no_csrf_token(client, tenant_a):
    """DEP-3: the API never reads the session cookie (so CSRF cannot ride on it), and an
    API-key POST needs no CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(tenant_a.owner.user)
    body = json.dumps({"firstName": "Riding"})
    riding = browser.post("/api/v1/leads", data=body, content_type="application/json")
    assert riding.status_code == 401
    keyed = Client(enforce_csrf_checks=True).post(
        "/api/v1/leads",
        data=body,
        content_type="application/json",
        headers={"x-api-key": tenant_a.key},
    )
    assert keyed.status_code == 201
    assert Lead.objects.filter(first_name="Riding").count() == 1


def test_every_check_of_a_key_or_session_token_compares_in_constant_time(
    client, monkeypatch, ws_a, alice
):
    """AUTH-11: wherever a presented API key or Pulse session token meets the value it must
    match, hmac.compare_digest does the comparing (Django's signing, which checks a
    session token's signature, calls it as secrets.compare_digest): a key with a
    mistyped checksum, a known key with the wrong secret, a revoked key and a good one; a
    session token with a tampered signature, a revoked session's token and a good one.
    A key whose prefix matches no key has no stored secret to compare (prefixes are
    public), and a session is found by the SHA-256 of a token whose signature was
    checked first."""
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str | bytes, b: str | bytes) -> bool:
        compared.append(tuple(v.decode() if isinstance(v, bytes) else v for v in (a, b)))
        return real(a, b)

    # secrets.compare_digest is the same function under the name Django's signing calls.
    assert secrets.compare_digest is real
    monkeypatch.setattr(hmac, "compare_digest", spy)
    monkeypatch.setattr(secrets, "compare_digest", spy)

    good, good_secret = api_key_create(workspace=ws_a, name="timing")
    revoked, revoked_secret = api_key_create(workspace=ws_a, name="revoked")
    revoked.revoke()
    wrong, wrong_secret = api_key_create(workspace=ws_a, name="wrong secret")
    ApiKey.objects.filter(pk=wrong.pk).update(secret_hash="f" * 64)  # as if another secret
    last = good_secret[-1]
    mistyped = good_secret[:-1] + ("A" if last != "A" else "B")
    keys = [
        ("mistyped checksum", mistyped, 401, (good_secret[-6:], mistyped[-6:])),
        ("wrong secret", wrong_secret, 401, ("f" * 64, key_hash(wrong_secret))),
        ("revoked key", revoked_secret, 401, (revoked.secret_hash, key_hash(revoked_secret))),
        ("good key", good_secret, 200, (good.secret_hash, key_hash(good_secret))),
    ]
    for name, secret, status, comparison in keys:
        compared.clear()
        assert client.get("/api/user/me", headers={"x-api-key": secret}).status_code == status
        assert comparison in compared, name

    token = session_create(workspace=ws_a, user=alice.user, membership=alice)[1]
    revoked_session, revoked_token = session_create(
        workspace=ws_a, user=alice.user, membership=alice
    )
    ApiSession.objects.filter(pk=revoked_session.pk).update(revoked_at=timezone.now())
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    tokens = [
        ("tampered signature", tampered, 401),
        ("revoked session", revoked_token, 401),
        ("good session", token, 200),
    ]
    for name, presented, status in tokens:
        compared.clear()
        bearer = {"Authorization": f"Bearer {presented}"}
        assert client.get("/api/auth/session", headers=bearer).status_code == status
        signature = presented.rsplit(":", 1)[1]
        assert signature in [a for a, _ in compared], name


# --- secrets at rest, in logs and on error pages ----------------------------------------


# The one place a secret rests by design: a webhook's signing secrets (current, and the
# previous one for a day after a rotation) must be kept to sign deliveries.
SECRET_COLUMNS = {WebhookEndpoint: {"secret", "previous_secret"}}


def _every_row() -> str:
    """Every row of every table of the project as text, the webhook signing secrets'
    own columns aside; session data decoded (it is stored encoded)."""
    chunks = []
    for model in apps.get_models():
        if not model._meta.managed:  # no table of its own (django-rq's dashboard)
            continue
        skip = SECRET_COLUMNS.get(model, set())
        columns = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
        chunks.append(json.dumps(list(model.objects.values(*columns)), default=str))
    sessions = [s.get_decoded() for s in Session.objects.all()]
    chunks.append(json.dumps(sessions, default=str))
    return "\n".join(chunks)


@override_settings(
    ADMINS=[("Ops", "ops@example.com")],
    LOGGING={
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"mail_admins": {"class": "django.utils.log.AdminEmailHandler"}},
        "loggers": {"django.request": {"handlers": ["mail_admins"], "level": "ERROR"}},
    },
)
def test_no_secret_sent_or_issued_is_kept_in_any_table_log_email_or_error_page(
    tenant_a, tenant_b, caplog, no_outbound_http, monkeypatch
):
    """AUTH-2, AUD-2, AUD-4: unique canaries in every credential header, a fresh API key,
    a Pulse session token, a webhook secret and passwords travel through successful,
    refused and crashing requests, and the settings pages issue a key, register a
    webhook and rotate its secret; then every table (sessions decoded), every log
    record, every email, every message shown to the user and every response body (but
    the one answer that shows each secret once) is searched for them."""
    import logging.config

    logging.config.dictConfig(settings.LOGGING)
    caplog.set_level(logging.DEBUG)
    ws = tenant_a.workspace
    key, key_secret = api_key_create(workspace=ws, name="canary key")
    _, token = session_create(workspace=ws, user=tenant_a.owner.user, membership=tenant_a.owner)
    password = "canary-password-" + secrets.token_hex(8)
    header_canaries = {
        "Cookie": "sessionid=canary-cookie-" + secrets.token_hex(8),
        "X-CSRFToken": "canary-csrf-" + secrets.token_hex(8),
        "Proxy-Authorization": "Basic canary-proxy-" + secrets.token_hex(8),
        "X-Session-Token": "canary-session-" + secrets.token_hex(8),
    }
    canaries = [key_secret, token, password, *header_canaries.values()]
    bodies: list[bytes] = []
    client = Client(raise_request_exception=False)

    def api(method: str, path: str, body: dict | None, **headers: str) -> None:
        kwargs = {"headers": {**header_canaries, **headers}}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        bodies.append(getattr(client, method)(path, **kwargs).content)

    auth = {"x-api-key": key_secret, "Idempotency-Key": "canary-idem"}
    api("post", "/api/v1/leads", {"firstName": "Canary"}, **auth)
    api("get", "/api/leads", None, Authorization=f"Bearer {token}")
    api("post", "/api/v1/leads", {"firstName": "Canary", "phoneNumber": "12"}, **auth)
    api("get", "/api/v1/leads/not-a-uuid", None, **auth)
    api("post", "/api/v1/leads", {"firstName": "No"}, **{"x-api-key": key_secret + "x"})
    hook = client.post(
        "/api/agents/crm/lead-webhooks",
        data=json.dumps(
            {"url": "https://hooks.example.com/canary", "event_types": ["lead.created"]}
        ),
        content_type="application/json",
        headers={**auth, "x-customer-id": str(ws.uuid), "Idempotency-Key": "canary-hook"},
    )
    assert hook.status_code == 201
    webhook_secret = hook.json()["secret"]
    canaries.append(webhook_secret)
    bodies.append(
        client.post(
            "/api/auth/login",
            data=json.dumps({"username": tenant_a.owner.user.email, "password": password}),
            content_type="application/json",
        ).content
    )
    bodies.append(
        client.post(
            "/accounts/login/", {"username": tenant_a.owner.user.email, "password": password}
        ).content
    )
    user = User.objects.create_user(email="canary@acme.test", password=password)
    # A crash inside an API view and inside a staff page, with the canaries on board.
    monkeypatch.setattr("api.omni.views.lead_create_with_checklist", lambda **kw: 1 / 0)
    api("post", "/api/v1/leads", {"firstName": "Crash"}, **{"x-api-key": key_secret})
    staff = Client(
        raise_request_exception=False,
        **{
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in header_canaries.items()
            if k != "Cookie"
        },
    )
    staff.force_login(tenant_a.owner.user)
    with _crash_on("/"):
        bodies.append(staff.get("/", headers={"X-Api-Key": key_secret}).content)
    # The settings pages: each secret is shown once (that answer is not searched), then
    # used, listed and shown again nowhere.
    shown: list[str] = []
    flashed: list[str] = []

    def page(method: str, path: str, data: dict | None = None, once: bool = False) -> Any:
        response = getattr(staff, method)(path, data or {})
        flashed.extend(str(m) for m in get_messages(response.wsgi_request))
        if once:
            assert response.status_code in (200, 201), (path, response.status_code)
            shown.append(response.context["secret"])
        else:
            bodies.append(response.content)
        return response

    page("post", "/settings/api-keys/", {"name": "Canary page key", "scopes": ["leads:read"]}, True)
    page_key = shown[-1]
    api("get", "/api/v1/leads/not-a-uuid", None, **{"x-api-key": page_key})
    hook_form = {
        "url": "https://hooks.example.com/canary-page",
        "event_types": ["lead.created"],
        "payload_format": "standard",
        "timeout_seconds": "10",
        "retry_attempts": "5",
        "is_active": "on",
    }
    page("post", "/settings/webhooks/", hook_form, True)
    page_hook = WebhookEndpoint.objects.get(url=hook_form["url"])
    page("post", f"/settings/webhooks/{page_hook.pk}/rotate-secret/", once=True)
    for path in (
        "/settings/api-keys/",
        "/settings/webhooks/",
        f"/settings/webhooks/{page_hook.pk}/",
    ):
        page("get", path)
    page("post", f"/settings/api-keys/{ApiKey.objects.get(name='Canary page key').pk}/revoke/")
    page("get", "/settings/audit/")
    audit_csv = staff.get("/settings/audit/export.csv")
    bodies.append(b"".join(audit_csv.streaming_content))
    canaries += shown

    stores = {
        "tables": _every_row(),
        "logs": "\n".join(
            f"{r.getMessage()} {r.exc_text or ''} {getattr(r, 'request', '')!r}"
            for r in caplog.records
        ),
        "emails": "\n".join(f"{m.subject}\n{m.body}\n{m.alternatives!r}" for m in mail.outbox),
        "messages": "\n".join(flashed),
        "responses": b"\n".join(bodies).decode("utf-8", "replace"),
    }
    assert mail.outbox, "the crash should have mailed the admins"
    assert user.password.startswith("md5$")  # hashed (tests use the MD5 hasher for speed)
    # Webhook secrets must be kept to sign deliveries: their own columns are the one place.
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.com/canary")
    page_hook.refresh_from_db()
    assert endpoint.secret == webhook_secret
    assert (page_hook.previous_secret, page_hook.secret) == (shown[1], shown[2])
    found = [
        f"{store}: {canary[:12]}…"
        for store, text in stores.items()
        for canary in canaries
        if canary in text and not (store == "responses" and canary == webhook_secret)
    ]
    assert found == []
    assert ApiKey.objects.get(pk=key.pk).secret_hash != key_secret
    assert ApiKey.objects.get(name="Canary page key").secret_hash not in (page_key, "")


# --- SSRF -------------------------------------------------------------------------------

SSRF_URLS = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3/hook",
    "https://localhost/hook",
    "https://api.localhost/hook",
    "https://[::1]/hook",
    "https://0.0.0.0/hook",
    "https://[::]/hook",
    "https://10.0.0.1/hook",
    "https://172.16.0.1/hook",
    "https://172.31.255.254/hook",
    "https://192.168.0.1/hook",
    "https://100.64.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[2002:7f00:1::]/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://017700000001/hook",
    "https://metadata.internal/hook",
    "https://printer.local/hook",
    "https://loopback.example.com/hook",  # resolves to 127.0.0.1
    "https://private.example.com/hook",  # resolves to 10.1.2.3
    "https://linklocal.example.com/hook",  # resolves to 169.254.169.254
    "https://mapped.example.com/hook",  # resolves to ::ffff:127.0.0.1
    "https://mixed.example.com/hook",  # one public and one private address
    "http://public.example.com/hook",  # not HTTPS
    "https://user:pass@public.example.com/hook",
]
DNS = {
    "loopback.example.com": ["127.0.0.1"],
    "private.example.com": ["10.1.2.3"],
    "linklocal.example.com": ["169.254.169.254"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.1"],
    "public.example.com": ["93.184.216.34"],
}


def test_every_unsafe_webhook_url_is_refused_at_registration_through_the_api(
    client, tenant_a, monkeypatch
):
    """RES-4: 100% of the list refused (400, writing nothing); the public control passes."""
    from leads.services import webhooks

    def resolve(host: str, port: int) -> list[str]:
        if host in DNS:
            return DNS[host]
        if re.fullmatch(r"[0-9a-fx.]+", host):
            return ["127.0.0.1"]  # what the C resolver makes of 2130706433, 0x7f000001, …
        raise OSError("no such host")

    monkeypatch.setattr(webhooks, "_resolve", resolve)
    headers = {"x-api-key": tenant_a.key, "x-customer-id": str(tenant_a.workspace.uuid)}
    before = WebhookEndpoint.objects.count()
    accepted = []
    for url in SSRF_URLS:
        response = client.post(
            "/api/agents/crm/lead-webhooks",
            data=json.dumps({"url": url, "event_types": ["lead.created"]}),
            content_type="application/json",
            headers=headers,
        )
        if response.status_code != 400 or "url" not in response.json()["error"].get("fields", {}):
            accepted.append((url, response.status_code))
    assert accepted == []
    assert WebhookEndpoint.objects.count() == before
    control = client.post(
        "/api/agents/crm/lead-webhooks",
        data=json.dumps(
            {"url": "https://public.example.com/hook", "event_types": ["lead.created"]}
        ),
        content_type="application/json",
        headers=headers,
    )
    assert control.status_code == 201
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_replayed_webhook_registration_does_not_bring_the_secret_back(
    client, tenant_a, no_outbound_http
):
    """The secret is shown once: the idempotency store keeps the answer without it."""
    from api.models import IdempotencyRecord

    headers = {
        "x-api-key": tenant_a.key,
        "x-customer-id": str(tenant_a.workspace.uuid),
        "Idempotency-Key": "register-once",
    }
    body = json.dumps({"url": "https://hooks.example.com/once", "event_types": ["lead.created"]})

    def register():
        return client.post(
            "/api/agents/crm/lead-webhooks",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    first, replay = register(), register()
    secret = first.json()["secret"]
    assert first.status_code == replay.status_code == 201
    assert secret.startswith("mega_whsec_") and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["secret"] is None
    assert replay.json()["webhook"] == first.json()["webhook"]
    assert secret not in IdempotencyRecord.objects.get(key="register-once").body
    assert WebhookEndpoint.objects.filter(url="https://hooks.example.com/once").count() == 1
