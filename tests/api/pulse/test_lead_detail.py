"""GET, PATCH, DELETE /api/leads/{id} and POST/DELETE /api/leads/{id}/archive."""

import pytest

from leads.models import ActionLog, Lead, LeadSource, Rotation, Team
from tests.api.pulse.conftest import error, events, team_with_rotation

TEAM_REQUIRED = "team ID is required when teams exist in the account"
SOURCE_REQUIRED = "lead source ID is required when the team has lead sources"


@pytest.fixture
def lead_id(api_a) -> int:
    response = api_a.post(
        "leads", {"firstName": "Ada", "lastName": "Lovelace", "company": "Engines"}
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_a_lead_reads_back_as_it_was_created(api_a, lead_id):
    response = api_a.get(f"leads/{lead_id}")
    assert response.status_code == 200
    assert response.json()["firstName"] == "Ada"
    assert events(response.json()) == ["lead_created"]


@pytest.mark.parametrize("pk", ["999999", str(10**20)])
def test_a_missing_lead_is_404_lead_not_found(api_a, pk):
    response = api_a.get(f"leads/{pk}")
    assert response.status_code == 404
    assert response.json()["error"] == "Lead not found"


def test_patch_changes_only_the_fields_sent(api_a, lead_id):
    response = api_a.patch(f"leads/{lead_id}", {"company": "New Co", "numberOfEmployees": 5})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["firstName"], body["company"], body["numberOfEmployees"]) == ("Ada", "New Co", 5)
    assert events(body) == ["lead_updated", "lead_created"]
    assert body["auditLog"][0]["data"]["changes"] == {
        "company": {"from": "Engines", "to": "New Co"},
        "numberOfEmployees": {"from": None, "to": 5},
    }
    assert body["auditLog"][0]["requestMethod"] == "PATCH"


def test_an_empty_patch_changes_nothing_and_is_not_audited(api_a, lead_id):
    body = api_a.patch(f"leads/{lead_id}", {"createdBy": "ignored@acme.test"}).json()
    assert events(body) == ["lead_created"]
    assert events(api_a.patch(f"leads/{lead_id}", {}).json()) == ["lead_created"]


def test_patch_can_clear_a_field_but_not_the_names(api_a, lead_id):
    cleared = api_a.patch(f"leads/{lead_id}", {"company": None})
    assert cleared.json()["company"] is None
    for body in ({"firstName": None}, {"lastName": ""}):
        response = api_a.patch(f"leads/{lead_id}", body)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == list(body)
    assert Lead.objects.get().first_name == "Ada"


def test_created_by_cannot_change_after_creation(api_a, lead_id, bob):
    response = api_a.patch(f"leads/{lead_id}", {"createdBy": "bob@acme.test"})
    assert response.status_code == 200
    assert response.json()["createdBy"] == "alice@acme.test"


def test_patch_validates_like_create(api_a, ws_a, lead_id, agents):
    team, (web,) = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    other = Team.objects.create(workspace=ws_a, name="Outbound")
    assert error(api_a.patch(f"leads/{lead_id}", {"teamId": None})) == TEAM_REQUIRED
    assert error(api_a.patch(f"leads/{lead_id}", {"teamId": team.pk})) == SOURCE_REQUIRED
    wrong = api_a.patch(f"leads/{lead_id}", {"teamId": other.pk, "leadSourceId": web.pk})
    assert wrong.status_code == 400 and "leadSourceId" in wrong.json()["fields"]
    bad_owner = api_a.patch(f"leads/{lead_id}", {"assignedTo": "nobody@acme.test"})
    assert bad_owner.status_code == 400 and "assignedTo" in bad_owner.json()["fields"]
    moved = api_a.patch(f"leads/{lead_id}", {"teamId": team.pk, "leadSourceId": web.pk})
    assert moved.status_code == 200
    assert (moved.json()["teamId"], moved.json()["leadSourceId"]) == (team.pk, web.pk)
    # Moving to a team does not take a rotation turn: assignment stays as it was.
    assert moved.json()["assignedTo"] is None
    assert Rotation.objects.get(team=team).position == 0


def test_patching_other_fields_leaves_an_old_placement_alone(api_a, ws_a, lead_id, agents):
    team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    response = api_a.patch(f"leads/{lead_id}", {"notes": "still teamless"})
    assert response.status_code == 200
    assert response.json()["notes"] == "still teamless"


def test_moving_teams_drops_a_source_of_the_old_team_only_when_told(api_a, ws_a, agents):
    inbound, (web,) = team_with_rotation(ws_a, "Inbound", agents[:1], sources=("Web",))
    outbound, _ = team_with_rotation(ws_a, "Outbound", agents[1:])
    lead_id = api_a.post(
        "leads", {"firstName": "F", "lastName": "L", "teamId": inbound.pk, "leadSourceId": web.pk}
    ).json()["id"]
    stale = api_a.patch(f"leads/{lead_id}", {"teamId": outbound.pk})
    assert stale.status_code == 400 and "leadSourceId" in stale.json()["fields"]
    moved = api_a.patch(f"leads/{lead_id}", {"teamId": outbound.pk, "leadSourceId": None})
    assert (moved.json()["teamId"], moved.json()["leadSourceId"]) == (outbound.pk, None)


def test_the_skip_flag_works_on_patch_too(api_a, ws_a, lead_id, agents):
    team_with_rotation(ws_a, "Inbound", agents)
    response = api_a.patch(
        f"leads/{lead_id}", {"teamId": None}, query={"skipTeamAndSourceRequirement": "true"}
    )
    assert response.status_code == 200


def test_reassigning_and_unassigning_are_audited(api_a, lead_id, agents):
    assigned = api_a.patch(f"leads/{lead_id}", {"assignedTo": "agent1@acme.test"}).json()
    assert assigned["assignedTo"] == "agent1@acme.test"
    assert events(assigned)[:2] == ["lead_assigned", "lead_updated"]
    assert assigned["auditLog"][1]["data"]["changes"]["assignedTo"] == {
        "from": None,
        "to": "agent1@acme.test",
    }
    unassigned = api_a.patch(f"leads/{lead_id}", {"assignedTo": None}).json()
    assert unassigned["assignedTo"] is None
    assert unassigned["auditLog"][1]["data"]["changes"]["assignedTo"] == {
        "from": "agent1@acme.test",
        "to": None,
    }


def test_archive_and_unarchive_return_the_lead_and_are_audited(api_a, lead_id):
    archived = api_a.post(f"leads/{lead_id}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert events(archived.json())[0] == "lead_archived"
    assert api_a.get("leads").json()["totalCount"] == 0
    again = api_a.post(f"leads/{lead_id}/archive")
    assert events(again.json()).count("lead_archived") == 1
    restored = api_a.delete(f"leads/{lead_id}/archive")
    assert restored.status_code == 200
    assert restored.json()["archived"] is False
    assert events(restored.json())[0] == "lead_unarchived"
    assert api_a.get("leads").json()["totalCount"] == 1


def test_archiving_by_patch_is_audited_as_lead_archived_and_lead_unarchived(api_a, lead_id):
    archived = api_a.patch(f"leads/{lead_id}", {"archived": True}).json()
    assert archived["archived"] is True
    assert events(archived) == ["lead_archived", "lead_created"]
    assert archived["auditLog"][0]["data"]["summary"] == "Lead archived"
    assert archived["auditLog"][0]["data"]["changes"] == {"archived": {"from": False, "to": True}}
    restored = api_a.patch(f"leads/{lead_id}", {"archived": False}).json()
    assert restored["archived"] is False
    assert events(restored)[0] == "lead_unarchived"
    assert restored["auditLog"][0]["data"]["changes"] == {"archived": {"from": True, "to": False}}


def test_a_patch_that_archives_and_changes_fields_is_one_lead_archived_entry(api_a, lead_id):
    body = api_a.patch(f"leads/{lead_id}", {"archived": True, "company": "Closed Co"}).json()
    assert events(body) == ["lead_archived", "lead_created"]
    assert body["auditLog"][0]["data"]["changes"] == {
        "archived": {"from": False, "to": True},
        "company": {"from": "Engines", "to": "Closed Co"},
    }
    unchanged = api_a.patch(f"leads/{lead_id}", {"archived": True, "company": "Other"}).json()
    assert events(unchanged)[0] == "lead_updated"
    assert unchanged["auditLog"][0]["data"]["changes"] == {
        "company": {"from": "Closed Co", "to": "Other"}
    }


def test_delete_is_permanent_and_the_audit_entries_survive(api_a, ws_a, lead_id):
    api_a.patch(f"leads/{lead_id}", {"company": "Before"})
    response = api_a.delete(f"leads/{lead_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == lead_id and body["company"] == "Before"
    assert events(body) == ["lead_deleted", "lead_updated", "lead_created"]
    assert body["auditLog"][0]["requestMethod"] == "DELETE"
    assert not Lead.objects.filter(pk=lead_id).exists()
    assert api_a.get(f"leads/{lead_id}").status_code == 404
    assert api_a.delete(f"leads/{lead_id}").status_code == 404
    kept = ActionLog.objects.filter(workspace=ws_a, lead_pk=lead_id, lead__isnull=True)
    assert sorted(kept.values_list("event", flat=True)) == [
        "lead_created",
        "lead_deleted",
        "lead_updated",
    ]


def test_reading_a_lead_runs_a_fixed_number_of_queries(
    api_a, lead_id, django_assert_max_num_queries
):
    api_a.patch(f"leads/{lead_id}", {"assignedTo": "alice@acme.test"})
    with django_assert_max_num_queries(5):
        assert api_a.get(f"leads/{lead_id}").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "leads/{id}"),
        ("patch", "leads/{id}"),
        ("delete", "leads/{id}"),
        ("post", "leads/{id}/archive"),
        ("delete", "leads/{id}/archive"),
    ],
)
def test_another_workspaces_lead_is_404_for_every_method(api_a, api_b, method, path):
    theirs = api_b.post("leads", {"firstName": "Theirs", "lastName": "B"}).json()["id"]
    foreign = api_a.call(method, path.format(id=theirs), {} if method != "get" else None)
    missing = api_a.call(method, path.format(id=999999), {} if method != "get" else None)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    lead = Lead.objects.get(pk=theirs)
    assert lead.first_name == "Theirs" and lead.archived_at is None


def test_a_lead_cannot_be_moved_to_another_workspaces_team_or_source(api_a, ws_b, lead_id):
    team = Team.objects.create(workspace=ws_b, name="Theirs")
    source = LeadSource.objects.create(workspace=ws_b, name="Theirs")
    for body in ({"teamId": team.pk}, {"leadSourceId": source.pk}):
        response = api_a.patch(f"leads/{lead_id}", body)
        assert response.status_code == 400
        assert "does not exist in this account" in str(response.json()["fields"])
