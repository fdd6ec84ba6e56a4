"""Concurrency with real threads (IDEM-2, ROT-2, ROT-3).

Already proven elsewhere and not repeated here (docs/reliability.md lists them):
- 50 concurrent same-key requests on the platform probe: tests/api/test_platform.py;
- 50 concurrent MEGA creates with one email make one lead:
  tests/api/mega/test_create.py::test_fifty_concurrent_creates_with_one_email_make_one_lead;
- 300 Pulse creates from 16 threads through one rotation: tests/api/pulse/test_concurrency.py.
"""

from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from api.models import IdempotencyRecord
from campaigns.models import CampaignLead
from leads.actors import Actor
from leads.models import ActionLog, Lead, Membership, Team, WebhookDelivery
from leads.services.leads import lead_create
from tests.concurrency import run_in_threads
from tests.conftest import make_member, make_rotation
from tests.reliability.creates import FAMILIES, keyed_create, outbox_and_campaign


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("family", FAMILIES)
def test_fifty_concurrent_creates_with_one_idempotency_key_write_one_lead_once(
    ws_a, key_a, alice, bob, family, no_outbound_http
):
    """IDEM-2 on the real create endpoints: one lead, one timeline entry, one outbox row,
    every 2xx body identical; the only other answer is 409 in progress with Retry-After."""
    assert connection.vendor == "postgresql"
    make_rotation(ws_a, [alice, bob])
    create = keyed_create(family, 1, ws_a, outbox_and_campaign(ws_a), key_a)

    def send(_: int) -> tuple[int, bytes, str | None]:
        response = create.post(Client())
        return response.status_code, response.content, response.get("Retry-After")

    results, errors = run_in_threads(50, send)
    assert errors == []
    ok = [content for status, content, _ in results if 200 <= status < 300]
    assert ok and len(set(ok)) == 1
    for status, content, retry_after in results:
        if not 200 <= status < 300:
            assert status == 409, (status, content)
            assert b"idempotency_request_in_progress" in content and retry_after == "1"
    assert Lead.objects.filter(workspace=ws_a).count() == 1
    assert ActionLog.objects.filter(workspace=ws_a, event="lead_created").count() == 1
    assert WebhookDelivery.objects.filter(endpoint__workspace=ws_a).count() == 1
    assert IdempotencyRecord.objects.filter(workspace=ws_a).count() == 1
    if family == "autocalls":
        assert CampaignLead.objects.filter(workspace=ws_a).count() == 1
    # The retry after the storm gets the stored answer.
    status, content, _ = send(0)
    assert 200 <= status < 300 and content == ok[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_thousand_creates_from_32_threads_across_two_rotations_are_all_assigned_fairly(ws_a):
    """ROT-2: two teams, each with its own rotation, leads alternating between them."""
    assert connection.vendor == "postgresql"
    teams = []
    for name, size in (("North", 3), ("South", 4)):
        members = [
            make_member(ws_a, f"{name.lower()}{i}@acme.test", Membership.Role.AGENT)
            for i in range(size)
        ]
        team = Team.objects.create(workspace=ws_a, name=name)
        team.members.add(*members)
        make_rotation(ws_a, members, team=team)
        teams.append((team, {m.pk for m in members}))
    deadlocks_before = _deadlocks()
    threads, total = 32, 1000

    def create_share(n: int) -> int:
        share = total // threads + (1 if n < total % threads else 0)
        for i in range(share):
            team = teams[(n + i) % 2][0]
            lead_create(
                workspace=ws_a, actor=Actor.system(), data={"first_name": f"L{n}-{i}", "team": team}
            )
        return share

    results, errors = run_in_threads(threads, create_share)
    assert errors == []
    assert sum(results) == total
    leads = Lead.objects.filter(workspace=ws_a)
    assert leads.count() == total
    assert not leads.filter(assignee__isnull=True).exists()
    for team, member_ids in teams:
        counts = Counter(leads.filter(team=team).values_list("assignee", flat=True))
        assert set(counts) == member_ids, team.name  # nobody of the other team
        assert max(counts.values()) - min(counts.values()) <= 1, (team.name, counts)
    assert ActionLog.objects.filter(workspace=ws_a, event="lead_assigned").count() == total
    assert _deadlocks() == deadlocks_before


@pytest.mark.django_db(transaction=True)
def test_two_hundred_creates_from_8_threads_on_sqlite_never_hit_database_is_locked(
    ws_a, alice, bob
):
    """ROT-3: IMMEDIATE transactions, WAL and the busy timeout make SQLite writers queue."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite writer lock is what this test is about")
    make_rotation(ws_a, [alice, bob])

    def create_share(n: int) -> list[str]:
        failures = []
        for i in range(25):
            try:
                lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": f"S{n}-{i}"})
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
        return failures

    results, errors = run_in_threads(8, create_share)
    failures = [f for share in results for f in share]
    assert errors == [] and failures == []
    leads = Lead.objects.filter(workspace=ws_a)
    assert leads.count() == 200
    counts = Counter(leads.values_list("assignee", flat=True))
    assert set(counts) == {alice.pk, bob.pk} and max(counts.values()) - min(counts.values()) <= 1
