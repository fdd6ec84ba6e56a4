"""POST /api/leads: the documented rules, in their documented order, in one transaction."""

from collections import Counter

import pytest
from django.utils import timezone

from api.idempotency import HEADER as IDEMPOTENCY_KEY
from leads.models import ActionLog, Lead, LeadSource, Rotation, Team
from leads.services.api_keys import api_key_create
from tests.api.pulse.conftest import error, events, pulse_for, team_with_rotation
from tests.conftest import make_member, make_rotation

TEAM_REQUIRED = "team ID is required when teams exist in the account"
SOURCE_REQUIRED = "lead source ID is required when the team has lead sources"

FULL_BODY = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "imgSrc": "https://img.example.com/ada.png",
    "email": "Ada@Example.com",
    "phone": "(415) 555-2671",
    "company": "Analytical Engines",
    "jobTitle": "Founder",
    "branch": "London",
    "source": "Trade show",
    "position": "Owner",
    "location": "London, UK",
    "productsServicesSold": "Calculating machines",
    "numberOfEmployees": 12,
    "currentPaymentProcessor": "Square",
    "monthlyTransactionVolume": 250000,
    "interestedInSwitching": True,
    "processStage": "Discovery",
    "buyingRole": "Decision maker",
    "notes": "Met at the fair.",
    "lastContacted": "2024-03-01T15:30:00Z",
    "applicationId": "APP-77",
}


def test_it_creates_a_lead_with_every_documented_field(api_a, ws_a, alice):
    response = api_a.post("leads", FULL_BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get()
    assert body["id"] == lead.pk and isinstance(body["id"], int)
    assert body["accountId"] == ws_a.account_id and isinstance(body["accountId"], str)
    for name in (
        "firstName",
        "lastName",
        "imgSrc",
        "company",
        "jobTitle",
        "branch",
        "source",
        "position",
        "location",
        "productsServicesSold",
        "numberOfEmployees",
        "currentPaymentProcessor",
        "monthlyTransactionVolume",
        "interestedInSwitching",
        "processStage",
        "buyingRole",
        "notes",
        "applicationId",
    ):
        assert body[name] == FULL_BODY[name], name
    assert body["email"] == "Ada@Example.com"
    assert body["phone"] == "+14155552671"
    assert body["lastContacted"] == "2024-03-01T15:30:00Z"
    assert body["archived"] is False
    assert body["teamId"] is None and body["leadSourceId"] is None
    assert body["assignedTo"] is None
    assert body["createdBy"] == "alice@acme.test"
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")
    assert lead.number_of_employees == 12 and lead.monthly_transaction_volume == 250000
    assert lead.interested_in_switching is True
    assert [entry["event"] for entry in body["auditLog"]] == ["lead_created"]


def test_unset_fields_read_as_null(api_a):
    body = api_a.post("leads", {"firstName": "Min", "lastName": "Imal"}).json()
    for name in ("email", "phone", "company", "notes", "numberOfEmployees", "lastContacted"):
        assert body[name] is None, name


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lastName": "L"}, "firstName"),
        ({"firstName": "F"}, "lastName"),
        ({"firstName": "", "lastName": "L"}, "firstName"),
        ({"firstName": "F", "lastName": None}, "lastName"),
    ],
)
def test_first_and_last_name_are_required(api_a, body, field):
    response = api_a.post("leads", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Lead.objects.count() == 0


def test_names_are_checked_before_the_team_rule(api_a, ws_a):
    Team.objects.create(workspace=ws_a, name="Inbound")
    response = api_a.post("leads", {"lastName": "L"})
    assert response.status_code == 400
    assert "firstName" in response.json()["fields"]


def test_a_team_is_required_once_the_account_has_teams(api_a, ws_a):
    Team.objects.create(workspace=ws_a, name="Inbound")
    response = api_a.post("leads", {"firstName": "F", "lastName": "L"})
    assert response.status_code == 400
    assert response.json()["error"] == TEAM_REQUIRED
    assert response.json()["code"] == "team_required"
    assert Lead.objects.count() == 0


def test_only_active_teams_make_a_team_required(api_a, ws_a):
    Team.objects.create(workspace=ws_a, name="Old", is_active=False)
    assert api_a.post("leads", {"firstName": "F", "lastName": "L"}).status_code == 201


def test_a_lead_source_is_required_when_the_team_has_sources(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    response = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk})
    assert response.status_code == 400
    assert response.json() == {
        "error": SOURCE_REQUIRED,
        "message": SOURCE_REQUIRED,
        "code": "lead_source_required",
    }
    assert Lead.objects.count() == 0
    assert Rotation.objects.get().position == 0


def test_the_team_rule_comes_before_the_source_rule(api_a, ws_a, agents):
    team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    assert error(api_a.post("leads", {"firstName": "F", "lastName": "L"})) == TEAM_REQUIRED


def test_only_the_teams_own_active_sources_make_a_lead_source_required(api_a, ws_a, agents):
    team, (web,) = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    web.is_active = False
    web.save()
    LeadSource.objects.create(workspace=ws_a, name="Anywhere")  # account-wide
    response = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk})
    assert response.status_code == 201, response.content
    assert response.json()["leadSourceId"] is None


def test_the_checks_run_in_the_documented_order(api_a, ws_a, agents):
    team, (web,) = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    body = {
        "lastName": "L",
        "numberOfEmployees": "x",
        "email": "nope",
        "assignedTo": "stranger@x.test",
        "createdBy": "stranger@x.test",
    }

    def first_problem() -> list[str] | str:
        """The fields the 400 names, or its error when it names none."""
        response = api_a.post("leads", body)
        assert response.status_code == 400, response.content
        fields = response.json().get("fields")
        return sorted(fields) if fields else error(response)

    # 1. the shape: names present, typed fields of the right type (all such fields at once)
    assert first_problem() == ["firstName", "numberOfEmployees"]
    body.update(firstName="F", numberOfEmployees=5)
    assert first_problem() == TEAM_REQUIRED  # 2
    body["teamId"] = team.pk
    assert first_problem() == SOURCE_REQUIRED  # 3
    body["leadSourceId"] = web.pk
    assert first_problem() == ["assignedTo"]  # 4
    body["assignedTo"] = agents[0].email
    assert first_problem() == ["createdBy"]  # 5
    body["createdBy"] = agents[1].email
    assert first_problem() == ["email"]  # then the values
    assert Lead.objects.count() == 0


def test_the_skip_flag_lifts_both_requirements(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    no_team = api_a.post(
        "leads", {"firstName": "F", "lastName": "L"}, query={"skipTeamAndSourceRequirement": "true"}
    )
    assert no_team.status_code == 201 and no_team.json()["teamId"] is None
    no_source = api_a.post(
        "leads",
        {"firstName": "F", "lastName": "L", "teamId": team.pk},
        query={"skipTeamAndSourceRequirement": "true"},
    )
    assert no_source.status_code == 201
    assert no_source.json()["teamId"] == team.pk and no_source.json()["leadSourceId"] is None


def test_the_skip_flag_must_be_a_boolean(api_a):
    response = api_a.post(
        "leads", {"firstName": "F", "lastName": "L"}, query={"skipTeamAndSourceRequirement": "hm"}
    )
    assert response.status_code == 400
    assert "skipTeamAndSourceRequirement" in response.json()["fields"]


def test_the_skip_flag_does_not_skip_checking_the_ids(api_a, ws_a, ws_b):
    foreign = Team.objects.create(workspace=ws_b, name="Theirs")
    response = api_a.post(
        "leads",
        {"firstName": "F", "lastName": "L", "teamId": foreign.pk},
        query={"skipTeamAndSourceRequirement": "true"},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "teamId": [f"Team {foreign.pk} does not exist in this account."]
    }


def test_unknown_and_foreign_teams_and_sources_are_400(api_a, ws_a, ws_b, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    theirs = LeadSource.objects.create(workspace=ws_b, name="Theirs")
    for body, field in (
        ({"teamId": 999999}, "teamId"),
        ({"teamId": team.pk, "leadSourceId": 999999}, "leadSourceId"),
        ({"teamId": team.pk, "leadSourceId": theirs.pk}, "leadSourceId"),
    ):
        response = api_a.post("leads", {"firstName": "F", "lastName": "L", **body})
        assert response.status_code == 400, body
        assert "does not exist in this account" in response.json()["fields"][field][0]
    assert Lead.objects.count() == 0


def test_the_source_must_belong_to_the_team(api_a, ws_a, agents):
    inbound, (web,) = team_with_rotation(ws_a, "Inbound", agents[:1], sources=("Web",))
    outbound, (calls,) = team_with_rotation(ws_a, "Outbound", agents[1:], sources=("Calls",))
    response = api_a.post(
        "leads", {"firstName": "F", "lastName": "L", "teamId": inbound.pk, "leadSourceId": calls.pk}
    )
    assert response.status_code == 400
    assert response.json()["fields"]["leadSourceId"] == [
        f"Lead source {calls.pk} belongs to team {outbound.pk}, not to team {inbound.pk}."
    ]
    good = api_a.post(
        "leads", {"firstName": "F", "lastName": "L", "teamId": inbound.pk, "leadSourceId": web.pk}
    )
    assert good.status_code == 201
    assert (good.json()["teamId"], good.json()["leadSourceId"]) == (inbound.pk, web.pk)


def test_an_account_wide_source_goes_with_any_team(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    anywhere = LeadSource.objects.create(workspace=ws_a, name="Referral")
    response = api_a.post(
        "leads", {"firstName": "F", "lastName": "L", "teamId": team.pk, "leadSourceId": anywhere.pk}
    )
    assert response.status_code == 201


def test_inactive_teams_and_sources_take_no_new_leads(api_a, ws_a, agents):
    team, (web,) = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    LeadSource.objects.create(workspace=ws_a, team=team, name="Live")
    web.is_active = False
    web.save()
    response = api_a.post(
        "leads", {"firstName": "F", "lastName": "L", "teamId": team.pk, "leadSourceId": web.pk}
    )
    assert response.status_code == 400
    assert "inactive" in response.json()["fields"]["leadSourceId"][0]


def test_new_leads_go_to_the_next_member_of_the_teams_rotation(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    owners = [
        api_a.post("leads", {"firstName": f"L{i}", "lastName": "X", "teamId": team.pk}).json()[
            "assignedTo"
        ]
        for i in range(4)
    ]
    assert owners == [
        "agent0@acme.test",
        "agent1@acme.test",
        "agent2@acme.test",
        "agent0@acme.test",
    ]


def test_without_a_team_rotation_the_default_rotation_assigns(api_a, ws_a, agents):
    team = Team.objects.create(workspace=ws_a, name="No rotation")
    make_rotation(ws_a, [agents[2]])
    body = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk}).json()
    assert body["assignedTo"] == "agent2@acme.test"
    Rotation.objects.update(status=Rotation.Status.ARCHIVED)
    nobody = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk}).json()
    assert nobody["assignedTo"] is None


def test_assigned_to_wins_over_the_rotation(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    body = api_a.post(
        "leads",
        {"firstName": "F", "lastName": "L", "teamId": team.pk, "assignedTo": "AGENT2@acme.test"},
    ).json()
    assert body["assignedTo"] == "agent2@acme.test"
    assert Rotation.objects.get().position == 0
    events = [e["event"] for e in body["auditLog"]]
    assert sorted(events) == ["lead_assigned", "lead_created"]


@pytest.mark.parametrize("who", ["stranger@nowhere.test", "dave@bravo.test", "gone@acme.test"])
def test_assigned_to_must_be_an_active_member_of_the_account(api_a, ws_a, dave, who):
    gone = make_member(ws_a, "gone@acme.test", "agent")
    gone.is_active = False
    gone.save()
    response = api_a.post("leads", {"firstName": "F", "lastName": "L", "assignedTo": who})
    assert response.status_code == 400
    assert who in response.json()["fields"]["assignedTo"][0]
    assert Lead.objects.count() == 0


def test_a_create_that_fails_after_the_rotation_pick_gives_the_turn_back(
    client, api_a, ws_a, agents, monkeypatch
):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    picked = []

    def timeline_down(**entry):
        # Called after the lead is saved and routed, inside the request's transaction.
        picked.append(entry["lead"].assignee.email)
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr("leads.services.leads.actionlog_record", timeline_down)
    client.raise_request_exception = False
    body = {"firstName": "F", "lastName": "L", "teamId": team.pk}
    response = api_a.post("leads", body)
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert picked == ["agent0@acme.test"]
    assert Rotation.objects.get().position == 0
    assert Lead.objects.count() == ActionLog.objects.count() == 0
    monkeypatch.undo()
    assert api_a.post("leads", body).json()["assignedTo"] == "agent0@acme.test"


def test_created_by_defaults_to_the_caller_and_may_name_a_member(api_a, ws_a, bob):
    default = api_a.post("leads", {"firstName": "F", "lastName": "L"}).json()
    assert default["createdBy"] == "alice@acme.test"
    named = api_a.post("leads", {"firstName": "F", "lastName": "L", "createdBy": "bob@acme.test"})
    assert named.json()["createdBy"] == "bob@acme.test"
    stranger = api_a.post("leads", {"firstName": "F", "lastName": "L", "createdBy": "x@y.test"})
    assert stranger.status_code == 400
    assert list(stranger.json()["fields"]) == ["createdBy"]


def test_a_key_without_a_creator_leaves_created_by_empty(client, ws_a):
    secret = api_key_create(workspace=ws_a, name="orphan")[1]
    body = pulse_for(client, secret).post("leads", {"firstName": "F", "lastName": "L"}).json()
    assert body["createdBy"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("numberOfEmployees", "many"),
        ("numberOfEmployees", -1),
        ("monthlyTransactionVolume", 1.5),
        ("interestedInSwitching", "perhaps"),
        ("lastContacted", "yesterday"),
        ("phone", "12"),
        ("email", "nope"),
        ("imgSrc", "not a url"),
        ("archived", None),
        ("company", "x" * 300),
    ],
)
def test_bad_values_are_400_naming_the_field(api_a, field, value):
    response = api_a.post("leads", {"firstName": "F", "lastName": "L", field: value})
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]
    assert Lead.objects.count() == 0


def test_a_lead_can_be_created_archived_and_the_audit_log_says_so(api_a, ws_a, agents):
    make_rotation(ws_a, agents[:1])
    body = api_a.post("leads", {"firstName": "F", "lastName": "L", "archived": True}).json()
    assert body["archived"] is True
    assert Lead.objects.get().archived_at is not None
    assert events(body) == ["lead_archived", "lead_assigned", "lead_created"]
    assert body["auditLog"][0]["data"]["changes"] == {"archived": {"from": False, "to": True}}
    assert "archived" not in body["auditLog"][2]["data"]["changes"]
    assert api_a.get("leads", archived="true").json()["totalCount"] == 1


def test_the_audit_log_records_the_request_with_secrets_masked(client, ws_a, alice, key_a):
    response = pulse_for(client, key_a, ws_a.account_id).call(
        "post",
        "leads",
        {"firstName": "Audit", "lastName": "Me"},
        headers={"X-Trace": "t-1", "Cookie": "sessionid=cookie-canary", "X-Secret-Thing": "s-1"},
    )
    entry = response.json()["auditLog"][0]
    key = ws_a.api_keys.get()
    assert entry["event"] == "lead_created"
    assert entry["user"] == "alice@acme.test"
    assert entry["apiKey"] == key.display_prefix
    assert entry["requestMethod"] == "POST"
    assert entry["requestPath"] == "/api/leads"
    assert entry["requestIpAddress"] == "127.0.0.1"
    assert entry["account_id"] == ws_a.account_id
    assert entry["data"]["leadId"] == str(response.json()["id"])
    assert entry["data"]["changes"]["firstName"] == {"from": "", "to": "Audit"}
    headers = entry["requestHeaders"]
    assert headers["authorization"] == "[masked]"
    assert headers["cookie"] == "[masked]"
    assert headers["x-secret-thing"] == "[masked]"
    assert headers["x-trace"] == "t-1"
    assert headers["x-account-id"] == ws_a.account_id
    assert key_a not in response.text and "cookie-canary" not in response.text


def test_the_assignment_entry_says_who_and_why(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    body = api_a.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk}).json()
    assigned = next(e for e in body["auditLog"] if e["event"] == "lead_assigned")
    assert assigned["data"]["assignedTo"] == "agent0@acme.test"
    assert "Next in rotation “Inbound”" in assigned["data"]["reason"]
    created = next(e for e in body["auditLog"] if e["event"] == "lead_created")
    assert created["data"]["changes"]["assignedTo"] == {"from": None, "to": "agent0@acme.test"}
    assert created["data"]["changes"]["teamId"] == {"from": None, "to": team.pk}


def test_the_same_idempotency_key_creates_once(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    body = {"firstName": "Once", "lastName": "Only", "teamId": team.pk}
    first = api_a.post("leads", body, headers={IDEMPOTENCY_KEY: "pulse-1"})
    again = api_a.post("leads", body, headers={IDEMPOTENCY_KEY: "pulse-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert Lead.objects.count() == 1
    assert Rotation.objects.get().position == 1


def test_creating_a_lead_runs_a_fixed_number_of_queries(
    api_a, ws_a, agents, django_assert_max_num_queries
):
    team, (web,) = team_with_rotation(ws_a, "Inbound", agents, sources=("Web",))
    body = {
        **FULL_BODY,
        "teamId": team.pk,
        "leadSourceId": web.pk,
        "createdBy": "agent1@acme.test",
    }
    api_a.post("leads", body)  # warm caches (content types, key last_used)
    with django_assert_max_num_queries(22):
        response = api_a.post("leads", body)
    assert response.status_code == 201


def test_leads_of_one_team_are_spread_evenly(api_a, ws_a, agents):
    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    for i in range(10):
        api_a.post("leads", {"firstName": f"L{i}", "lastName": "X", "teamId": team.pk})
    counts = Counter(Lead.objects.values_list("assignee", flat=True))
    assert sorted(counts.values()) == [3, 3, 4]


def test_created_at_is_now(api_a):
    before = timezone.now()
    api_a.post("leads", {"firstName": "F", "lastName": "L"})
    assert Lead.objects.get().created_at >= before


def test_an_agent_sees_the_lead_they_created_even_when_routed_to_someone_else(
    client, ws_a, bob, agents
):
    from api.authentication import session_create

    team, _ = team_with_rotation(ws_a, "Inbound", agents)
    _, token = session_create(workspace=ws_a, user=bob.user, membership=bob)
    api = pulse_for(client, token)
    response = api.post("leads", {"firstName": "F", "lastName": "L", "teamId": team.pk})
    assert response.status_code == 201
    assert response.json()["assignedTo"] == "agent0@acme.test"
    assert response.json()["createdBy"] == "bob@acme.test"
    assert api.get(f"leads/{response.json()['id']}").status_code == 404
