"""Real threads against PostgreSQL: the rotation hands out every turn exactly once."""

from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from leads.models import ActionLog, Lead, Rotation
from tests.api.pulse.conftest import pulse_for, team_with_rotation
from tests.concurrency import run_in_threads
from tests.conftest import make_member

THREADS = 16
LEADS = 300


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_300_creates_from_16_threads_are_all_assigned_evenly(ws_a, key_a):
    assert connection.vendor == "postgresql"
    members = [make_member(ws_a, f"rep{i}@acme.test", "agent") for i in range(3)]
    team, _ = team_with_rotation(ws_a, "Inbound", members)

    def create_share(n: int) -> list[int]:
        api = pulse_for(Client(), key_a)
        share = LEADS // THREADS + (1 if n < LEADS % THREADS else 0)
        return [
            api.post(
                "leads", {"firstName": f"L{n}-{i}", "lastName": "X", "teamId": team.pk}
            ).status_code
            for i in range(share)
        ]

    results, errors = run_in_threads(THREADS, create_share)
    assert errors == []
    statuses = [status for share in results for status in share]
    assert len(statuses) == LEADS and set(statuses) == {201}
    leads = Lead.objects.filter(workspace=ws_a)
    assert leads.count() == LEADS
    assert not leads.filter(assignee__isnull=True).exists()
    counts = Counter(leads.values_list("assignee", flat=True))
    assert set(counts) == {m.pk for m in members}
    assert max(counts.values()) - min(counts.values()) <= 1
    assert Rotation.objects.get(team=team).position == LEADS % len(members)
    assert ActionLog.objects.filter(event="lead_assigned").count() == LEADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_next_user_calls_never_hand_out_a_turn_twice(ws_a, key_a):
    assert connection.vendor == "postgresql"
    members = [make_member(ws_a, f"rep{i}@acme.test", "agent") for i in range(4)]
    team, _ = team_with_rotation(ws_a, "Inbound", members)
    rotation = Rotation.objects.get(team=team)

    def take(_: int) -> tuple[int, str]:
        body = pulse_for(Client(), key_a).get(f"lead-rotations/{rotation.pk}/next-user").json()
        return body["currentPosition"], body["currentUser"]

    results, errors = run_in_threads(12, take)
    assert errors == []
    turns = Counter(user for _, user in results)
    assert sorted(turns.values()) == [3, 3, 3, 3]
    rotation.refresh_from_db()
    assert rotation.position == 0
