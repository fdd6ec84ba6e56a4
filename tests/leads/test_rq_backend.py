"""The scale-out path: background work through Redis (TASKS_BACKEND=rq) instead of the
database. A committed lead change is queued in Redis and an RQ worker delivers it."""

import os

import pytest
import redis
from django.test import override_settings
from standardwebhooks.webhooks import Webhook

from leads.actors import Actor
from leads.models import WebhookDelivery
from leads.services.leads import lead_create
from leads.services.webhooks import webhook_endpoint_create
from tests.webhook_receiver import Receiver

# A database of its own on the local Redis, emptied before and after.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"!! no Redis at {REDIS_URL}: the RQ backend test was SKIPPED")
    return client


@pytest.fixture
def rq_backend(settings):
    client = _redis_or_skip()
    client.flushdb()
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        RQ_QUEUES={"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}},
    ):
        yield client
    client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_delivered_through_redis_by_an_rq_worker(ws_a, rq_backend):
    import django_rq
    from rq import SimpleWorker

    with Receiver() as receiver:
        _, secret = webhook_endpoint_create(
            workspace=ws_a, actor=Actor.system(), url=receiver.url(), event_types=["lead.created"]
        )
        lead = lead_create(
            workspace=ws_a, actor=Actor.system(), data={"first_name": "Grace"}, route=False
        ).lead
        queue = django_rq.get_queue("default")
        assert queue.count == 1, "the committed change is queued in Redis, not sent inline"
        assert receiver.requests == []

        worker = SimpleWorker([queue], connection=queue.connection, job_class="django_tasks_rq.Job")
        worker.work(burst=True)

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    payload = Webhook(secret[secret.index("whsec_") :]).verify(got.body, got.headers)
    assert payload["data"]["id"] == str(lead.uuid)
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
