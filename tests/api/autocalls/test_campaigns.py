"""Autocalls campaigns: GET /campaigns, POST /campaign, POST /campaigns/update-status,
GET /me, scopes and tenancy across every endpoint."""

import re

import pytest

from campaigns.models import Campaign, CampaignLead
from campaigns.services import campaign_queue_claim
from leads.models import ActionLog
from leads.services.api_keys import api_key_create
from leads.services.leads import lead_create
from tests.api.autocalls.conftest import AutocallsClient, make_campaign

LARAVEL_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000000Z$")


def test_a_campaign_is_created_as_a_draft_with_the_documented_defaults(
    api_a, ws_a, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = api_a("post", "campaign", {"name": "Product Demo Campaign", "assistant_id": 7})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"] == "Campaign created successfully"
    data = body["data"]
    assert data["status"] == "draft"
    assert data["timezone"] == ws_a.default_timezone
    assert data["max_calls_in_parallel"] == 3
    assert (data["allowed_hours_start_time"], data["allowed_hours_end_time"]) == (
        "00:00:00",
        "23:59:00",
    )
    assert data["allowed_days"] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    assert (data["max_retries"], data["retry_interval"]) == (3, 60)
    assert data["mark_complete_when_no_leads"] is False
    assert LARAVEL_ISO.match(data["created_at"])
    campaign = Campaign.objects.get(pk=data["id"])
    assert campaign.workspace == ws_a
    assert ActionLog.objects.get(event="campaign_created").input["campaign"]["id"] == campaign.pk


def test_a_campaign_takes_every_documented_setting(api_a):
    body = {
        "name": "Week mornings",
        "timezone": "Europe/London",
        "max_calls_in_parallel": 5,
        "allowed_hours_start_time": "09:00",
        "allowed_hours_end_time": "12:30",
        "allowed_days": ["friday", "monday"],
        "max_retries": 5,
        "retry_interval": 4320,
        "retry_on_voicemail": False,
        "retry_on_goal_incomplete": True,
        "goal_completion_variable": "booked",
        "mark_complete_when_no_leads": True,
        "variables": ["customer_name", "email"],
        "phone_number_ids": [1, 2],
    }
    data = api_a("post", "campaign", body).json()["data"]
    campaign = Campaign.objects.get(pk=data["id"])
    assert campaign.timezone == "Europe/London"
    assert str(campaign.allowed_hours_end) == "12:30:00"
    assert campaign.allowed_days == ["monday", "friday"]
    assert (campaign.max_retries, campaign.retry_interval_minutes) == (5, 4320)
    assert campaign.retry_on_voicemail is False
    assert campaign.goal_completion_variable == "booked"
    assert campaign.variables == ["customer_name", "email"]
    assert data["allowed_hours_end_time"] == "12:30:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "C", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "C", "allowed_hours_start_time": "9am"}, "allowed_hours_start_time"),
        (
            {"name": "C", "allowed_hours_start_time": "17:00", "allowed_hours_end_time": "09:00"},
            "allowed_hours_end_time",
        ),
        ({"name": "C", "allowed_days": []}, "allowed_days"),
        ({"name": "C", "allowed_days": ["funday"]}, "allowed_days"),
        ({"name": "C", "max_calls_in_parallel": 11}, "max_calls_in_parallel"),
        ({"name": "C", "max_retries": 6}, "max_retries"),
        ({"name": "C", "retry_interval": 5}, "retry_interval"),
        ({"name": "C", "retry_on_goal_incomplete": True}, "goal_completion_variable"),
    ],
)
def test_bad_campaign_settings_are_422_naming_the_field(api_a, body, field):
    response = api_a("post", "campaign", body)
    assert response.status_code == 422, response.content
    assert field in {name.split(".")[0] for name in response.json()["errors"]}
    assert Campaign.objects.count() == 0


def test_campaigns_are_a_plain_array_of_this_workspace_only(
    api_a, api_b, ws_a, campaign_b, django_assert_max_num_queries
):
    make_campaign(ws_a, name="First")
    make_campaign(ws_a, name="Second")
    with django_assert_max_num_queries(5):
        response = api_a.get("campaigns")
    assert response.status_code == 200
    names = [c["name"] for c in response.json()]
    assert names == ["Second", "First"]
    assert [c["name"] for c in api_b.get("campaigns").json()] == ["Bravo campaign"]


# --- update-status ---------------------------------------------------------------------


def enrol(api, campaign, phone="+14155550123"):
    response = api("post", "lead", {"campaign_id": campaign.pk, "phone_number": phone})
    assert response.status_code == 200
    return CampaignLead.objects.get(pk=response.json()["data"]["id"])


def test_starting_a_campaign_with_leads_puts_it_in_progress(api_a, campaign_a):
    enrol(api_a, campaign_a)
    response = api_a(
        "post", "campaigns/update-status", {"campaign_id": campaign_a.pk, "action": "start"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "Campaign started successfully.",
        "success": True,
        "data": {"campaign_id": campaign_a.pk, "status": "in-progress"},
    }
    campaign_a.refresh_from_db()
    assert campaign_a.status == "in-progress"


def test_starting_a_campaign_with_nothing_to_call_is_refused_clearly(api_a, campaign_a):
    response = api_a(
        "post", "campaigns/update-status", {"campaign_id": campaign_a.pk, "action": "start"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "nothing_to_call"
    assert "has no leads left to call" in response.json()["message"]
    entry = enrol(api_a, campaign_a)
    entry.status = "completed"
    entry.save()
    again = api_a(
        "post", "campaigns/update-status", {"campaign_id": campaign_a.pk, "action": "start"}
    )
    assert again.status_code == 422
    campaign_a.refresh_from_db()
    assert campaign_a.status == "draft"


def start(api, campaign):
    return api("post", "campaigns/update-status", {"campaign_id": campaign.pk, "action": "start"})


def test_a_campaign_whose_leads_all_opted_out_is_refused_saying_so(api_a, campaign_a, actor_a):
    assert start(api_a, campaign_a).json()["message"] == (
        "Campaign “My new campaign” has no leads left to call: it has none yet. "
        "Add leads before starting it."
    )
    lead_create(
        workspace=campaign_a.workspace,
        actor=actor_a,
        data={"first_name": "No", "phone": "+14155550123", "opted_out": True},
    )
    enrol(api_a, campaign_a)
    response = start(api_a, campaign_a)
    assert (response.status_code, response.json()["code"]) == (422, "nothing_to_call")
    assert response.json()["message"] == (
        "Campaign “My new campaign” has no leads left to call: its only lead opted out of "
        "calls (is blacklisted) and is never called. Add other leads before starting it."
    )
    finished = enrol(api_a, campaign_a, "+12125550188")
    finished.status = "completed"
    finished.save()
    assert start(api_a, campaign_a).json()["message"] == (
        "Campaign “My new campaign” has no leads left to call: of its 2 leads, 1 opted out "
        "of calls (blacklisted) and 1 is finished (completed or out of retries). Add leads, "
        "or set finished ones back to created, before starting it."
    )


def test_stopping_a_campaign_cancels_the_calls_in_progress(api_a, campaign_a, bob):
    first = enrol(api_a, campaign_a)
    enrol(api_a, campaign_a, "+12125550188")
    api_a("post", "campaigns/update-status", {"campaign_id": campaign_a.pk, "action": "start"})
    [claimed] = campaign_queue_claim(campaign=campaign_a, agent=bob).entries
    assert claimed == first and claimed.status == "processing"
    response = api_a(
        "post", "campaigns/update-status", {"campaign_id": campaign_a.pk, "action": "stop"}
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Campaign stopped successfully."
    assert response.json()["data"]["status"] == "stopped"
    first.refresh_from_db()
    assert (first.status, first.claimed_by, first.claimed_until) == ("created", None, None)
    assert not CampaignLead.objects.filter(status="processing").exists()
    log = ActionLog.objects.get(event="campaign_stopped")
    assert log.input["cancelledCalls"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"campaign_id": 999999, "action": "start"}, 404),
        ({"action": "start"}, 422),
        ({"campaign_id": 1, "action": "pause"}, 422),
    ],
)
def test_bad_status_changes_are_clear_errors(api_a, body, status):
    response = api_a("post", "campaigns/update-status", body)
    assert response.status_code == status
    if status == 404:
        assert response.json()["message"] == "Campaign not found"


# --- /me -------------------------------------------------------------------------------


def test_me_says_who_the_key_belongs_to(api_a, alice, ws_a):
    body = api_a.get("me").json()
    assert body["email"] == "alice@acme.test"
    assert body["name"] == "Alice Owner"
    assert body["workspace"] == {"id": ws_a.pk, "name": ws_a.name}
    assert body["api_key"]["name"] == "A integration"


def test_me_answers_any_valid_key_and_refuses_a_bad_one(client, ws_a):
    secret = api_key_create(workspace=ws_a, name="leads only", scopes=["leads:read"])[1]
    assert AutocallsClient(client, secret).get("me").status_code == 200
    assert AutocallsClient(client, "lb_nope").get("me").status_code == 401


# --- scopes and tenancy, every endpoint ------------------------------------------------


def endpoints(campaign_id: int, lead_id: int) -> list[tuple[str, str, dict | None, str]]:
    """(method, path, body, scope needed) for every Autocalls endpoint."""
    return [
        ("post", "lead", {"phone_number": "+12125550199", "campaign_id": campaign_id}, "write"),
        ("get", "leads", None, "read"),
        ("put", f"leads/{lead_id}", {"status": "completed"}, "write"),
        ("post", f"leads/{lead_id}/calls", {"outcome": "no_answer"}, "write"),
        ("delete", f"leads/{lead_id}", None, "write"),
        ("get", "campaigns", None, "read"),
        ("post", "campaign", {"name": "New"}, "write"),
        (
            "post",
            "campaigns/update-status",
            {"campaign_id": campaign_id, "action": "stop"},
            "write",
        ),
        ("get", f"campaigns/{campaign_id}/queue", None, "read"),
        ("post", f"campaigns/{campaign_id}/queue/claim", {"count": 1}, "write"),
    ]


@pytest.mark.parametrize("scopes", [["campaigns:read"], ["leads:read", "leads:write"]])
def test_each_endpoint_needs_its_campaign_scope(client, ws_a, campaign_a, api_a, scopes):
    entry = enrol(api_a, campaign_a)
    secret = api_key_create(workspace=ws_a, name="limited", scopes=scopes)[1]
    limited = AutocallsClient(client, secret)
    for method, path, body, needs in endpoints(campaign_a.pk, entry.pk):
        allowed = f"campaigns:{needs}" in scopes
        response = limited.get(path) if method == "get" else limited(method, path, body)
        if allowed:
            assert response.status_code == 200, (method, path)
        else:
            assert response.status_code == 403, (method, path)
            assert f"campaigns:{needs}" in response.json()["message"]
    assert CampaignLead.objects.count() == 1
    assert Campaign.objects.count() == 1


def test_another_workspace_gets_404_for_every_id_of_this_one(api_a, api_b, campaign_a):
    entry = enrol(api_a, campaign_a)
    for method, path, body, _ in endpoints(campaign_a.pk, entry.pk):
        if path in ("leads", "campaigns", "campaign"):
            continue  # no id of workspace A: the lists are checked below
        response = api_b.get(path) if method == "get" else api_b(method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["message"] in ("Lead not found", "Campaign not found")
    entry.refresh_from_db()
    campaign_a.refresh_from_db()
    assert (entry.status, entry.attempts) == ("created", 0)
    assert campaign_a.status == "draft"
    assert CampaignLead.objects.count() == 1
    assert api_b.get("campaigns").json() == []
    assert api_b.get("leads").json()["total"] == 0
