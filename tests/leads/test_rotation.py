from collections import Counter

import pytest
from django.db import connection

from leads.actors import Actor
from leads.models import ActionLog, Lead, Rotation, Team
from leads.services.leads import lead_create
from leads.services.routing import rotation_cycle, rotation_pick, rotation_preview
from tests.concurrency import run_in_threads
from tests.conftest import make_member, make_rotation


@pytest.fixture
def agents(ws_a):
    return [make_member(ws_a, f"agent{i}@acme.test", "agent", f"Agent {i}") for i in range(3)]


def test_it_assigns_the_next_member_in_rotation_in_order(ws_a, agents):
    rotation = make_rotation(ws_a, agents)
    picked = [rotation_pick(rotation=rotation).member for _ in range(7)]
    assert picked == [agents[0], agents[1], agents[2], agents[0], agents[1], agents[2], agents[0]]
    rotation.refresh_from_db()
    assert rotation.position == 1


@pytest.mark.parametrize("k", [2, 3, 7])
def test_sequential_picks_are_fair_to_within_one(ws_a, k):
    members = [make_member(ws_a, f"m{i}@acme.test", "agent") for i in range(k)]
    rotation = make_rotation(ws_a, members)
    counts = Counter(rotation_pick(rotation=rotation).member.pk for _ in range(100))
    assert len(counts) == k
    assert max(counts.values()) - min(counts.values()) <= 1


def test_weights_give_more_turns_spread_over_the_cycle(ws_a, agents):
    rotation = make_rotation(ws_a, agents)
    rotation.members.filter(membership=agents[0]).update(weight=3)
    cycle = [m.membership for m in rotation_cycle(list(rotation.members.all()))]
    assert Counter(m.pk for m in cycle) == {agents[0].pk: 3, agents[1].pk: 1, agents[2].pk: 1}
    assert cycle[0] == agents[0] and cycle[1] != agents[0]  # spread, not three in a row
    picks = Counter(rotation_pick(rotation=rotation).member.pk for _ in range(50))
    assert picks == {agents[0].pk: 30, agents[1].pk: 10, agents[2].pk: 10}


def test_members_away_are_skipped_and_do_not_catch_up_on_return(ws_a, agents):
    rotation = make_rotation(ws_a, agents)
    rotation.members.filter(membership=agents[1]).update(is_active=False)
    picks = [rotation_pick(rotation=rotation).member for _ in range(6)]
    assert agents[1] not in picks
    assert rotation_pick(rotation=rotation).member == agents[0]
    pick = rotation_pick(rotation=rotation)  # Agent 1's turn, taken by Agent 2
    assert pick.member == agents[2]
    assert pick.reason.endswith("skipped Agent 1 (not taking leads)")
    rotation.members.filter(membership=agents[1]).update(is_active=True)
    after = Counter(rotation_pick(rotation=rotation).member.pk for _ in range(30))
    assert max(after.values()) - min(after.values()) <= 1


def test_a_rotation_with_nobody_taking_leads_picks_nobody(ws_a, agents):
    rotation = make_rotation(ws_a, agents)
    rotation.members.update(is_active=False)
    assert rotation_pick(rotation=rotation) is None


def test_the_preview_shows_the_next_five_without_taking_turns(ws_a, agents):
    rotation = make_rotation(ws_a, agents)
    rotation_pick(rotation=rotation)
    assert rotation_preview(rotation, 5) == [agents[1], agents[2], agents[0], agents[1], agents[2]]
    rotation.refresh_from_db()
    assert rotation.position == 1


def test_new_leads_route_team_rotation_then_default_then_nobody(ws_a, agents, actor_a):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    make_rotation(ws_a, [agents[0]], team=team)
    make_rotation(ws_a, [agents[1]])
    team_lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "T", "team": team})
    plain_lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "P"})
    assert team_lead.lead.assignee == agents[0]
    assert plain_lead.lead.assignee == agents[1]
    explicit = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "E", "assignee": agents[2]}
    )
    assert explicit.lead.assignee == agents[2]
    Rotation.objects.update(status=Rotation.Status.ARCHIVED)
    nobody = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "N"})
    assert nobody.lead.assignee is None


def test_the_timeline_says_why_the_member_got_the_lead(ws_a, agents, actor_a):
    make_rotation(ws_a, agents)
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "W"}).lead
    entry = ActionLog.objects.get(lead=lead, type=ActionLog.Type.ASSIGNMENT)
    assert entry.summary == "Assigned to Agent 0"
    assert "Next in rotation “default” (turn 1 of 3)" in entry.description


def test_a_create_that_fails_after_taking_a_turn_gives_the_turn_back(
    ws_a, agents, actor_a, monkeypatch
):
    rotation = make_rotation(ws_a, agents)
    seen = []

    def timeline_down(**entry):
        # The lead is saved and routed by now: the turn was taken in this transaction.
        seen.append((entry["lead"].assignee, Rotation.objects.get().position))
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr("leads.services.leads.actionlog_record", timeline_down)
    with pytest.raises(RuntimeError, match="timeline unavailable"):
        lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "X"})
    assert seen == [(agents[0], 1)]
    rotation.refresh_from_db()
    assert rotation.position == 0
    assert not Lead.objects.exists()
    monkeypatch.undo()
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "Y"}).lead
    assert lead.assignee == agents[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_on_postgres_assign_everyone_fairly(ws_a, agents):
    assert connection.vendor == "postgresql"
    make_rotation(ws_a, agents)

    def create_15(n: int) -> None:
        for i in range(15):
            lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": f"L{n}-{i}"})

    _, errors = run_in_threads(16, create_15)
    assert errors == []
    assert Lead.objects.filter(workspace=ws_a).count() == 240
    assert not Lead.objects.filter(workspace=ws_a, assignee__isnull=True).exists()
    counts = Counter(Lead.objects.filter(workspace=ws_a).values_list("assignee", flat=True))
    assert max(counts.values()) - min(counts.values()) <= 1
