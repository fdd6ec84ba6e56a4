"""The dialer extensions: GET /campaigns/{id}/queue, POST /campaigns/{id}/queue/claim and
POST /leads/{id}/calls (concurrent claims: tests/campaigns/test_queue.py)."""

import time_machine

from campaigns.models import CallAttempt, CampaignLead
from leads.models import ActionLog, Lead
from tests.api.autocalls.conftest import make_campaign


def enrol(api, campaign, phone):
    response = api("post", "lead", {"campaign_id": campaign.pk, "phone_number": phone})
    assert response.status_code == 200
    return response.json()["data"]["id"]


def test_the_queue_lists_the_numbers_callable_now_in_order(
    api_a, ws_a, django_assert_max_num_queries
):
    campaign = make_campaign(
        ws_a,
        name="Dialer",
        status="in-progress",
        allowed_hours_start="09:00",
        allowed_hours_end="17:00",
        max_calls_in_parallel=2,
    )
    with time_machine.travel("2025-07-01 12:00:00Z", tick=False):
        first = enrol(api_a, campaign, "+12125550101")
        enrol(api_a, campaign, "+14155550123")  # Los Angeles: 07:00 at 14:00 UTC
        third = enrol(api_a, campaign, "+12125550103")
        enrol(api_a, campaign, "+12125550104")
    with (
        time_machine.travel("2025-07-01 14:00:00Z", tick=False),
        django_assert_max_num_queries(8),
    ):
        response = api_a.get(f"campaigns/{campaign.pk}/queue")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["data"]] == [first, third]  # two free lines
    assert (body["processing"], body["max_calls_in_parallel"]) == (0, 2)
    row = body["data"][0]
    assert row["timezone"] == "America/New_York"
    assert row["attempts"] == 0 and row["next_attempt_at"] == "2025-07-01 12:00:00"
    with time_machine.travel("2025-07-01 14:00:00Z", tick=False):
        limited = api_a.get(f"campaigns/{campaign.pk}/queue", limit=1).json()
    assert [row["id"] for row in limited["data"]] == [first]
    assert api_a.get(f"campaigns/{campaign.pk}/queue", limit=0).status_code == 422


def test_a_draft_campaign_has_nothing_to_call(api_a, campaign_a):
    enrol(api_a, campaign_a, "+12125550101")
    body = api_a.get(f"campaigns/{campaign_a.pk}/queue").json()
    assert body["data"] == []


def test_the_queue_of_an_unknown_campaign_is_404(api_a, campaign_b):
    for campaign_id in (campaign_b.pk, 999999, "abc"):
        response = api_a.get(f"campaigns/{campaign_id}/queue")
        assert response.status_code == 404
        assert response.json()["message"] == "Campaign not found"


def test_recording_a_call_answers_with_the_call_and_the_lead_after_it(
    api_a, campaign_a, django_assert_max_num_queries
):
    lead_id = enrol(api_a, campaign_a, "+12125550101")
    with (
        time_machine.travel("2025-07-01 14:00:00Z", tick=False),
        django_assert_max_num_queries(25),
    ):
        response = api_a(
            "post",
            f"leads/{lead_id}/calls",
            {"outcome": "no_answer", "duration": 17, "notes": "Rang out"},
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == "Call recorded successfully"
    data = body["data"]
    assert (data["outcome"], data["duration"], data["notes"]) == ("no_answer", 17, "Rang out")
    assert data["created_at"] == "2025-07-01 14:00:00"
    assert data["lead"]["status"] == "rescheduled"
    assert data["lead"]["attempts"] == 1
    assert data["lead"]["next_attempt_at"] == "2025-07-01 15:00:00"
    call = CallAttempt.objects.get()
    assert call.api_key is not None and call.agent is None
    assert ActionLog.objects.get(type="CALL").request_path == f"/api/user/leads/{lead_id}/calls"


def test_an_opt_out_reported_by_the_dialer_is_seen_by_the_whole_app(api_a, campaign_a):
    lead_id = enrol(api_a, campaign_a, "+12125550101")
    response = api_a("post", f"leads/{lead_id}/calls", {"outcome": "opted_out"})
    assert response.json()["data"]["lead"]["status"] == "blacklisted"
    lead = CampaignLead.objects.get(pk=lead_id).lead
    assert Lead.objects.get(pk=lead.pk).did_opt_out
    listed = api_a.get("leads", status="blacklisted").json()
    assert [row["id"] for row in listed["data"]] == [lead_id]


def test_bad_call_reports_are_422_and_change_nothing(api_a, campaign_a):
    lead_id = enrol(api_a, campaign_a, "+12125550101")
    for body in (
        {},
        {"outcome": "hung_up"},
        {"outcome": "busy", "duration": -1},
        {"outcome": "busy", "retry_at": "yesterday"},
        {"outcome": "busy", "retry_at": "2001-01-01T00:00:00Z"},
    ):
        response = api_a("post", f"leads/{lead_id}/calls", body)
        assert response.status_code == 422, body
    assert CallAttempt.objects.count() == 0
    assert CampaignLead.objects.get().attempts == 0


def test_a_retried_report_with_the_same_idempotency_key_counts_once(api_a, campaign_a):
    lead_id = enrol(api_a, campaign_a, "+12125550101")
    for _ in range(3):
        response = api_a(
            "post", f"leads/{lead_id}/calls", {"outcome": "busy"}, **{"Idempotency-Key": "call-1"}
        )
        assert response.status_code == 200
    assert CallAttempt.objects.count() == 1
    assert CampaignLead.objects.get().attempts == 1


# --- claiming numbers: POST /campaigns/{id}/queue/claim ----------------------------------


def dialer_campaign(workspace, **extra):
    return make_campaign(workspace, name="Dialer", status="in-progress", **extra)


def claim(api, campaign, **body):
    return api("post", f"campaigns/{campaign.pk}/queue/claim", body)


def test_a_dialer_claims_numbers_up_to_the_parallel_limit_and_nobody_gets_them_again(
    api_a, ws_a, django_assert_max_num_queries
):
    campaign = dialer_campaign(ws_a, max_calls_in_parallel=2)
    with time_machine.travel("2025-07-01 12:00:00Z", tick=False):
        first = enrol(api_a, campaign, "+12125550101")
        second = enrol(api_a, campaign, "+12125550102")
        enrol(api_a, campaign, "+12125550103")
    with time_machine.travel("2025-07-01 14:00:00Z", tick=False):
        with django_assert_max_num_queries(15):
            response = claim(api_a, campaign, count=5)
        assert response.status_code == 200, response.content
        body = response.json()
        assert [row["id"] for row in body["data"]] == [first, second]  # two free lines
        assert {row["status"] for row in body["data"]} == {"processing"}
        assert body["data"][0]["claimed_until"] == "2025-07-01 14:15:00"  # the 15-minute lease
        assert (body["processing"], body["max_calls_in_parallel"]) == (2, 2)
        # Held: the next poll and the next claim do not hand them out again.
        queue = api_a.get(f"campaigns/{campaign.pk}/queue").json()
        assert (queue["data"], queue["processing"]) == ([], 2)
        assert claim(api_a, campaign).json()["data"] == []
    assert CampaignLead.objects.get(pk=first).status == "processing"


def test_reporting_the_call_ends_the_claim_and_frees_the_line(api_a, ws_a):
    campaign = dialer_campaign(ws_a, max_calls_in_parallel=1)
    with time_machine.travel("2025-07-01 12:00:00Z", tick=False):
        first = enrol(api_a, campaign, "+12125550101")
        second = enrol(api_a, campaign, "+12125550102")
    with time_machine.travel("2025-07-01 14:00:00Z", tick=False):
        assert [row["id"] for row in claim(api_a, campaign).json()["data"]] == [first]
        reported = api_a("post", f"leads/{first}/calls", {"outcome": "no_answer"})
        assert reported.json()["data"]["lead"]["status"] == "rescheduled"
        entry = CampaignLead.objects.get(pk=first)
        assert (entry.claimed_until, entry.status) == (None, "rescheduled")
        after = claim(api_a, campaign).json()
    assert [row["id"] for row in after["data"]] == [second]
    assert after["processing"] == 1


def test_a_claim_nobody_reports_runs_out_and_the_number_is_callable_again(api_a, ws_a):
    campaign = dialer_campaign(ws_a, max_calls_in_parallel=1)
    with time_machine.travel("2025-07-01 12:00:00Z", tick=False):
        first = enrol(api_a, campaign, "+12125550101")
    with time_machine.travel("2025-07-01 14:00:00Z", tick=False):
        claim(api_a, campaign)
    with time_machine.travel("2025-07-01 14:14:59Z", tick=False):
        assert claim(api_a, campaign).json()["data"] == []  # still held
    with time_machine.travel("2025-07-01 14:15:01Z", tick=False):  # the dialer crashed
        queue = api_a.get(f"campaigns/{campaign.pk}/queue").json()
        assert ([row["id"] for row in queue["data"]], queue["processing"]) == ([first], 0)
        again = claim(api_a, campaign).json()["data"]
    assert [row["id"] for row in again] == [first]
    assert again[0]["claimed_until"] == "2025-07-01 14:30:01"


def test_a_retried_claim_with_the_same_idempotency_key_takes_nothing_more(api_a, ws_a):
    campaign = dialer_campaign(ws_a, max_calls_in_parallel=5)
    for i in range(3):
        enrol(api_a, campaign, f"+1212555{101 + i:04d}")
    path = f"campaigns/{campaign.pk}/queue/claim"
    first = api_a("post", path, {"count": 2}, **{"Idempotency-Key": "claim-1"}).json()
    again = api_a("post", path, {"count": 2}, **{"Idempotency-Key": "claim-1"}).json()
    assert again["data"] == first["data"] and len(first["data"]) == 2
    assert CampaignLead.objects.filter(status="processing").count() == 2


def test_a_bad_claim_is_422_and_another_workspaces_campaign_404(api_a, ws_a, campaign_b):
    campaign = dialer_campaign(ws_a)
    enrol(api_a, campaign, "+12125550101")
    for body in ({"count": 0}, {"count": 11}, {"count": "many"}):
        response = claim(api_a, campaign, **body)
        assert response.status_code == 422, body
        assert "count" in response.json()["errors"]
    assert claim(api_a, campaign_b).status_code == 404
    assert not CampaignLead.objects.filter(status="processing").exists()
