"""/api/agents/crm/lead-webhooks and what MEGA-registered endpoints receive."""

import hashlib
import hmac
import json

import pytest
from standardwebhooks.webhooks import Webhook

from leads.actors import Actor
from leads.models import ActionLog, Lead, WebhookDelivery, WebhookEndpoint
from leads.services import webhooks
from leads.services.leads import lead_update
from leads.services.webhooks import webhook_endpoint_create
from tests.api.mega.conftest import MEGA_TIME, error
from tests.webhook_receiver import Receiver

WEBHOOK_KEYS = {
    "id",
    "url",
    "event_types",
    "is_active",
    "timeout_seconds",
    "retry_attempts",
    "description",
    "created_at",
    "updated_at",
}


@pytest.fixture
def public_dns(monkeypatch):
    table = {"api.your-company.com": ["93.184.216.34"], "internal.corp": ["10.0.0.5"]}
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: table[host])
    return table


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with Receiver() as r:
        yield r


def register(mega, url="https://api.your-company.com/hooks/mega-leads", **extra):
    return mega.post("lead-webhooks", {"url": url, "event_types": ["lead.created"], **extra})


def test_registering_returns_the_webhook_and_its_secret_once(mega_a, ws_a, public_dns):
    response = register(mega_a)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"webhook", "secret"}
    webhook = body["webhook"]
    assert set(webhook) == WEBHOOK_KEYS
    endpoint = WebhookEndpoint.objects.get()
    assert webhook["id"] == f"wh_{endpoint.uuid}"
    assert webhook["url"] == "https://api.your-company.com/hooks/mega-leads"
    assert webhook["event_types"] == ["lead.created"]
    assert (webhook["is_active"], webhook["timeout_seconds"], webhook["retry_attempts"]) == (
        True,
        10,
        5,
    )
    assert webhook["description"] is None
    assert MEGA_TIME.match(webhook["created_at"])
    assert body["secret"].startswith("mega_whsec_") and body["secret"] == endpoint.secret
    assert endpoint.payload_format == "mega" and endpoint.workspace == ws_a

    listed = mega_a.get("lead-webhooks")
    assert listed.status_code == 200
    assert listed.json() == {"webhooks": [webhook]}
    assert body["secret"] not in listed.text


@pytest.mark.parametrize(
    "url",
    [
        "http://api.your-company.com/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://192.168.0.10/hook",
        "https://internal.corp/hook",
    ],
)
def test_unsafe_urls_are_refused_at_registration(mega_a, public_dns, url):
    response = register(mega_a, url)
    assert response.status_code == 400
    assert error(response)["type"] == "invalid_request_error"
    assert "url" in error(response)["fields"]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": 61}, "timeout_seconds"),
        ({"retry_attempts": -1}, "retry_attempts"),
        ({"retry_attempts": 11}, "retry_attempts"),
        ({"event_types": ["lead.deleted"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"is_active": "sometimes"}, "is_active"),
    ],
)
def test_settings_out_of_range_are_a_400(mega_a, public_dns, extra, field):
    response = register(mega_a, **extra)
    assert response.status_code == 400 and field in error(response)["message"]
    assert WebhookEndpoint.objects.count() == 0


def test_every_lead_event_may_be_subscribed(mega_a, public_dns):
    events = ["lead.created", "lead.updated", "lead.completed", "lead.merged"]
    response = register(mega_a, event_types=events, timeout_seconds=60, retry_attempts=0)
    assert response.json()["webhook"]["event_types"] == events


def test_updating_changes_only_what_is_sent_and_rotation_returns_a_new_secret(mega_a, public_dns):
    created = register(mega_a).json()
    hook_id = created["webhook"]["id"]
    updated = mega_a.patch(
        f"lead-webhooks/{hook_id}", {"timeout_seconds": 30, "description": "Prod"}
    )
    assert updated.status_code == 200
    assert set(updated.json()) == {"webhook"}
    assert updated.json()["webhook"]["timeout_seconds"] == 30
    assert updated.json()["webhook"]["description"] == "Prod"
    assert updated.json()["webhook"]["retry_attempts"] == 5

    rotated = mega_a.patch(f"lead-webhooks/{hook_id}", {"rotate_secret": True})
    secret = rotated.json()["secret"]
    assert secret.startswith("mega_whsec_") and secret != created["secret"]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.secret, endpoint.previous_secret) == (secret, created["secret"])
    assert "secret" not in mega_a.patch(f"lead-webhooks/{hook_id}", {"is_active": False}).json()
    bare_uuid = hook_id.removeprefix("wh_")
    assert mega_a.patch(f"lead-webhooks/{bare_uuid}", {"is_active": True}).status_code == 200
    bad_url = mega_a.patch(f"lead-webhooks/{hook_id}", {"url": "https://10.1.1.1/x"})
    assert bad_url.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url == "https://api.your-company.com/hooks/mega-leads"


def test_deleting_is_a_soft_delete(mega_a, public_dns):
    hook_id = register(mega_a).json()["webhook"]["id"]
    response = mega_a.delete(f"lead-webhooks/{hook_id}")
    assert response.status_code == 200
    assert response.json()["deleted"] is True
    assert response.json()["webhook"]["is_active"] is False
    assert mega_a.get("lead-webhooks").json() == {"webhooks": []}
    assert mega_a.delete(f"lead-webhooks/{hook_id}").status_code == 404
    assert mega_a.patch(f"lead-webhooks/{hook_id}", {"is_active": True}).status_code == 404
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.deleted_at is not None
    assert ActionLog.objects.filter(event="webhook_deleted").count() == 1


def test_another_workspaces_webhook_is_a_404_like_a_missing_one(mega_a, mega_b, public_dns):
    hook_id = register(mega_a).json()["webhook"]["id"]
    assert mega_b.get("lead-webhooks").json() == {"webhooks": []}
    foreign = mega_b.patch(f"lead-webhooks/{hook_id}", {"is_active": False})
    missing = mega_b.patch("lead-webhooks/wh_00000000-0000-0000-0000-000000000000", {})
    garbage = mega_b.delete("lead-webhooks/not-an-id")
    assert foreign.status_code == missing.status_code == garbage.status_code == 404
    assert foreign.json() == missing.json() == garbage.json()
    assert mega_b.delete(f"lead-webhooks/{hook_id}").status_code == 404
    assert WebhookEndpoint.objects.get().is_active is True


def test_endpoints_registered_outside_this_family_are_not_listed(mega_a, ws_a, public_dns):
    webhook_endpoint_create(
        workspace=ws_a, actor=Actor.system(), url="https://api.your-company.com/std"
    )
    assert mega_a.get("lead-webhooks").json() == {"webhooks": []}


def test_managing_webhooks_needs_its_scope(mega_with_scopes, public_dns):
    leads_only = mega_with_scopes("leads:read", "leads:write")
    for response in (leads_only.get("lead-webhooks"), register(leads_only)):
        assert response.status_code == 403
        assert "webhooks:manage" in error(response)["message"]


# --- end to end: what a MEGA receiver gets -------------------------------------------------


def test_a_pushed_lead_reaches_the_receiver_in_the_documented_shape_signed_both_ways(
    mega_a, ws_a, pipeline_a, receiver, django_capture_on_commit_callbacks
):
    created = register(mega_a, receiver.url("/hooks/mega-leads")).json()
    secret = created["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        lead = mega_a.post(
            "leads",
            {
                "contact_name": "Jane Buyer",
                "contact_phone": "(206) 555-0123",
                "contact_email": "jane@example.com",
                "source_platform": "referral",
                "source_type": "form",
                "stage_slug": "new",
                "custom_fields": {"budget": "500000"},
            },
        ).json()["lead"]
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks/mega-leads"

    timestamp = got.headers["X-Mega-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + got.body, hashlib.sha256)
    assert hmac.compare_digest(got.headers["X-Mega-Signature"], "sha256=" + expected.hexdigest())
    Webhook(secret.removeprefix("mega_")).verify(got.body, got.headers)
    delivery = WebhookDelivery.objects.get()
    assert got.headers["X-Mega-Delivery"] == got.headers["webhook-id"] == str(delivery.event_id)

    payload = json.loads(got.body)
    assert set(payload) == {"event", "delivered_at", "lead"}
    assert payload["event"] == "lead.created"
    assert MEGA_TIME.match(payload["delivered_at"])
    assert payload["lead"] == {
        "id": lead["id"],
        "customer_id": str(ws_a.uuid),
        "contact_name": "Jane Buyer",
        "contact_phone": "+12065550123",
        "contact_email": "jane@example.com",
        "source_platform": "referral",
        "source_type": "form",
        "lead_line": None,
        "current_stage": {"slug": "new", "name": "New"},
        "custom_fields": {"budget": "500000"},
        "created_at": lead["created_at"],
        "updated_at": lead["updated_at"],
    }


def test_a_merge_sends_lead_merged_and_a_sparse_lead_updated(
    mega_a, ws_a, pipeline_a, receiver, django_capture_on_commit_callbacks
):
    register(mega_a, receiver.url(), event_types=["lead.updated", "lead.merged"])
    first = mega_a.post(
        "leads",
        {"contact_name": "Jo Ray", "contact_email": "jo@x.com", "custom_fields": {"budget": "1"}},
    ).json()["lead"]
    with django_capture_on_commit_callbacks(execute=True):
        mega_a.post(
            "leads",
            {"contact_email": "jo@x.com", "stage_slug": "won", "custom_fields": {"beds": 2}},
        )
    events = {json.loads(r.body)["event"]: json.loads(r.body) for r in receiver.requests}
    assert set(events) == {"lead.merged", "lead.updated"}
    merged = events["lead.merged"]
    assert merged["matched_by"] == "email"
    assert merged["changed_fields"] == ["current_stage", "custom_fields", "status"]
    assert merged["lead"]["custom_fields"] == {"budget": "1", "beds": 2}
    updated = events["lead.updated"]["lead"]
    assert updated == {
        "id": first["id"],
        "customer_id": str(ws_a.uuid),
        "current_stage": {"slug": "won", "name": "Won"},
        "custom_fields": {"beds": 2},
        "status": "won",
        "updated_at": updated["updated_at"],
    }
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 2


def test_a_change_made_elsewhere_reaches_mega_receivers_in_the_mega_shape(
    mega_a, ws_a, receiver, django_capture_on_commit_callbacks
):
    register(mega_a, receiver.url(), event_types=["lead.updated"])
    mega_a.post("leads", {"contact_name": "Kim Lo", "contact_email": "kim@x.com"})
    lead = Lead.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(lead=lead, actor=Actor.system(), data={"last_name": "Long", "notes": "n"})
    body = json.loads(receiver.requests[0].body)
    assert body["event"] == "lead.updated"
    assert set(body["lead"]) == {"id", "customer_id", "contact_name", "updated_at"}
    assert body["lead"]["contact_name"] == "Kim Long"


def test_a_change_mega_does_not_show_sends_mega_receivers_nothing(mega_a, ws_a, public_dns):
    register(mega_a, event_types=["lead.updated"])
    standard, _ = webhook_endpoint_create(
        workspace=ws_a,
        actor=Actor.system(),
        url="https://api.your-company.com/std",
        event_types=["lead.updated"],
    )
    mega_a.post("leads", {"contact_name": "Kim Lo", "contact_email": "kim@x.com"})
    lead = Lead.objects.get()
    lead_update(lead=lead, actor=Actor.system(), data={"notes": "Call back", "company": "Acme"})
    # Leadbook's own receivers still hear of it; a MEGA update with only ids would be empty.
    assert [d.endpoint for d in WebhookDelivery.objects.all()] == [standard]
    lead_update(lead=lead, actor=Actor.system(), data={"company": "Beta", "last_name": "Long"})
    mega = WebhookDelivery.objects.get(endpoint__payload_format="mega")
    body = json.loads(mega.body)
    assert set(body["lead"]) == {"id", "customer_id", "contact_name", "updated_at"}


def test_webhooks_are_off_for_private_urls_by_default(mega_a, settings):
    assert settings.WEBHOOK_ALLOW_PRIVATE_URLS is False
    response = register(mega_a, "http://127.0.0.1:8000/hook")
    assert response.status_code == 400


def test_lead_completed_carries_the_whole_lead(
    mega_a, ws_a, receiver, django_capture_on_commit_callbacks
):
    from leads.services.events import lead_event_emit

    register(mega_a, receiver.url(), event_types=["lead.completed"])
    mega_a.post("leads", {"contact_name": "Done Deal"})
    with django_capture_on_commit_callbacks(execute=True):
        lead_event_emit(lead=Lead.objects.get(), event_type="lead.completed")
    body = json.loads(receiver.requests[0].body)
    assert body["event"] == "lead.completed"
    assert body["lead"]["contact_name"] == "Done Deal"
    assert body["lead"]["customer_id"] == str(ws_a.uuid)
