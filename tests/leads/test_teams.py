"""Routing settings services: placement checks, rotation seats, one active rotation per
team, settings audit entries."""

import pytest
from django.core.exceptions import ValidationError

from leads.models import ActionLog, LeadSource, Rotation, Team
from leads.services.leads import lead_create
from leads.services.teams import (
    Placement,
    RotationSeat,
    lead_placement_resolve,
    rotation_create,
    rotation_seats_parse,
    rotation_turn_take,
    rotation_update,
    team_create,
)
from tests.conftest import make_member, make_rotation


def codes(err: ValidationError) -> set:
    return {e.code for e in err.error_list}


def test_listing_an_email_several_times_adds_up_its_weight():
    seats = rotation_seats_parse(
        ["A@x.test", {"email": "b@x.test", "weight": 2}, "a@x.test", {"email": "a@X.test"}]
    )
    assert seats == [RotationSeat("a@x.test", 3), RotationSeat("b@x.test", 2)]


def test_bad_seats_are_all_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        rotation_seats_parse([1, {"weight": 2}, {"email": "a@x.test", "weight": True}])
    assert len(caught.value.message_dict["rotation_members"]) == 3


def test_placement_requires_a_team_only_when_active_teams_exist(ws_a):
    assert lead_placement_resolve(workspace=ws_a, data={}) == Placement(None, None)
    Team.objects.create(workspace=ws_a, name="T")
    with pytest.raises(ValidationError) as caught:
        lead_placement_resolve(workspace=ws_a, data={})
    assert codes(caught.value) == {"team_required"}
    assert lead_placement_resolve(workspace=ws_a, data={}, enforce=False).team is None


def test_placement_on_update_only_checks_what_was_sent(ws_a):
    team = Team.objects.create(workspace=ws_a, name="T")
    LeadSource.objects.create(workspace=ws_a, team=team, name="S")
    current = Placement(team=None, lead_source=None)
    assert lead_placement_resolve(workspace=ws_a, data={}, current=current) is current
    with pytest.raises(ValidationError) as caught:
        lead_placement_resolve(workspace=ws_a, data={"team": team.pk}, current=current)
    assert codes(caught.value) == {"lead_source_required"}


def test_a_team_keeps_one_active_rotation(ws_a, actor_a, alice):
    team = Team.objects.create(workspace=ws_a, name="T")
    first = rotation_create(workspace=ws_a, actor=actor_a, name="R1", team_id=team.pk)
    queued = rotation_create(
        workspace=ws_a, actor=actor_a, name="R2", team_id=team.pk, status="queued"
    )
    with pytest.raises(ValidationError) as caught:
        rotation_update(rotation=queued, actor=actor_a, data={"status": "active"})
    assert codes(caught.value) == {"rotation_conflict"}
    rotation_update(rotation=first, actor=actor_a, data={"status": "archived"})
    rotation_update(rotation=queued, actor=actor_a, data={"status": "active"})
    assert Rotation.objects.get(status="active").pk == queued.pk


def test_settings_changes_are_recorded_in_the_audit_trail(ws_a, actor_a, alice):
    team = team_create(workspace=ws_a, actor=actor_a, name="T", member_emails=[alice.email])
    entry = ActionLog.objects.get(event="team_created")
    assert entry.type == ActionLog.Type.SETTINGS and entry.lead is None
    assert entry.actor_user == alice.user
    assert entry.input["teamId"] == team.pk


def test_taking_a_turn_advances_the_same_pointer_routing_uses(ws_a, actor_a):
    members = [make_member(ws_a, f"m{i}@acme.test", "agent") for i in range(2)]
    rotation = make_rotation(ws_a, members)
    assert rotation_turn_take(rotation=rotation).pick.member == members[0]
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "L"}).lead
    assert lead.assignee == members[1]


def test_a_teams_lead_source_brings_the_lead_to_the_team_and_its_rotation(ws_a, actor_a, bob):
    inbound = Team.objects.create(workspace=ws_a, name="Inbound")
    other = Team.objects.create(workspace=ws_a, name="Other")
    make_rotation(ws_a, [bob], team=inbound)
    web = LeadSource.objects.create(workspace=ws_a, team=inbound, name="Web")
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "A", "lead_source": web})
    assert (lead.lead.team, lead.lead.assignee) == (inbound, bob)
    with pytest.raises(ValidationError) as caught:
        lead_create(
            workspace=ws_a,
            actor=actor_a,
            data={"first_name": "B", "lead_source": web, "team": other},
        )
    assert "belongs to another team" in caught.value.message_dict["lead_source"][0]
