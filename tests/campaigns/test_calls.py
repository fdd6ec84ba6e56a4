"""Call outcomes: what each one does to the number, the lead and the campaign."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import CallAttempt, Campaign, CampaignLead
from campaigns.services import (
    campaign_call_record,
    campaign_enroll,
    campaign_start,
)
from leads.models import ActionLog, Lead
from leads.services.leads import lead_create
from tests.api.autocalls.conftest import make_campaign


@pytest.fixture
def campaign(ws_a) -> Campaign:
    return make_campaign(ws_a, max_retries=2, retry_interval_minutes=30)


@pytest.fixture
def entry(campaign, actor_a) -> CampaignLead:
    return campaign_enroll(campaign=campaign, actor=actor_a, phone="+14155550123")


def record(entry, actor, outcome, **extra):
    call = campaign_call_record(campaign_lead=entry, actor=actor, outcome=outcome, **extra)
    entry.refresh_from_db()
    return call


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("completed", "completed"),
        ("not_interested", "completed"),
        ("no_answer", "rescheduled"),
        ("busy", "rescheduled"),
        ("failed", "rescheduled"),
        ("voicemail", "rescheduled"),
        ("opted_out", "blacklisted"),
        ("do_not_call", "blacklisted"),
    ],
)
def test_each_outcome_moves_the_number_on(entry, actor_a, outcome, status):
    record(entry, actor_a, outcome)
    assert entry.status == status
    assert entry.last_outcome == outcome
    assert entry.attempts == 1


def test_every_attempt_is_a_call_row_a_call_entry_and_an_interaction(entry, actor_a, alice):
    with time_machine.travel("2025-06-30 15:00:00Z", tick=False):
        call = record(entry, actor_a, "busy", duration_seconds=42, notes="Line busy")
    assert (call.outcome, call.duration_seconds, call.notes) == ("busy", 42, "Line busy")
    assert (call.campaign, call.lead, call.agent) == (entry.campaign, entry.lead, alice)
    log = ActionLog.objects.get(type=ActionLog.Type.CALL)
    assert log.lead == entry.lead
    assert log.summary == "Call: Busy (attempt 1 of 3) in campaign “My new campaign”"
    assert log.input["outcome"] == "busy" and log.input["durationSeconds"] == 42
    assert log.output == {
        "statusFrom": "created",
        "statusTo": "rescheduled",
        "nextAttemptAt": "2025-06-30T15:30:00+00:00",
    }
    lead = Lead.objects.get(pk=entry.lead_id)
    assert lead.interaction_count == 1
    assert lead.last_interaction_at.isoformat() == "2025-06-30T15:00:00+00:00"


def test_a_retry_waits_the_retry_interval(entry, actor_a):
    with time_machine.travel("2025-06-30 15:00:00Z", tick=False):
        record(entry, actor_a, "no_answer")
    assert entry.next_attempt_at.isoformat() == "2025-06-30T15:30:00+00:00"


def test_after_max_retries_the_number_reached_max_retries(entry, actor_a):
    record(entry, actor_a, "no_answer")
    record(entry, actor_a, "busy")
    assert entry.status == "rescheduled"
    record(entry, actor_a, "failed")  # first call + 2 retries
    assert (entry.status, entry.attempts) == ("reached-max-retries", 3)
    assert CallAttempt.objects.count() == 3


def test_voicemail_completes_the_number_when_the_campaign_does_not_retry_it(entry, actor_a):
    Campaign.objects.filter(pk=entry.campaign_id).update(retry_on_voicemail=False)
    record(entry, actor_a, "voicemail")
    assert entry.status == "completed"


def test_a_completed_call_without_the_goal_is_retried_when_asked(entry, actor_a):
    Campaign.objects.filter(pk=entry.campaign_id).update(
        retry_on_goal_incomplete=True, goal_completion_variable="booked"
    )
    record(entry, actor_a, "completed", variables={"booked": False})
    assert entry.status == "rescheduled"
    record(entry, actor_a, "completed", variables={"booked": True})
    assert entry.status == "completed"
    assert entry.variables["booked"] is True


def test_a_retry_at_time_schedules_the_next_call(entry, actor_a):
    later = timezone.now() + timedelta(days=1)
    record(entry, actor_a, "no_answer", retry_at=later)
    assert (entry.status, entry.next_attempt_at) == ("scheduled", later)
    with pytest.raises(ValidationError):
        record(entry, actor_a, "no_answer", retry_at=timezone.now() - timedelta(minutes=1))


def test_an_opt_out_blacklists_the_number_everywhere_and_opts_the_lead_out(
    ws_a, campaign, entry, actor_a
):
    other = campaign_enroll(
        campaign=make_campaign(ws_a, name="Other"), actor=actor_a, phone="4155550123"
    )
    assert other.lead == entry.lead
    record(entry, actor_a, "opted_out")
    other.refresh_from_db()
    lead = Lead.objects.get(pk=entry.lead_id)
    assert entry.status == other.status == "blacklisted"
    assert lead.did_opt_out and lead.status == Lead.Status.OPTED_OUT
    assert lead.opt_out_channel == "call"
    assert ActionLog.objects.filter(lead=lead, event="lead_updated").count() == 1


def test_a_late_report_on_a_finished_number_is_kept_without_reopening_it(entry, actor_a):
    record(entry, actor_a, "completed")
    record(entry, actor_a, "no_answer")
    assert (entry.status, entry.attempts) == ("completed", 2)
    assert CallAttempt.objects.count() == 2


def test_a_campaign_completes_when_nothing_is_left_to_call(ws_a, actor_a):
    campaign = make_campaign(ws_a, name="Finishes", mark_complete_when_no_leads=True)
    first = campaign_enroll(campaign=campaign, actor=actor_a, phone="+14155550123")
    second = campaign_enroll(campaign=campaign, actor=actor_a, phone="+12125550188")
    campaign_start(campaign=campaign, actor=actor_a)
    record(first, actor_a, "completed")
    campaign.refresh_from_db()
    assert campaign.status == "in-progress"
    record(second, actor_a, "do_not_call")
    campaign.refresh_from_db()
    assert campaign.status == "completed"
    assert ActionLog.objects.filter(event="campaign_completed").count() == 1


def test_a_campaign_without_the_flag_keeps_running(entry, actor_a):
    campaign_start(campaign=entry.campaign, actor=actor_a)
    record(entry, actor_a, "completed")
    entry.campaign.refresh_from_db()
    assert entry.campaign.status == "in-progress"


def test_enrolment_refuses_a_duplicate_inside_the_service_too(campaign, entry, actor_a):
    with pytest.raises(ValidationError) as err:
        campaign_enroll(campaign=campaign, actor=actor_a, phone="(415) 555-0123")
    assert err.value.code == "duplicate_lead"
    with pytest.raises(ValidationError) as err:
        campaign_enroll(campaign=campaign, actor=actor_a, phone="12")
    assert err.value.message_dict == {"phone": ["Invalid phone number"]}


def test_enrolment_matches_leads_by_phone_only_as_the_issue_specifies(campaign, actor_a, ws_a):
    lead_create(workspace=ws_a, actor=actor_a, data={"email": "john@example.com"})
    entry = campaign_enroll(
        campaign=campaign,
        actor=actor_a,
        phone="+14155550123",
        variables={"email": "john@example.com", "customer_name": "John"},
    )
    assert Lead.objects.count() == 2
    assert entry.lead.phone_e164 == "+14155550123"
