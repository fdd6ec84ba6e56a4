"""Durable, signed webhook delivery: the outbox, retries, leases, SSRF and secret rotation,
against a real HTTP receiver on 127.0.0.1."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from datetime import timedelta

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from leads.actors import Actor
from leads.models import ActionLog, WebhookDelivery, WebhookEndpoint
from leads.services import webhooks
from leads.services.leads import lead_create, lead_update
from leads.services.webhooks import (
    ip_is_public,
    retry_delay,
    webhook_deliver,
    webhook_deliveries_redeliver,
    webhook_deliveries_sweep,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
    webhook_url_check,
)
from tests.concurrency import run_in_threads
from tests.webhook_receiver import Receiver, Reply

SYSTEM = Actor.system()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60


def make_endpoint(ws, url, **kw):
    kw.setdefault("event_types", ["lead.created", "lead.updated"])
    return webhook_endpoint_create(workspace=ws, actor=SYSTEM, url=url, **kw)


def standard_secret(secret: str) -> str:
    """What a receiver hands the standardwebhooks library: the whsec_… part."""
    return secret[secret.index("whsec_") :]


def create_lead(ws, callbacks, **data):
    data.setdefault("first_name", "Ada")
    with callbacks(execute=True):
        return lead_create(workspace=ws, actor=SYSTEM, data=data, route=False).lead


# --- outbox and signatures --------------------------------------------------------------


def test_a_committed_change_is_delivered_with_signatures_that_verify(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    _, secret = make_endpoint(ws_a, receiver.url())
    lead = create_lead(ws_a, django_capture_on_commit_callbacks, email="ada@example.com")

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    payload = Webhook(standard_secret(secret)).verify(got.body, got.headers)
    assert payload["type"] == "lead.created" and payload["data"]["id"] == str(lead.uuid)

    timestamp = got.headers["X-Mega-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256)
    assert got.headers["X-Mega-Signature"] == "sha256=" + expected.hexdigest()
    assert got.headers["webhook-timestamp"] == timestamp
    delivery = WebhookDelivery.objects.get()
    assert got.headers["webhook-id"] == got.headers["X-Mega-Delivery"] == str(delivery.event_id)
    assert got.body == delivery.body.encode()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None and delivery.locked_until is None


def test_tampered_or_stale_deliveries_do_not_verify(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    _, secret = make_endpoint(ws_a, receiver.url())
    create_lead(ws_a, django_capture_on_commit_callbacks)
    got = receiver.requests[0]
    verifier = Webhook(standard_secret(secret))
    for body, headers in (
        (got.body.replace(b"Ada", b"Eve"), got.headers),
        (got.body, {**got.headers, "webhook-id": "another-id"}),
        (
            got.body,
            {**got.headers, "webhook-timestamp": str(int(got.headers["webhook-timestamp"]) - 400)},
        ),
    ):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret(make_endpoint(ws_a, receiver.url())[1])).verify(
            got.body, got.headers
        )


def test_a_rolled_back_change_leaves_no_delivery_and_sends_nothing(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url())
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lead_create(workspace=ws_a, actor=SYSTEM, data={"first_name": "Gone"}, route=False)
        raise RuntimeError("the business transaction fails")
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_only_subscribed_active_endpoints_of_the_workspace_get_the_event(
    ws_a, ws_b, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url("/created"), event_types=["lead.created"])
    make_endpoint(ws_a, receiver.url("/paused"), is_active=False)
    make_endpoint(ws_a, receiver.url("/updates"), event_types=["lead.updated"])
    make_endpoint(ws_b, receiver.url("/other-workspace"))
    lead = create_lead(ws_a, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(lead=lead, actor=SYSTEM, data={"company": "Engines"})
    assert [r.path for r in receiver.requests] == ["/created", "/updates"]
    updated = json.loads(receiver.requests[1].body)
    assert updated["data"]["changes"] == {"company": {"from": "", "to": "Engines"}}


# --- retries ----------------------------------------------------------------------------


def test_a_receiver_failing_the_first_attempts_gets_the_same_event_later(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url(), retry_attempts=5)
    receiver.replies.extend([Reply(500), Reply(503)])
    create_lead(ws_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)

    # Nothing is resent before the backoff is over.
    assert webhook_deliveries_sweep() == {}
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=40) < first_wait <= timedelta(seconds=73)

    second_try = delivery.next_attempt_at
    webhook_deliveries_sweep(now=second_try)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    second_wait = delivery.next_attempt_at - second_try
    assert timedelta(seconds=90) < second_wait <= timedelta(seconds=145)

    webhook_deliveries_sweep(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert webhook_deliveries_sweep(now=timezone.now() + timedelta(days=1)) == {}


@pytest.mark.postgres
def test_a_sweep_does_not_wait_for_the_disk_and_leaves_the_connection_as_it_found_it(
    ws_a, receiver, private_ok, monkeypatch
):
    make_endpoint(ws_a, receiver.url())
    lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "Ada"})
    seen = []
    deliver = webhooks.webhook_deliver

    def spy(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return deliver(**kwargs)

    monkeypatch.setattr(webhooks, "webhook_deliver", spy)
    assert webhook_deliveries_sweep() == {"succeeded": 1}
    assert seen == ["off"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_it_gives_up_after_the_endpoint_retry_attempts(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url(), retry_attempts=1)
    receiver.default = Reply(500, body=b"still broken")
    create_lead(ws_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhook_deliveries_sweep(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "HTTP 500" and delivery.last_response_body == "still broken"
    assert webhook_deliveries_sweep(now=timezone.now() + timedelta(days=2)) == {}
    assert len(receiver.requests) == 2


def test_with_no_retries_one_failure_is_final(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url(), retry_attempts=0)
    receiver.default = Reply(502)
    create_lead(ws_a, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get().status == "failed"


def test_a_redirect_is_a_failure_and_is_not_followed(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url("/first"))
    receiver.replies.append(Reply(301, {"Location": receiver.url("/elsewhere")}))
    create_lead(ws_a, django_capture_on_commit_callbacks)
    assert [r.path for r in receiver.requests] == ["/first"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 301)


def test_410_gone_disables_the_endpoint(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    receiver.replies.append(Reply(410))
    lead = create_lead(ws_a, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    delivery = WebhookDelivery.objects.get()
    assert endpoint.is_active is False
    assert (delivery.status, delivery.last_status_code) == ("failed", 410)
    with django_capture_on_commit_callbacks(execute=True):
        lead_update(lead=lead, actor=SYSTEM, data={"company": "After"})
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("header", ["120", "date"])
def test_retry_after_is_honoured(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks, header
):
    from email.utils import format_datetime

    make_endpoint(ws_a, receiver.url())
    value = header
    if header == "date":
        value = format_datetime(timezone.now() + timedelta(seconds=125), usegmt=True)
    receiver.replies.append(Reply(503, {"Retry-After": value}))
    create_lead(ws_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at - timezone.now() >= timedelta(seconds=115)


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url(), timeout_seconds=1)
    receiver.hold = threading.Event()
    create_lead(ws_a, django_capture_on_commit_callbacks)
    receiver.hold.set()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "Timed out" in delivery.last_error


def test_retry_delays_grow_exponentially_with_bounded_jitter(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    for attempt, base in ((1, 60), (2, 120), (3, 240), (7, 3600), (10, 3600)):
        delays = [retry_delay(attempt) for _ in range(200)]
        assert base * 0.8 <= min(delays) and max(delays) <= base * 1.2
        assert max(delays) - min(delays) > base * 0.1  # there is jitter
    assert retry_delay(1, retry_after=600) >= 600


# --- leases: a worker that dies -----------------------------------------------------------


def _pending_delivery(ws, endpoint):
    return WebhookDelivery.objects.create(
        workspace=ws,
        endpoint=endpoint,
        event_type="lead.created",
        body='{"type":"lead.created"}',
    )


def test_a_leased_delivery_is_not_sent_twice_and_is_taken_over_when_the_lease_expires(
    ws_a, receiver, private_ok
):
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    delivery = _pending_delivery(ws_a, endpoint)
    now = timezone.now()
    lease = webhooks._claim(delivery.pk, now)  # a worker takes it… and dies
    assert lease is not None
    assert webhooks._claim(delivery.pk, now) is None
    assert webhook_deliver(delivery_id=delivery.pk) == "busy"
    assert webhook_deliveries_sweep() == {}
    assert receiver.requests == []

    assert webhook_deliveries_sweep(now=lease + timedelta(seconds=1)) == {"succeeded": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(receiver.requests) == 1
    # The dead worker's late report changes nothing.
    assert webhooks._record(delivery.pk, lease, status="failed") is False


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_does_not_lose_the_event(ws_a, receiver, settings):
    """A real worker process is SIGKILLed while the receiver holds its request; the next
    sweep after the lease delivers the event again, with the same webhook-id."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    delivery = _pending_delivery(ws_a, endpoint)
    receiver.hold = threading.Event()

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    else:
        url = f"sqlite:///{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "DJANGO_SETTINGS_MODULE": "leads_project.settings_test",
    }
    code = (
        "import sys, django; django.setup();"
        "from leads.services.webhooks import webhook_deliver;"
        "webhook_deliver(delivery_id=int(sys.argv[1]))"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", code, str(delivery.pk)],
        env=env,
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.arrived.wait(60), worker.stderr.read() if worker.poll() else "no request"
    finally:
        worker.kill()
        worker.wait()
        worker.stderr.close()
    receiver.hold.set()
    receiver.hold = None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.locked_until > timezone.now()
    assert webhook_deliveries_sweep() == {}

    webhook_deliveries_sweep(now=delivery.locked_until + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.requests) == 2
    assert {r.headers["webhook-id"] for r in receiver.requests} == {str(delivery.event_id)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_send_each_event_once(ws_a, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    deliveries = [_pending_delivery(ws_a, endpoint) for _ in range(20)]
    _, errors = run_in_threads(6, lambda _: webhook_deliveries_sweep())
    assert errors == []
    assert len(receiver.requests) == 20
    assert WebhookDelivery.objects.filter(status="succeeded").count() == len(deliveries)


# --- batches: claims ahead, successes written together ----------------------------------


@pytest.mark.postgres
def test_a_batch_sends_many_deliveries_with_a_handful_of_statements(
    ws_a, receiver, private_ok, django_assert_max_num_queries
):
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    deliveries = [_pending_delivery(ws_a, endpoint) for _ in range(30)]
    # A claim and an outcome statement per delivery would be 60.
    with django_assert_max_num_queries(15):
        assert webhook_deliveries_sweep() == {"succeeded": 30}
    assert len(receiver.requests) == 30
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "succeeded",
            1,
            200,
        )
        assert delivery.delivered_at is not None and delivery.locked_until is None


def test_a_batch_that_stops_early_gives_back_what_it_claimed_but_did_not_send(
    ws_a, receiver, private_ok
):
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    ids = [_pending_delivery(ws_a, endpoint).pk for _ in range(4)]
    with webhooks.DeliveryBatch() as batch:
        batch.claim(ids, timezone.now())
        assert webhook_deliver(delivery_id=ids[0], batch=batch) == "succeeded"
        # Claimed by this worker: no other worker may send them meanwhile.
        assert webhooks._claim(ids[1], timezone.now()) is None
    rows = WebhookDelivery.objects.in_bulk(ids)
    assert (rows[ids[0]].status, rows[ids[0]].attempts) == ("succeeded", 1)
    assert [(rows[i].status, rows[i].attempts, rows[i].locked_until) for i in ids[1:]] == [
        ("pending", 0, None)
    ] * 3
    assert webhook_deliveries_sweep() == {"succeeded": 3}
    assert len(receiver.requests) == 4


def test_a_delivery_taken_over_while_it_waited_its_turn_in_a_batch_is_not_sent(
    ws_a, receiver, private_ok, monkeypatch
):
    monkeypatch.setattr(webhooks, "CLAIM_RENEW_AFTER_SECONDS", 0)
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    kept, lost = (_pending_delivery(ws_a, endpoint) for _ in range(2))
    with webhooks.DeliveryBatch() as batch:
        batch.claim([kept.pk, lost.pk], timezone.now())
        # The batch was slow: another worker took `lost` over once its lease ran out.
        later = timezone.now() + timedelta(seconds=django_settings.WEBHOOK_LEASE_SECONDS + 1)
        assert webhooks._claim(lost.pk, later) is not None
        assert webhook_deliver(delivery_id=kept.pk, batch=batch) == "succeeded"
        assert webhook_deliver(delivery_id=lost.pk, batch=batch) == "busy"
    assert len(receiver.requests) == 1
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert (kept.status, kept.attempts, kept.locked_until) == ("succeeded", 1, None)
    assert (lost.status, lost.attempts) == ("pending", 2)
    assert lost.locked_until > later


def test_a_success_is_written_before_a_send_that_could_outlast_its_lease(
    ws_a, receiver, private_ok, settings, monkeypatch
):
    settings.WEBHOOK_LEASE_SECONDS = 12  # less than the next send's 10 s timeout + margin
    endpoint, _ = make_endpoint(ws_a, receiver.url(), timeout_seconds=10)
    first, second = (_pending_delivery(ws_a, endpoint) for _ in range(2))
    seen = []
    post = webhooks._post

    def spy(*args):
        seen.append(WebhookDelivery.objects.get(pk=first.pk).status)
        return post(*args)

    monkeypatch.setattr(webhooks, "_post", spy)
    assert webhooks.webhook_deliver_many(delivery_ids=[first.pk, second.pk]) == {"succeeded": 2}
    assert seen == ["pending", "succeeded"]


# --- SSRF ---------------------------------------------------------------------------------


@pytest.fixture
def fake_dns(monkeypatch):
    table = {"hooks.example.com": ["93.184.216.34"]}

    def resolve(host, port):
        if host not in table:
            raise OSError("no such host")
        return table[host]

    monkeypatch.setattr(webhooks, "_resolve", resolve)
    return table


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "http://127.0.0.1/x",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://app.localhost/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.8/x",
        "https://172.16.3.4/x",
        "https://192.168.1.20/x",
        "https://100.64.0.1/x",
        "https://0.0.0.0/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[::ffff:169.254.169.254]/x",
        "https://[fd00:ec2::254]/x",
        "https://[fe80::1]/x",
        "https://[64:ff9b::a00:1]/x",
        "https://2130706433/x",
        "https://user:pass@hooks.example.com/x",
        "https://rebind.example.com/x",
        "https://nowhere.example.com/x",
        "ftp://hooks.example.com/x",
        "not a url",
    ],
)
def test_unsafe_urls_are_refused(fake_dns, url):
    fake_dns["rebind.example.com"] = ["93.184.216.34", "10.1.2.3"]
    fake_dns["2130706433"] = ["127.0.0.1"]
    with pytest.raises(ValidationError) as err:
        webhook_url_check(url)
    assert "url" in err.value.message_dict


def test_a_public_https_url_is_accepted(fake_dns):
    target = webhook_url_check("https://hooks.example.com/leads?x=1")
    assert target.addresses == ("93.184.216.34",)
    assert (target.host, target.port) == ("hooks.example.com", 443)


def test_public_addresses_are_told_apart_from_private_ones():
    assert ip_is_public("93.184.216.34") and ip_is_public("2606:4700::1111")
    for address in ("127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.1"):
        assert not ip_is_public(address)


def test_registration_refuses_unsafe_urls_and_writes_nothing(ws_a, fake_dns):
    with pytest.raises(ValidationError) as err:
        make_endpoint(ws_a, "https://169.254.169.254/hook")
    assert "url" in err.value.message_dict
    assert WebhookEndpoint.objects.count() == 0


def test_a_name_that_starts_resolving_to_a_private_address_is_not_called(
    ws_a, fake_dns, monkeypatch
):
    endpoint, _ = make_endpoint(ws_a, "https://hooks.example.com/hook")
    fake_dns["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding after registration

    def no_network(*args, **kwargs):
        raise AssertionError("a request was sent to a private address")

    monkeypatch.setattr(httpx.Client, "send", no_network)
    delivery = _pending_delivery(ws_a, endpoint)
    assert webhook_deliver(delivery_id=delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused before sending")
    assert delivery.last_status_code is None


def test_delivery_connects_to_the_address_that_was_checked(ws_a, receiver, private_ok, fake_dns):
    """`hooks.test` exists only in our checked answer: the request reaches the receiver
    only because the connection goes to that address, with the name in Host."""
    fake_dns["hooks.test"] = ["127.0.0.1"]
    endpoint, _ = make_endpoint(ws_a, f"http://hooks.test:{receiver.port}/pinned")
    delivery = _pending_delivery(ws_a, endpoint)
    assert webhook_deliver(delivery_id=delivery.pk) == "succeeded"
    assert receiver.requests[0].path == "/pinned"
    assert receiver.requests[0].headers["Host"] == f"hooks.test:{receiver.port}"


def test_private_urls_are_refused_by_default():
    assert django_settings.WEBHOOK_ALLOW_PRIVATE_URLS is False
    with pytest.raises(ValidationError):
        webhook_url_check("http://127.0.0.1:8000/hook")


# --- endpoints: settings, rotation, deletion ----------------------------------------------


def test_settings_are_range_checked(ws_a, private_ok, receiver):
    for bad in (
        {"timeout_seconds": 0},
        {"timeout_seconds": 61},
        {"retry_attempts": 11},
        {"retry_attempts": -1},
        {"event_types": []},
        {"event_types": ["lead.deleted"]},
    ):
        with pytest.raises(ValidationError) as err:
            make_endpoint(ws_a, receiver.url(), **bad)
        assert set(err.value.message_dict) == {next(iter(bad))}
    assert WebhookEndpoint.objects.count() == 0


def test_secret_rotation_signs_with_both_secrets_for_24_hours_then_only_the_new_one(
    ws_a, receiver, private_ok
):
    endpoint, old = make_endpoint(ws_a, receiver.url())
    new = webhook_secret_rotate(endpoint=endpoint, actor=SYSTEM)
    assert new != old and new.startswith("whsec_")
    assert webhook_deliver(delivery_id=_pending_delivery(ws_a, endpoint).pk) == "succeeded"
    during = receiver.requests[-1]
    for secret in (old, new):
        Webhook(standard_secret(secret)).verify(during.body, during.headers)
    ts = during.headers["X-Mega-Timestamp"].encode()
    mega = {
        s: "sha256=" + hmac.new(s.encode(), ts + b"." + during.body, hashlib.sha256).hexdigest()
        for s in (old, new)
    }
    assert during.headers["X-Mega-Signature"] == mega[new]
    assert during.headers["X-Mega-Signature-Previous"] == mega[old]

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert webhook_deliver(delivery_id=_pending_delivery(ws_a, endpoint).pk) == "succeeded"
    after = receiver.requests[-1]
    Webhook(standard_secret(new)).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret(old)).verify(after.body, after.headers)
    assert "X-Mega-Signature-Previous" not in after.headers
    assert ActionLog.objects.filter(event="webhook_secret_rotated").count() == 1


def test_a_deleted_or_paused_endpoint_gets_nothing_more(ws_a, receiver, private_ok):
    endpoint, _ = make_endpoint(ws_a, receiver.url())
    queued = _pending_delivery(ws_a, endpoint)
    webhook_endpoint_update(endpoint=endpoint, actor=SYSTEM, data={"is_active": False})
    assert webhook_deliver(delivery_id=queued.pk) == "failed"
    webhook_endpoint_update(endpoint=endpoint, actor=SYSTEM, data={"is_active": True})
    webhook_endpoint_delete(endpoint=endpoint, actor=SYSTEM)
    assert WebhookEndpoint.objects.live().count() == 0
    later = _pending_delivery(ws_a, endpoint)
    assert webhook_deliver(delivery_id=later.pk) == "failed"
    later.refresh_from_db()
    assert later.last_error == "Not sent: the endpoint is deleted."
    assert receiver.requests == []


def test_redelivery_sends_the_same_event_again(
    ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url(), retry_attempts=0)
    receiver.replies.append(Reply(500))
    create_lead(ws_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliveries_redeliver(deliveries=[delivery])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(delivery.event_id)] * 2


# --- admin: delivery log, redeliver, registration -----------------------------------------


@pytest.fixture
def staff_alice(alice):
    alice.user.is_staff = True
    alice.user.save()
    return alice


def test_the_admin_delivery_log_shows_attempts_and_errors_of_its_workspace_only(
    client, staff_alice, ws_a, ws_b, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url("/mine"), retry_attempts=0)
    make_endpoint(ws_b, receiver.url("/theirs"), retry_attempts=0)
    receiver.default = Reply(500)
    create_lead(ws_a, django_capture_on_commit_callbacks)
    create_lead(ws_b, django_capture_on_commit_callbacks)
    client.force_login(staff_alice.user)
    page = client.get("/admin/leads/webhookdelivery/")
    assert page.status_code == 200
    assert "/mine" in page.text and "/theirs" not in page.text
    assert "HTTP 500" in page.text
    theirs = WebhookDelivery.objects.get(workspace=ws_b)
    mine = WebhookDelivery.objects.get(workspace=ws_a)
    assert client.get(f"/admin/leads/webhookdelivery/{theirs.pk}/change/").status_code == 302
    detail = client.get(f"/admin/leads/webhookdelivery/{mine.pk}/change/")
    assert detail.status_code == 200 and str(mine.event_id) in detail.text
    endpoints = client.get("/admin/leads/webhookendpoint/")
    assert "Delivery log" in endpoints.text and "/theirs" not in endpoints.text


def test_the_admin_redeliver_action_sends_the_event_again(
    client, staff_alice, ws_a, receiver, private_ok, django_capture_on_commit_callbacks
):
    make_endpoint(ws_a, receiver.url(), retry_attempts=0)
    receiver.replies.append(Reply(500))
    create_lead(ws_a, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client.force_login(staff_alice.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/leads/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
            follow=True,
        )
    assert "Queued 1 delivery(ies) again." in response.text
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.requests) == 2


def test_registering_in_the_admin_checks_the_url_and_shows_the_secret_once(
    client, staff_alice, ws_a, fake_dns
):
    client.force_login(staff_alice.user)
    form = {
        "workspace": ws_a.pk,
        "url": "https://10.0.0.1/hook",
        "event_types": ["lead.created"],
        "payload_format": "mega",
        "timeout_seconds": 10,
        "retry_attempts": 5,
        "description": "",
        "is_active": "on",
    }
    refused = client.post("/admin/leads/webhookendpoint/add/", form)
    assert refused.status_code == 200
    assert "public address" in refused.text
    assert WebhookEndpoint.objects.count() == 0

    form["url"] = "https://hooks.example.com/hook"
    created = client.post("/admin/leads/webhookendpoint/add/", form, follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("mega_whsec_")
    assert endpoint.secret in created.text
    assert (
        endpoint.secret
        not in client.get(f"/admin/leads/webhookendpoint/{endpoint.pk}/change/").text
    )
    assert ActionLog.objects.filter(event="webhook_created", workspace=ws_a).count() == 1


def test_changing_a_webhook_in_the_admin_checks_the_new_url(client, staff_alice, ws_a, fake_dns):
    endpoint, _ = make_endpoint(ws_a, "https://hooks.example.com/hook")
    client.force_login(staff_alice.user)
    form = {
        "url": "https://169.254.169.254/latest",
        "event_types": ["lead.created", "lead.merged"],
        "timeout_seconds": 20,
        "retry_attempts": 3,
        "description": "",
        "is_active": "on",
    }
    url = f"/admin/leads/webhookendpoint/{endpoint.pk}/change/"
    assert "public address" in client.post(url, form).text
    form["url"] = "https://hooks.example.com/other"
    assert client.post(url, form).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.timeout_seconds) == (
        "https://hooks.example.com/other",
        ["lead.created", "lead.merged"],
        20,
    )
    assert endpoint.workspace == ws_a
