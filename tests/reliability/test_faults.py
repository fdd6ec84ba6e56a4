"""Faults (IDEM-5, FAULT-1, FAULT-3, WH-4).

- The database connection is killed mid-request (pg_terminate_backend from another
  connection, after the lead row and its timeline entry are written, before the outbox
  row and the commit): a clean 503 in the family's envelope, nothing written, and the
  retry with the same Idempotency-Key succeeds.
- PostgreSQL is restarted under load: a gunicorn worker keeps serving with no restart of
  its own; while the server is down the answer is a clean 503, afterwards every request
  succeeds again (CONN_HEALTH_CHECKS replaces the dead persistent connection).
- A webhook worker killed mid-delivery loses nothing: that is
  tests/leads/test_webhooks.py::test_a_worker_killed_mid_delivery_does_not_lose_the_event
  (a real worker process, SIGKILLed while the receiver holds its request; the next sweep
  delivers the same event with the same webhook-id, so the receiver dedupes it to one).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from api.models import IdempotencyRecord
from campaigns.models import Campaign, CampaignLead
from checklists import services as checklist_services
from leads.models import ActionLog, Lead, WebhookDelivery, WebhookEndpoint
from leads.services import leads as lead_services
from tests.reliability.conftest import FIGURES
from tests.reliability.world import ALL_DAYS

ROOT = Path(settings.BASE_DIR)


def _libpq_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _kill_this_connection() -> None:
    """From a second connection, terminate the backend serving Django's connection."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(_libpq_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


FAMILIES = {
    "omni": ("/api/v1/leads", {"firstName": "Cut", "email": "cut@x.test"}, 201),
    "mega": ("/api/agents/crm/leads", {"contact_name": "Cut", "contact_email": "cut@x.test"}, 201),
    "pulse": (
        "/api/leads?skipTeamAndSourceRequirement=true",
        {"firstName": "Cut", "lastName": "X"},
        201,
    ),
    "autocalls": ("/api/user/lead", {"phone_number": "+12065550143"}, 200),
}
ENVELOPE_CODE = {
    "omni": lambda b: b["error"]["code"],
    "mega": lambda b: b["error"]["reason"],
    "pulse": lambda b: b["code"],
    "autocalls": lambda b: b["code"],
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_connection_killed_mid_create_is_a_clean_503_and_the_retry_succeeds(
    client, ws_a, key_a, monkeypatch, no_outbound_http, family
):
    assert connection.vendor == "postgresql"
    WebhookEndpoint.objects.create(
        workspace=ws_a,
        url="https://hooks.example.com/cut",
        event_types=["lead.created"],
        secret="whsec_" + "A" * 43,
    )
    path, body, ok = FAMILIES[family]
    if family == "autocalls":
        campaign = Campaign.objects.create(
            workspace=ws_a,
            name="Cut",
            timezone="UTC",
            allowed_hours_start="00:00",
            allowed_hours_end="23:59",
            allowed_days=ALL_DAYS,
        )
        body = {**body, "campaign_id": campaign.pk}
    headers = {"Authorization": f"Bearer {key_a}", "Idempotency-Key": f"cut-{family}"}
    if family == "mega":
        headers["x-customer-id"] = str(ws_a.uuid)

    emit = lead_services.lead_event_emit
    kills = []

    def emit_after_a_kill(**kwargs):
        if not kills:
            kills.append(Lead.objects.filter(workspace=ws_a).count())  # the row is there…
            _kill_this_connection()  # …and the connection goes away before the commit
        return emit(**kwargs)

    # Every create path emits through one of these two names.
    monkeypatch.setattr(lead_services, "lead_event_emit", emit_after_a_kill)
    monkeypatch.setattr(checklist_services, "lead_event_emit", emit_after_a_kill)

    def post():
        return client.post(
            path, data=json.dumps(body), content_type="application/json", headers=headers
        )

    cut = post()
    assert kills == [1]
    assert cut.status_code == 503, cut.content
    assert ENVELOPE_CODE[family](cut.json()) == "service_unavailable"
    assert cut["Retry-After"] == "1"
    assert "Traceback" not in cut.text and "terminat" not in cut.text.lower()
    assert Lead.objects.filter(workspace=ws_a).count() == 0
    assert ActionLog.objects.filter(workspace=ws_a).count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0
    assert CampaignLead.objects.count() == 0

    retry = post()
    assert retry.status_code == ok, retry.content
    assert "Idempotent-Replayed" not in retry
    assert Lead.objects.filter(workspace=ws_a).count() == 1
    assert ActionLog.objects.filter(workspace=ws_a, event="lead_created").count() == 1
    assert WebhookDelivery.objects.count() == 1
    replay = post()
    assert replay.content == retry.content and replay["Idempotent-Replayed"] == "true"


# --- PostgreSQL restarted under load -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        return 0, str(error).encode()


def _cluster() -> str | None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or not shutil.which("pg_ctlcluster"):
        return None
    return versions[-1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_recovers_by_itself_when_postgresql_restarts_under_load(ws_a, key_a):
    """Restarts the shared PostgreSQL server once (a few seconds; other test runs on the
    machine may see that blip) and leaves it running."""
    assert connection.vendor == "postgresql"
    version = _cluster()
    if version is None or os.geteuid() != 0:
        pytest.skip("needs root and pg_ctlcluster to restart the local PostgreSQL server")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _libpq_url().replace("postgresql://", "postgres://"),
        "DJANGO_SETTINGS_MODULE": "leads_project.settings",
        "DEBUG": "0",
        "SECRET_KEY": "restart-test-only-secret-key-0123456789abcdef",
        "TASKS_BACKEND": "immediate",
        "LOG_LEVEL": "CRITICAL",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "leads_project.wsgi",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "critical",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/user/me"
    headers = {"Authorization": f"Bearer {key_a}"}
    results: list[tuple[float, int, bytes]] = []
    stop = threading.Event()
    try:
        for _ in range(100):
            if _get(url, headers)[0] == 200:
                break
            time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        worker_pids = subprocess.run(
            ["ps", "--ppid", str(server.pid), "-o", "pid="], capture_output=True, text=True
        ).stdout.split()

        def load() -> None:
            while not stop.is_set():
                status, body = _get(url, headers)
                results.append((time.monotonic(), status, body))
                time.sleep(0.02)

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(1)
        restarted = time.monotonic()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            capture_output=True,
        )
        back = time.monotonic()
        time.sleep(3)
        stop.set()
        loader.join()
        after_pids = subprocess.run(
            ["ps", "--ppid", str(server.pid), "-o", "pid="], capture_output=True, text=True
        ).stdout.split()
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        connections.close_all()  # the test's own connection died with the server

    before = [r for r in results if r[0] < restarted]
    after = [r for r in results if r[0] > back + 0.5]
    assert before and all(status == 200 for _, status, _ in before)
    # Every answer was a success or a clean 503 in the envelope: never a 500.
    for _, status, body in results:
        assert status in (200, 503), (status, body[:300])
        if status == 503:
            assert json.loads(body)["code"] == "service_unavailable"
    assert len(after) >= 10 and all(status == 200 for _, status, _ in after), after[:3]
    assert worker_pids == after_pids  # the same worker recovered: nothing was restarted
    down = [t for t, status, _ in results if status == 503]
    window = f"{down[-1] - down[0]:.1f} s" if down else "no time"
    FIGURES.append(
        f"FAULT-3 PostgreSQL restart under load: {len(results)} requests, "
        f"{len(down)} clean 503s over {window} while it restarted, "
        f"{sum(1 for r in results if r[1] not in (200, 503))} other errors, then 200s "
        "again from the same gunicorn worker"
    )
    assert Lead.objects.count() == 0  # and the test database is usable again
