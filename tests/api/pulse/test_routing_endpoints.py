"""/api/teams, /api/lead-sources and /api/lead-rotations."""

import pytest

from leads.models import ActionLog, LeadSource, Rotation, RotationMember, Team
from tests.api.pulse.conftest import pulse_for, scoped_key
from tests.conftest import make_member, make_rotation

STATUS_MESSAGE = "Status is required and must be one of active, archived, queued"
TEAMLESS = (
    "A rotation belongs to a team, or is the account's “default” rotation: "
    "choose a team, or name it “default”."
)


# --- the lists ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["teams", "lead-sources", "lead-rotations"])
@pytest.mark.parametrize("sort", [",", "name,", "-createdAt,,id"])
def test_an_empty_sort_field_is_400_naming_sort(api_a, ws_a, agents, path, sort):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    LeadSource.objects.create(workspace=ws_a, team=team, name="Web")
    make_rotation(ws_a, agents, team=team)
    assert api_a.get(path, sort="-createdAt,id").json()["totalCount"] == 1
    response = api_a.get(path, sort=sort)
    assert response.status_code == 400, response.content
    message = response.json()["fields"]["sort"][0]
    assert message.startswith("A sort field is empty (check for a stray comma).")
    assert "updatedAt" in message


# --- teams ------------------------------------------------------------------------------


def test_a_team_is_created_with_members_and_read_back(api_a, ws_a, agents):
    response = api_a.post(
        "teams", {"name": "Inbound", "members": ["agent0@acme.test", {"email": "AGENT1@acme.test"}]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Inbound" and body["active"] is True
    assert body["accountId"] == body["account_id"] == ws_a.account_id
    assert [m["email"] for m in body["members"]] == ["agent0@acme.test", "agent1@acme.test"]
    assert body["members"][0] == {
        "userId": agents[0].user_id,
        "email": "agent0@acme.test",
        "name": "Agent 0",
    }
    assert body["createdBy"] == body["updatedBy"] == "alice@acme.test"
    assert api_a.get(f"teams/{body['id']}").json() == body
    assert ActionLog.objects.filter(event="team_created", type="SETTINGS").count() == 1


def test_team_names_are_unique_per_account(api_a, api_b):
    assert api_a.post("teams", {"name": "Inbound"}).status_code == 201
    clash = api_a.post("teams", {"name": "inbound"})
    assert clash.status_code == 400
    assert clash.json()["fields"] == {"name": ["A team named “inbound” already exists."]}
    assert api_b.post("teams", {"name": "Inbound"}).status_code == 201


def test_team_members_must_be_active_members_of_the_account(api_a, dave):
    response = api_a.post("teams", {"name": "X", "members": ["dave@bravo.test", "nope@x.test"]})
    assert response.status_code == 400
    assert response.json()["fields"]["members"] == [
        "“dave@bravo.test” is not a member of this account.",
        "“nope@x.test” is not a member of this account.",
    ]
    assert Team.objects.count() == 0


def test_teams_list_shows_active_teams_unless_asked(api_a, ws_a):
    live = Team.objects.create(workspace=ws_a, name="Live")
    old = Team.objects.create(workspace=ws_a, name="Old", is_active=False)
    listed = api_a.get("teams").json()
    assert [t["id"] for t in listed["data"]] == [live.pk]
    assert listed["totalCount"] == 1
    assert [t["id"] for t in api_a.get("teams", active="false").json()["data"]] == [old.pk]
    assert len(api_a.get("teams", active="all").json()["data"]) == 2
    assert [t["id"] for t in api_a.get("teams", name="live").json()["data"]] == [live.pk]
    assert [t["id"] for t in api_a.get("teams", search="iv").json()["data"]] == [live.pk]
    assert api_a.get("teams", active="yes").status_code == 400


def test_a_team_is_renamed_deactivated_and_its_members_replaced(api_a, ws_a, agents):
    team_id = api_a.post("teams", {"name": "Inbound", "members": ["agent0@acme.test"]}).json()["id"]
    response = api_a.patch(
        f"teams/{team_id}", {"name": "Inbound EU", "active": False, "members": ["agent2@acme.test"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["active"]) == ("Inbound EU", False)
    assert [m["email"] for m in body["members"]] == ["agent2@acme.test"]
    kept = api_a.patch(f"teams/{team_id}", {"name": "Inbound EU 2"}).json()
    assert [m["email"] for m in kept["members"]] == ["agent2@acme.test"]


def test_listing_teams_runs_a_fixed_number_of_queries(
    api_a, ws_a, agents, django_assert_max_num_queries
):
    for i in range(20):
        Team.objects.create(workspace=ws_a, name=f"T{i}", created_by=agents[0].user).members.set(
            agents
        )
    api_a.get("teams")
    with django_assert_max_num_queries(4):
        response = api_a.get("teams", pageSize=100)
    assert len(response.json()["data"]) == 20


# --- lead sources -----------------------------------------------------------------------


def test_a_lead_source_is_created_for_a_team_or_for_everyone(api_a, ws_a):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    for_team = api_a.post("lead-sources", {"name": "Web", "teamId": team.pk})
    assert for_team.status_code == 201
    assert for_team.json()["teamId"] == team.pk
    assert for_team.json()["accountId"] == ws_a.account_id
    assert for_team.json()["createdBy"] == "alice@acme.test"
    anywhere = api_a.post("lead-sources", {"name": "Referral"})
    assert anywhere.status_code == 201 and anywhere.json()["teamId"] is None
    got = api_a.get(f"lead-sources/{for_team.json()['id']}")
    assert got.json() == for_team.json()


def test_a_lead_source_needs_a_team_of_this_account(api_a, ws_b):
    theirs = Team.objects.create(workspace=ws_b, name="Theirs")
    response = api_a.post("lead-sources", {"name": "Web", "teamId": theirs.pk})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "teamId": [f"Team {theirs.pk} does not exist in this account."]
    }
    assert LeadSource.objects.count() == 0


def test_lead_sources_list_shows_all_unless_filtered(api_a, ws_a):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    web = LeadSource.objects.create(workspace=ws_a, team=team, name="Web")
    old = LeadSource.objects.create(workspace=ws_a, name="Fax", is_active=False)
    assert {s["id"] for s in api_a.get("lead-sources").json()["data"]} == {web.pk, old.pk}
    assert [s["id"] for s in api_a.get("lead-sources", active="true").json()["data"]] == [web.pk]
    assert [s["id"] for s in api_a.get("lead-sources", active="false").json()["data"]] == [old.pk]
    assert [s["id"] for s in api_a.get("lead-sources", teamId=team.pk).json()["data"]] == [web.pk]
    assert [s["id"] for s in api_a.get("lead-sources", name="FAX").json()["data"]] == [old.pk]


def test_a_lead_source_moves_between_teams_and_is_deactivated(api_a, ws_a):
    a = Team.objects.create(workspace=ws_a, name="A")
    b = Team.objects.create(workspace=ws_a, name="B")
    source_id = api_a.post("lead-sources", {"name": "Web", "teamId": a.pk}).json()["id"]
    moved = api_a.patch(f"lead-sources/{source_id}", {"teamId": b.pk, "active": False}).json()
    assert (moved["teamId"], moved["active"], moved["name"]) == (b.pk, False, "Web")
    detached = api_a.patch(f"lead-sources/{source_id}", {"teamId": None}).json()
    assert detached["teamId"] is None


def test_listing_lead_sources_runs_a_fixed_number_of_queries(
    api_a, ws_a, alice, django_assert_max_num_queries
):
    LeadSource.objects.bulk_create(
        [LeadSource(workspace=ws_a, name=f"S{i}", created_by=alice.user) for i in range(20)]
    )
    api_a.get("lead-sources")
    with django_assert_max_num_queries(3):
        assert len(api_a.get("lead-sources", pageSize=50).json()["data"]) == 20


# --- rotations --------------------------------------------------------------------------


def test_a_team_rotation_is_created_with_members_in_turn_order(api_a, ws_a, agents):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    response = api_a.post(
        "lead-rotations",
        {
            "name": "Inbound rotation",
            "teamId": team.pk,
            "userRotationArray": ["agent2@acme.test", "agent0@acme.test"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["teamId"] == team.pk
    assert body["userRotationArray"] == ["agent2@acme.test", "agent0@acme.test"]
    assert body["currentPosition"] == 0
    assert body["team"]["name"] == "Inbound"
    assert body["accountId"] == ws_a.account_id
    assert body["createdBy"] == "alice@acme.test"
    assert api_a.get(f"lead-rotations/{body['id']}").json() == body


def test_the_default_rotation_is_the_account_fallback(api_a, ws_a, agents):
    response = api_a.post(
        "lead-rotations", {"name": "Default", "userRotationArray": ["agent1@acme.test"]}
    )
    assert response.status_code == 201
    assert response.json()["name"] == "default" and response.json()["teamId"] is None
    lead = api_a.post("leads", {"firstName": "F", "lastName": "L"}).json()
    assert lead["assignedTo"] == "agent1@acme.test"


def test_one_active_rotation_per_team_and_one_default(api_a, ws_a, agents):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    first = api_a.post("lead-rotations", {"name": "R1", "teamId": team.pk}).json()
    second = api_a.post("lead-rotations", {"name": "R2", "teamId": team.pk})
    assert second.status_code == 400
    assert second.json()["code"] == "rotation_conflict"
    assert second.json()["error"] == (
        f"Team {team.pk} already has an active rotation ({first['id']}); archive or queue it first."
    )
    queued = api_a.post("lead-rotations", {"name": "R2", "teamId": team.pk, "status": "queued"})
    assert queued.status_code == 201
    assert api_a.post("lead-rotations", {"name": "default"}).status_code == 201
    assert api_a.post("lead-rotations", {"name": "default"}).json()["code"] == "rotation_conflict"
    switch = api_a.patch(f"lead-rotations/{queued.json()['id']}/status", {"status": "active"})
    assert switch.status_code == 400 and switch.json()["code"] == "rotation_conflict"


def test_a_second_rotation_for_a_team_waits_until_the_first_is_out_of_the_way(api_a, ws_a, agents):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    first = api_a.post(
        "lead-rotations", {"name": "R1", "teamId": team.pk, "userRotationArray": [agents[0].email]}
    ).json()
    body = {"teamId": team.pk, "userRotationArray": [agents[1].email]}
    second = api_a.post("lead-rotations", {"name": "R2", "status": "queued", **body}).json()
    archived = api_a.post("lead-rotations", {"name": "R3", "status": "archived", **body})
    assert archived.status_code == 201
    refused = api_a.patch(f"lead-rotations/{second['id']}/status", {"status": "active"})
    assert refused.status_code == 400 and refused.json()["code"] == "rotation_conflict"
    assert Rotation.objects.get(pk=first["id"]).status == "active"
    for rotation, status in ((first, "queued"), (second, "active")):
        response = api_a.patch(f"lead-rotations/{rotation['id']}/status", {"status": status})
        assert response.status_code == 200
    lead = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk}).json()
    assert lead["assignedTo"] == agents[1].email
    other = Team.objects.create(workspace=ws_a, name="Outbound")
    moved = make_rotation(ws_a, agents[:1], team=other, name="Elsewhere")
    clash = api_a.patch(f"lead-rotations/{moved.pk}", {"teamId": team.pk})
    assert clash.status_code == 400 and clash.json()["code"] == "rotation_conflict"


def test_a_rotation_without_a_team_must_be_the_default(api_a, ws_a, agents):
    orphan = api_a.post(
        "lead-rotations", {"name": "orphan", "userRotationArray": [agents[0].email]}
    )
    assert orphan.status_code == 400
    assert orphan.json()["fields"] == {"teamId": [TEAMLESS]}
    assert Rotation.objects.count() == 0
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    rotation_id = api_a.post("lead-rotations", {"name": "R", "teamId": team.pk}).json()["id"]
    cut_loose = api_a.patch(f"lead-rotations/{rotation_id}", {"teamId": None})
    assert cut_loose.status_code == 400
    assert cut_loose.json()["fields"] == {"teamId": [TEAMLESS]}
    fallback = api_a.patch(f"lead-rotations/{rotation_id}", {"teamId": None, "name": "Default"})
    assert fallback.status_code == 200, fallback.content
    assert (fallback.json()["name"], fallback.json()["teamId"]) == ("default", None)


def test_an_older_team_less_rotation_keeps_its_name_but_cannot_take_another(api_a, ws_a, agents):
    legacy = make_rotation(ws_a, agents, name="Legacy")
    kept = api_a.patch(
        f"lead-rotations/{legacy.pk}", {"name": "Legacy", "userRotationArray": [agents[0].email]}
    )
    assert kept.status_code == 200, kept.content
    renamed = api_a.patch(f"lead-rotations/{legacy.pk}", {"name": "Still orphan"})
    assert renamed.json()["fields"] == {"teamId": [TEAMLESS]}


def test_default_cannot_belong_to_a_team(api_a, ws_a):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    response = api_a.post("lead-rotations", {"name": "default", "teamId": team.pk})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        (["stranger@x.test"], "is not a member of this account"),
        ([42], "send an email or an object"),
        ([{"email": "agent0@acme.test", "weight": 0}], "weight must be a whole number"),
        ([{"email": "agent0@acme.test", "weight": 101}], "the most is 100"),
        ("agent0@acme.test", "Expected a list"),
    ],
)
def test_bad_rotation_members_are_400(api_a, agents, members, problem):
    response = api_a.post("lead-rotations", {"name": "default", "userRotationArray": members})
    assert response.status_code == 400
    assert problem in str(response.json()["fields"]["userRotationArray"])
    assert Rotation.objects.count() == 0


def test_weights_show_as_repeated_turns_and_survive_a_round_trip(api_a, ws_a, agents):
    body = api_a.post(
        "lead-rotations",
        {
            "name": "default",
            "userRotationArray": [
                {"email": "agent0@acme.test", "weight": 3},
                "agent1@acme.test",
                "agent2@acme.test",
            ],
        },
    ).json()
    a0, a1, a2 = (f"agent{i}@acme.test" for i in range(3))
    assert body["userRotationArray"] == [a0, a1, a0, a2, a0]
    assert [(m["email"], m["weight"]) for m in body["members"]] == [(a0, 3), (a1, 1), (a2, 1)]
    again = api_a.patch(
        f"lead-rotations/{body['id']}", {"userRotationArray": body["userRotationArray"]}
    ).json()
    assert again["userRotationArray"] == body["userRotationArray"]
    assert [m["weight"] for m in again["members"]] == [3, 1, 1]


def test_patch_reorders_members_and_keeps_the_pointer_in_range(api_a, ws_a, agents):
    rotation = make_rotation(ws_a, agents, name="R")
    Rotation.objects.filter(pk=rotation.pk).update(position=2)
    body = api_a.patch(
        f"lead-rotations/{rotation.pk}",
        {"userRotationArray": ["agent1@acme.test", "agent0@acme.test"]},
    ).json()
    assert body["userRotationArray"] == ["agent1@acme.test", "agent0@acme.test"]
    assert body["currentPosition"] == 0
    assert RotationMember.objects.filter(rotation=rotation).count() == 2
    moved = api_a.patch(f"lead-rotations/{rotation.pk}", {"currentPosition": 1}).json()
    assert moved["currentPosition"] == 1
    out_of_range = api_a.patch(f"lead-rotations/{rotation.pk}", {"currentPosition": 2})
    assert out_of_range.status_code == 400
    assert list(out_of_range.json()["fields"]) == ["currentPosition"]


def test_rotations_list_shows_active_ones_unless_asked(api_a, ws_a, agents):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    active = make_rotation(ws_a, agents, team=team, name="Now")
    old = Rotation.objects.create(workspace=ws_a, name="Old", status="archived")
    listed = api_a.get("lead-rotations").json()
    assert [r["id"] for r in listed["data"]] == [active.pk]
    assert [r["id"] for r in api_a.get("lead-rotations", status="archived").json()["data"]] == [
        old.pk
    ]
    assert len(api_a.get("lead-rotations", status="all").json()["data"]) == 2
    assert [r["id"] for r in api_a.get("lead-rotations", teamId=team.pk).json()["data"]] == [
        active.pk
    ]
    assert [r["id"] for r in api_a.get("lead-rotations", name="now").json()["data"]] == [active.pk]
    assert api_a.get("lead-rotations", status="paused").status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"status": "paused"},
        {"status": "Active"},
        {},
        {"status": None},
        {"status": ""},
        {"status": ["active"]},
        {"status": {}},
        {"status": {"status": "active"}},
        {"status": 1},
        {"status": True},
        ["active"],
        [{"status": "active"}],
        '"active"',
        "null",
        "42",
    ],
)
def test_a_bad_status_is_400_with_the_documented_message(api_a, ws_a, body):
    rotation = Rotation.objects.create(workspace=ws_a, name="default", status="queued")
    response = api_a.patch(f"lead-rotations/{rotation.pk}/status", body)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": STATUS_MESSAGE,
        "message": STATUS_MESSAGE,
        "code": "invalid_status",
    }
    rotation.refresh_from_db()
    assert rotation.status == "queued"


@pytest.mark.parametrize("status", ["paused", ["active"], {}, None, ""])
def test_a_bad_status_on_create_or_patch_is_the_documented_message(api_a, ws_a, status):
    created = api_a.post("lead-rotations", {"name": "default", "status": status})
    assert created.status_code == 400, created.content
    assert created.json()["fields"] == {"status": [STATUS_MESSAGE]}
    rotation = Rotation.objects.create(workspace=ws_a, name="default")
    patched = api_a.patch(f"lead-rotations/{rotation.pk}", {"status": status})
    assert patched.status_code == 400, patched.content
    assert patched.json()["fields"] == {"status": [STATUS_MESSAGE]}


def test_status_changes_take_a_rotation_in_and_out_of_routing(api_a, ws_a, agents):
    rotation = make_rotation(ws_a, agents[:1])
    archived = api_a.patch(f"lead-rotations/{rotation.pk}/status", {"status": "archived"})
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert api_a.post("leads", {"firstName": "F", "lastName": "L"}).json()["assignedTo"] is None
    api_a.patch(f"lead-rotations/{rotation.pk}/status", {"status": "active"})
    lead = api_a.post("leads", {"firstName": "F", "lastName": "L"}).json()
    assert lead["assignedTo"] == "agent0@acme.test"


def test_delete_returns_the_deleted_rotation(api_a, ws_a, agents):
    rotation = make_rotation(ws_a, agents, name="Gone")
    before = api_a.get(f"lead-rotations/{rotation.pk}").json()
    response = api_a.delete(f"lead-rotations/{rotation.pk}")
    assert response.status_code == 200
    assert response.json() == before
    assert not Rotation.objects.filter(pk=rotation.pk).exists()
    assert api_a.get(f"lead-rotations/{rotation.pk}").status_code == 404
    assert ActionLog.objects.filter(event="rotation_deleted").count() == 1


def test_next_user_takes_the_turn_and_advances_the_pointer(api_a, ws_a, agents):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    team.members.set(agents)
    rotation = make_rotation(ws_a, agents, team=team)
    first = api_a.get(f"lead-rotations/{rotation.pk}/next-user")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["user"] == {
        "userId": agents[0].user_id,
        "email": "agent0@acme.test",
        "name": "Agent 0",
        "weight": 1,
        "id": agents[0].pk,
    }
    assert body["rotationId"] == rotation.pk
    assert (body["currentPosition"], body["newPosition"], body["totalUsers"]) == (0, 1, 3)
    assert body["currentUser"] == "agent0@acme.test"
    assert body["nextUser"] == "agent1@acme.test"
    assert body["rotation"]["currentPosition"] == 1
    # One type for a user's id wherever Pulse shows it.
    team_member = api_a.get(f"teams/{team.pk}").json()["members"][0]
    assert (
        body["user"]["userId"] == team_member["userId"] == body["rotation"]["members"][0]["userId"]
    )
    second = api_a.get(f"lead-rotations/{rotation.pk}/next-user").json()
    assert second["currentUser"] == "agent1@acme.test"
    lead = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk}).json()
    assert lead["assignedTo"] == "agent2@acme.test"


def test_next_user_skips_members_who_are_away(api_a, ws_a, agents):
    rotation = make_rotation(ws_a, agents)
    RotationMember.objects.filter(membership=agents[0]).update(is_active=False)
    body = api_a.get(f"lead-rotations/{rotation.pk}/next-user").json()
    assert (body["currentUser"], body["currentPosition"]) == ("agent1@acme.test", 1)


def test_next_user_refuses_rotations_that_cannot_hand_out_turns(api_a, ws_a, agents):
    empty = Rotation.objects.create(workspace=ws_a, name="Empty")
    response = api_a.get(f"lead-rotations/{empty.pk}/next-user")
    assert response.status_code == 400 and response.json()["code"] == "rotation_empty"
    queued = make_rotation(ws_a, agents, name="Later")
    Rotation.objects.filter(pk=queued.pk).update(status="queued")
    response = api_a.get(f"lead-rotations/{queued.pk}/next-user")
    assert response.status_code == 400 and response.json()["code"] == "rotation_inactive"
    assert Rotation.objects.get(pk=queued.pk).position == 0


def test_listing_rotations_runs_a_fixed_number_of_queries(
    api_a, ws_a, agents, django_assert_max_num_queries
):
    for i in range(10):
        team = Team.objects.create(workspace=ws_a, name=f"T{i}", created_by=agents[0].user)
        team.members.set(agents)
        make_rotation(ws_a, agents, team=team)
    api_a.get("lead-rotations")
    with django_assert_max_num_queries(5):
        assert len(api_a.get("lead-rotations", pageSize=50).json()["data"]) == 10


def test_writing_settings_runs_a_fixed_number_of_queries(
    api_a, ws_a, agents, django_assert_max_num_queries
):
    team_id = api_a.post("teams", {"name": "Warm-up"}).json()["id"]
    emails = [make_member(ws_a, f"m{i}@acme.test", "agent").email for i in range(12)]
    with django_assert_max_num_queries(15):
        assert api_a.post("teams", {"name": "T", "members": emails}).status_code == 201
    with django_assert_max_num_queries(9):
        assert api_a.post("lead-sources", {"name": "S", "teamId": team_id}).status_code == 201
    with django_assert_max_num_queries(17):
        body = {"name": "R", "teamId": team_id, "userRotationArray": emails}
        assert api_a.post("lead-rotations", body).status_code == 201
    rotation_id = Rotation.objects.get().pk
    with django_assert_max_num_queries(23):
        body = {"userRotationArray": [*emails[6:], *emails[:3], "agent0@acme.test"]}
        assert api_a.patch(f"lead-rotations/{rotation_id}", body).status_code == 200
    assert RotationMember.objects.count() == 10


# --- scopes and tenancy -----------------------------------------------------------------


SETTINGS_WRITES = [
    ("post", "teams", {"name": "X"}),
    ("patch", "teams/{team}", {"name": "Y"}),
    ("post", "lead-sources", {"name": "X"}),
    ("patch", "lead-sources/{source}", {"name": "Y"}),
    ("post", "lead-rotations", {"name": "X"}),
    ("patch", "lead-rotations/{rotation}", {"name": "Y"}),
    ("patch", "lead-rotations/{rotation}/status", {"status": "archived"}),
    ("delete", "lead-rotations/{rotation}", None),
]


@pytest.fixture
def settings_a(ws_a, agents) -> dict[str, int]:
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    source = LeadSource.objects.create(workspace=ws_a, team=team, name="Web")
    rotation = make_rotation(ws_a, agents, team=team)
    return {"team": team.pk, "source": source.pk, "rotation": rotation.pk}


@pytest.mark.parametrize(("method", "path", "body"), SETTINGS_WRITES)
def test_settings_writes_need_the_settings_scope(client, ws_a, settings_a, method, path, body):
    api = pulse_for(client, scoped_key(ws_a, "leads:read", "leads:write"))
    response = api.call(method, path.format(**settings_a), body)
    assert response.status_code == 403
    assert "settings:manage" in response.json()["error"]
    assert Team.objects.get().name == "Inbound"
    assert Rotation.objects.get().status == "active"


def test_reading_settings_needs_only_leads_read(client, ws_a, settings_a):
    api = pulse_for(client, scoped_key(ws_a, "leads:read"))
    for path in ("teams", "lead-sources", "lead-rotations", "teams/{team}"):
        assert api.get(path.format(**settings_a)).status_code == 200
    assert api.get(f"lead-rotations/{settings_a['rotation']}/next-user").status_code == 403


READS = [
    "teams/{team}",
    "lead-sources/{source}",
    "lead-rotations/{rotation}",
    "lead-rotations/{rotation}/next-user",
]


@pytest.mark.parametrize("path", READS)
def test_another_workspaces_settings_are_404(api_b, dave, settings_a, path):
    foreign = api_b.get(path.format(**settings_a))
    missing = api_b.get(path.format(team=999999, source=999999, rotation=999999))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert Rotation.objects.get().position == 0


@pytest.mark.parametrize(("method", "path", "body"), [w for w in SETTINGS_WRITES if "{" in w[1]])
def test_another_workspace_cannot_change_settings(api_b, dave, settings_a, method, path, body):
    response = api_b.call(method, path.format(**settings_a), body)
    assert response.status_code == 404
    assert Team.objects.get().name == "Inbound"
    assert LeadSource.objects.get().name == "Web"
    assert Rotation.objects.get().status == "active"


def test_another_workspace_never_lists_our_settings(api_b, dave, settings_a):
    for path in ("teams", "lead-sources", "lead-rotations"):
        assert api_b.get(path, active="all", status="all").json()["data"] == []


def test_a_rotation_cannot_use_another_workspaces_people_or_team(api_a, ws_b, dave):
    team = Team.objects.create(workspace=ws_b, name="Theirs")
    with_team = api_a.post("lead-rotations", {"name": "R", "teamId": team.pk})
    assert with_team.status_code == 400
    with_person = api_a.post(
        "lead-rotations", {"name": "default", "userRotationArray": [dave.email]}
    )
    assert with_person.status_code == 400
    assert dave.email in str(with_person.json()["fields"]["userRotationArray"])
    assert Rotation.objects.count() == 0


def test_inactive_members_cannot_join_a_rotation(api_a, ws_a):
    gone = make_member(ws_a, "gone@acme.test", "agent")
    gone.is_active = False
    gone.save()
    response = api_a.post("lead-rotations", {"name": "default", "userRotationArray": [gone.email]})
    assert response.status_code == 400
    assert "not an active member" in str(response.json()["fields"])
