"""/settings/webhooks/: endpoints, the delivery log, redeliver, rotate secret, delete."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog, WebhookDelivery, WebhookEndpoint
from leads.services import webhooks
from leads.services.webhooks import webhook_endpoint_create
from tests.webhook_receiver import Receiver

SECRET = re.compile(r'id="new-secret" value="((?:mega_)?whsec_[A-Za-z0-9+/=]+)"')


@pytest.fixture
def fake_dns(monkeypatch):
    """hooks.example.com is public; nothing else resolves (no network in tests)."""
    table = {"hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.0.0.5"]}

    def resolve(host, port):
        if host not in table:
            raise OSError("no such host")
        return table[host]

    monkeypatch.setattr(webhooks, "_resolve", resolve)
    return table


@pytest.fixture
def endpoint(ws_a, fake_dns):
    return webhook_endpoint_create(
        workspace=ws_a,
        actor=Actor.system(),
        url="https://hooks.example.com/leads",
        event_types=["lead.created", "lead.updated"],
    )[0]


def delivery(endpoint, minutes_ago=0, **kw):
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    kw.setdefault("event_type", "lead.created")
    kw.setdefault("body", json.dumps({"type": kw["event_type"], "data": {"id": "abc"}}))
    return WebhookDelivery.objects.create(
        workspace=endpoint.workspace, endpoint=endpoint, created_at=created, **kw
    )


def register(client, **data):
    body = {
        "url": "https://hooks.example.com/new",
        "event_types": ["lead.created"],
        "payload_format": "standard",
        "description": "CRM sync",
        "timeout_seconds": "10",
        "retry_attempts": "5",
        "is_active": "on",
    }
    body.update(data)
    return client.post("/settings/webhooks/", body)


def test_a_webhook_is_registered_and_its_secret_shown_once(
    client, alice, ws_a, fake_dns, django_assert_max_num_queries
):
    client.force_login(alice.user)
    with django_assert_max_num_queries(8):
        response = register(client, payload_format="mega")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    secret = SECRET.search(response.text).group(1)
    endpoint = WebhookEndpoint.objects.get(workspace=ws_a)
    assert (endpoint.url, endpoint.payload_format, endpoint.secret) == (
        "https://hooks.example.com/new",
        "mega",
        secret,
    )
    assert secret.startswith("mega_whsec_")
    assert secret not in client.get(f"/settings/webhooks/{endpoint.pk}/").text
    log = ActionLog.objects.get(event="webhook_created")
    assert log.actor_user == alice.user and secret not in json.dumps(log.input)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "Webhook URLs must use HTTPS."),
        ("https://internal.example.com/x", "must point to a public address"),
        ("https://169.254.169.254/latest", "must point to a public address"),
        ("https://user:pw@hooks.example.com/x", "must not contain a user name or password"),
        ("https://nowhere.example.com/x", "does not resolve"),
    ],
)
def test_unsafe_urls_are_refused_beside_the_field_and_nothing_is_registered(
    client, alice, fake_dns, url, message
):
    client.force_login(alice.user)
    response = register(client, url=url)
    assert response.status_code == 200
    error = response.text[response.text.index('id="id_url_error"') :]
    assert message in error[: error.index("</p>")]
    assert f'value="{url}"' in response.text
    assert not WebhookEndpoint.objects.exists()


def test_events_and_ranges_are_checked(client, alice, fake_dns):
    client.force_login(alice.user)
    response = register(client, event_types=[], timeout_seconds="0", retry_attempts="11")
    assert "Choose at least one event type." in response.text
    assert "Ensure this value is greater than or equal to 1." in response.text
    assert "Ensure this value is less than or equal to 10." in response.text
    assert not WebhookEndpoint.objects.exists()


def test_the_list_shows_each_endpoints_latest_delivery(
    client, alice, ws_a, endpoint, fake_dns, django_assert_num_queries
):
    quiet = webhook_endpoint_create(
        workspace=ws_a, actor=Actor.system(), url="https://hooks.example.com/quiet"
    )[0]
    delivery(endpoint, minutes_ago=30, status="succeeded", last_status_code=200)
    delivery(endpoint, minutes_ago=5, status="failed", last_status_code=503)
    client.force_login(alice.user)
    with django_assert_num_queries(4):
        page = client.get("/settings/webhooks/").text
    row = page[page.index(f'id="endpoint-{endpoint.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Failed" in row and "HTTP 503" in row and "5\xa0minutes ago" in row
    quiet_row = page[page.index(f'id="endpoint-{quiet.pk}"') :]
    assert "None yet" in quiet_row[: quiet_row.index("</tr>")]


def test_the_delivery_log_shows_status_attempts_codes_and_payload(
    client, alice, endpoint, django_assert_num_queries
):
    failed = delivery(
        endpoint,
        minutes_ago=3,
        status="failed",
        attempts=6,
        last_status_code=500,
        last_error="HTTP 500",
        last_response_body="upstream exploded",
    )
    delivery(endpoint, minutes_ago=1, status="succeeded", attempts=1, last_status_code=204)
    client.force_login(alice.user)
    with django_assert_num_queries(5):
        page = client.get(f"/settings/webhooks/{endpoint.pk}/").text
    entry = page[page.index(f'id="delivery-{failed.pk}"') :]
    entry = entry[: entry.index("</li>")]
    assert "Gave up" in entry and "6 attempts" in entry and "HTTP 500" in entry
    assert "upstream exploded" in entry and str(failed.event_id) in entry
    assert "&quot;type&quot;: &quot;lead.created&quot;" in entry  # the payload, laid out
    # Newest first.
    assert page.index('delivery-succeeded">Delivered') < page.index('delivery-failed">Gave up')


def test_the_delivery_log_filters_by_status_and_pages_by_cursor(client, alice, endpoint):
    for n in range(30):
        delivery(endpoint, minutes_ago=100 - n, status="failed" if n % 3 == 0 else "succeeded")
    client.force_login(alice.user)
    first = client.get(f"/settings/webhooks/{endpoint.pk}/").text
    assert first.count('class="delivery"') == 25
    older = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = client.get(f"/settings/webhooks/{endpoint.pk}/", {"after": older}).text
    assert second.count('class="delivery"') == 5
    ids = set(re.findall(r'id="delivery-(\d+)"', first)) | set(
        re.findall(r'id="delivery-(\d+)"', second)
    )
    assert len(ids) == 30
    failed = client.get(f"/settings/webhooks/{endpoint.pk}/", {"status": "failed"}).text
    assert failed.count('class="delivery"') == 10
    assert 'delivery-succeeded">Delivered' not in failed
    bad = client.get(f"/settings/webhooks/{endpoint.pk}/", {"after": "garbage"})
    assert bad.status_code == 400


def test_a_delivery_is_sent_again_on_request(
    client, alice, ws_a, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with Receiver() as receiver:
        hook = webhook_endpoint_create(workspace=ws_a, actor=Actor.system(), url=receiver.url())[0]
        gave_up = delivery(hook, status="failed", attempts=6, last_status_code=500)
        client.force_login(alice.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/settings/webhooks/{hook.pk}/deliveries/{gave_up.pk}/redeliver/"
            )
        assert response["Location"] == f"/settings/webhooks/{hook.pk}/#delivery-{gave_up.pk}"
        gave_up.refresh_from_db()
        assert (gave_up.status, gave_up.attempts, gave_up.last_status_code) == (
            "succeeded",
            1,
            200,
        )
        assert [r.headers["webhook-id"] for r in receiver.requests] == [str(gave_up.event_id)]


def test_redelivering_to_a_paused_endpoint_warns(client, alice, endpoint):
    endpoint.is_active = False
    endpoint.save()
    failed = delivery(endpoint, status="failed", attempts=6)
    client.force_login(alice.user)
    client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{failed.pk}/redeliver/")
    page = client.get(f"/settings/webhooks/{endpoint.pk}/").text
    assert "this endpoint is paused" in page
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)


def test_rotating_the_secret_shows_the_new_one_once_and_keeps_the_old_for_a_day(
    client, alice, endpoint
):
    old = endpoint.secret
    client.force_login(alice.user)
    response = client.post(f"/settings/webhooks/{endpoint.pk}/rotate-secret/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    new = SECRET.search(response.text).group(1)
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (new, old)
    assert endpoint.previous_secret_expires_at > timezone.now() + datetime.timedelta(hours=23)
    assert ActionLog.objects.filter(event="webhook_secret_rotated").count() == 1
    assert client.get(f"/settings/webhooks/{endpoint.pk}/rotate-secret/").status_code == 405


def test_settings_changes_are_saved_and_a_new_url_is_checked(client, alice, endpoint):
    client.force_login(alice.user)
    form = {
        "url": "https://hooks.example.com/leads",
        "event_types": ["lead.completed"],
        "description": "",
        "timeout_seconds": "30",
        "retry_attempts": "2",
        "payload_format": "omni",  # not editable: ignored
    }
    response = client.post(f"/settings/webhooks/{endpoint.pk}/", form)
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["lead.completed"]
    assert (endpoint.timeout_seconds, endpoint.retry_attempts, endpoint.is_active) == (30, 2, False)
    assert endpoint.payload_format == "standard"
    form["url"] = "https://10.1.2.3/hook"
    response = client.post(f"/settings/webhooks/{endpoint.pk}/", form)
    assert response.status_code == 200 and "must point to a public address" in response.text
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/leads"


def test_a_deleted_webhook_leaves_the_list_and_its_page(client, alice, endpoint):
    client.force_login(alice.user)
    response = client.post(f"/settings/webhooks/{endpoint.pk}/delete/")
    assert response["Location"] == "/settings/webhooks/"
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None and not endpoint.is_active
    assert (
        "hooks.example.com/leads"
        not in client.get("/settings/webhooks/").text.split("Endpoints")[-1].split("New webhook")[0]
    )
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404


def test_another_endpoints_delivery_is_not_found(client, alice, ws_a, endpoint, fake_dns):
    other = webhook_endpoint_create(
        workspace=ws_a, actor=Actor.system(), url="https://hooks.example.com/other"
    )[0]
    theirs = delivery(other, status="failed")
    client.force_login(alice.user)
    url = f"/settings/webhooks/{endpoint.pk}/deliveries/{theirs.pk}/redeliver/"
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "failed"


def test_another_workspaces_webhooks_are_not_listed(client, alice, ws_b, fake_dns):
    webhook_endpoint_create(
        workspace=ws_b, actor=Actor.system(), url="https://hooks.example.com/bravo"
    )
    client.force_login(alice.user)
    assert "/bravo" not in client.get("/settings/webhooks/").text
