"""The call queue: who is callable now, on whose clock, in what order, and handing one
number to one caller at a time."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from campaigns.models import Campaign, CampaignLead
from campaigns.services import (
    campaign_call_record,
    campaign_claims_release,
    campaign_enroll,
    campaign_queue,
    campaign_queue_claim,
    campaign_start,
    campaign_stop,
)
from campaigns.tasks import campaigns_sweep
from leads.actors import Actor
from leads.models import Lead, Membership
from leads.services.leads import lead_update
from tests.api.autocalls.conftest import make_campaign
from tests.concurrency import run_in_threads
from tests.conftest import make_member

UTC = datetime.UTC
WEEKDAYS_ONLY = ["monday", "tuesday", "wednesday", "thursday", "friday"]
EVERY_DAY = [*WEEKDAYS_ONLY, "saturday", "sunday"]


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def phones(queue) -> list[str]:
    return [entry.phone for entry in queue.entries]


@pytest.fixture
def office_hours(ws_a):
    """New York office hours, every day, five lines."""
    return make_campaign(
        ws_a,
        name="Office hours",
        timezone="America/New_York",
        allowed_hours_start="09:00",
        allowed_hours_end="17:00",
        allowed_days=EVERY_DAY,
        max_calls_in_parallel=5,
        status="in-progress",
    )


def enrol(campaign, actor, phone, zone=None):
    """Enrol a number, due since New Year 2025 (the tests' clocks are in 2025)."""
    entry = campaign_enroll(campaign=campaign, actor=actor, phone=phone)
    CampaignLead.objects.filter(pk=entry.pk).update(next_attempt_at=at("2025-01-01 00:00"))
    if zone is not None:
        Lead.objects.filter(pk=entry.lead_id).update(timezone=zone)
    entry.refresh_from_db()
    return entry


def test_each_lead_is_called_on_its_own_clock(office_hours, actor_a):
    enrol(office_hours, actor_a, "+12125550188")  # New York (inferred from the number)
    enrol(office_hours, actor_a, "+14155550123")  # Los Angeles
    enrol(office_hours, actor_a, "+442079460958")  # London
    enrol(office_hours, actor_a, "+61291234567", zone="")  # no zone: the campaign's clock
    # 14:00 UTC = 10:00 New York, 07:00 Los Angeles, 15:00 London.
    queue = campaign_queue(campaign=office_hours, now=at("2025-07-01 14:00"))
    assert sorted(phones(queue)) == ["+12125550188", "+442079460958", "+61291234567"]
    # 19:00 UTC = 15:00 New York, 12:00 Los Angeles, 20:00 London.
    queue = campaign_queue(campaign=office_hours, now=at("2025-07-01 19:00"))
    assert sorted(phones(queue)) == ["+12125550188", "+14155550123", "+61291234567"]
    # 03:00 UTC: night everywhere in the Americas and Europe.
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-07-01 03:00"))) == []


def test_an_unknown_zone_on_a_lead_falls_back_to_the_campaign_clock(office_hours, actor_a):
    enrol(office_hours, actor_a, "+14155550123", zone="Not/AZone")
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-07-01 14:00"))) == [
        "+14155550123"
    ]


def test_the_window_follows_daylight_saving_time_in_spring(office_hours, actor_a):
    enrol(office_hours, actor_a, "+12125550188")
    # 13:30 UTC is 08:30 EST on Saturday 8 March 2025, 09:30 EDT on Sunday 9 March.
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-03-08 13:30"))) == []
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-03-09 13:30"))) == [
        "+12125550188"
    ]


def test_the_window_follows_daylight_saving_time_in_autumn_per_zone(office_hours, actor_a):
    enrol(office_hours, actor_a, "+12125550188")  # New York: back to EST on 2 November
    enrol(office_hours, actor_a, "+442079460958")  # London: back to GMT on 26 October
    # 08:30 UTC on 25 Oct is 09:30 BST; on 27 Oct it is 08:30 GMT.
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-10-25 08:30"))) == [
        "+442079460958"
    ]
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-10-27 08:30"))) == []
    # 21:30 UTC on 1 Nov is 17:30 EDT (closed); on 3 Nov it is 16:30 EST (open).
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-11-01 21:30"))) == []
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-11-03 21:30"))) == [
        "+12125550188"
    ]


def test_only_allowed_days_count_on_the_leads_own_calendar(office_hours, actor_a):
    office_hours.allowed_days = WEEKDAYS_ONLY
    office_hours.allowed_hours_start = datetime.time(0, 0)
    office_hours.allowed_hours_end = datetime.time(23, 59)
    office_hours.save()
    enrol(office_hours, actor_a, "+12125550188")
    enrol(office_hours, actor_a, "+61291234567")  # Sydney
    # Friday 2025-07-04 20:00 UTC: still Friday in New York, already Saturday in Sydney.
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-07-04 20:00"))) == [
        "+12125550188"
    ]
    # Sunday 2025-07-06 20:00 UTC: Sunday in New York, Monday morning in Sydney.
    assert phones(campaign_queue(campaign=office_hours, now=at("2025-07-06 20:00"))) == [
        "+61291234567"
    ]


def test_the_queue_holds_only_due_reachable_numbers_under_the_retry_limit(office_hours, actor_a):
    now = at("2025-07-01 14:00")
    with time_machine.travel(now - datetime.timedelta(hours=2), tick=False):
        waiting = enrol(office_hours, actor_a, "+12125550101")
        retried = enrol(office_hours, actor_a, "+12125550102")
        later = enrol(office_hours, actor_a, "+12125550103")
        exhausted = enrol(office_hours, actor_a, "+12125550104")
        opted_out = enrol(office_hours, actor_a, "+12125550105")
        done = enrol(office_hours, actor_a, "+12125550106")
    with time_machine.travel(now - datetime.timedelta(minutes=90), tick=False):
        campaign_call_record(campaign_lead=retried, actor=actor_a, outcome="no_answer")
    with time_machine.travel(now - datetime.timedelta(minutes=10), tick=False):
        campaign_call_record(campaign_lead=later, actor=actor_a, outcome="busy")
    CampaignLead.objects.filter(pk=exhausted.pk).update(attempts=4)
    lead_update(lead=opted_out.lead, actor=actor_a, data={"opted_out": True})
    CampaignLead.objects.filter(pk=done.pk).update(status="completed")
    queue = campaign_queue(campaign=office_hours, now=now)
    # The fresh number is long overdue, the retry was due at 13:30 (an hour after its call).
    assert phones(queue) == [waiting.phone, retried.phone]
    with time_machine.travel(now + datetime.timedelta(minutes=55), tick=False):
        assert later.phone in phones(campaign_queue(campaign=office_hours))


def test_the_queue_is_ordered_by_due_time(office_hours, actor_a):
    base = at("2025-07-01 13:00")
    entries = [enrol(office_hours, actor_a, f"+1212555{100 + i:04d}") for i in range(3)]
    for minutes, entry in zip((30, 10, 20), entries, strict=True):
        CampaignLead.objects.filter(pk=entry.pk).update(
            next_attempt_at=base + datetime.timedelta(minutes=minutes)
        )
    queue = campaign_queue(campaign=office_hours, now=at("2025-07-01 14:00"))
    assert phones(queue) == [entries[1].phone, entries[2].phone, entries[0].phone]


def test_no_more_than_max_calls_in_parallel_are_processing(office_hours, actor_a, ws_a):
    office_hours.max_calls_in_parallel = 2
    office_hours.save()
    for i in range(4):
        enrol(office_hours, actor_a, f"+1212555{100 + i:04d}")
    now = at("2025-07-01 14:00")
    assert len(campaign_queue(campaign=office_hours, now=now).entries) == 2
    agents = [make_member(ws_a, f"agent{i}@acme.test", Membership.Role.AGENT) for i in range(3)]
    [first] = campaign_queue_claim(campaign=office_hours, agent=agents[0], now=now).entries
    queue = campaign_queue(campaign=office_hours, now=now)
    assert queue.processing == 1 and len(queue.entries) == 1
    assert first.phone not in phones(queue)
    [second] = campaign_queue_claim(campaign=office_hours, agent=agents[1], now=now).entries
    assert second != first
    assert campaign_queue_claim(campaign=office_hours, agent=agents[2], now=now).entries == []
    assert campaign_queue(campaign=office_hours, now=now).entries == []


def test_a_campaign_that_is_not_running_has_an_empty_queue(office_hours, actor_a):
    enrol(office_hours, actor_a, "+12125550188")
    now = at("2025-07-01 14:00")
    campaign_stop(campaign=office_hours, actor=actor_a)
    assert campaign_queue(campaign=office_hours, now=now).entries == []
    campaign_start(campaign=office_hours, actor=actor_a)
    assert len(campaign_queue(campaign=office_hours, now=now).entries) == 1


def test_an_agent_holds_one_number_at_a_time(office_hours, actor_a, bob):
    enrol(office_hours, actor_a, "+12125550101")
    enrol(office_hours, actor_a, "+12125550102")
    now = at("2025-07-01 14:00")
    [first] = campaign_queue_claim(campaign=office_hours, agent=bob, now=now).entries
    [again] = campaign_queue_claim(campaign=office_hours, agent=bob, now=now).entries
    assert first == again
    assert (again.status, again.claimed_by) == ("processing", bob)
    with time_machine.travel(now, tick=False):
        campaign_call_record(campaign_lead=first, actor=actor_a, outcome="completed")
    [following] = campaign_queue_claim(campaign=office_hours, agent=bob, now=now).entries
    assert following != first


def test_an_abandoned_claim_goes_back_to_the_queue(office_hours, actor_a, bob):
    enrol(office_hours, actor_a, "+12125550101")
    now = at("2025-07-01 14:00")
    [claimed] = campaign_queue_claim(
        campaign=office_hours, agent=bob, now=now, lease=datetime.timedelta(minutes=5)
    ).entries
    assert campaign_queue(campaign=office_hours, now=now).entries == []
    later = now + datetime.timedelta(minutes=6)
    # Past the lease the number is callable again, even before the sweep runs...
    assert phones(campaign_queue(campaign=office_hours, now=later)) == [claimed.phone]
    # ...and the sweep puts it back as it was.
    assert campaign_claims_release(now=later) == 1
    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by) == ("created", None)


def test_the_periodic_sweep_releases_claims_and_completes_finished_campaigns(ws_a, actor_a, bob):
    campaign = make_campaign(
        ws_a, name="Sweep", status="in-progress", mark_complete_when_no_leads=True
    )
    entry = enrol(campaign, actor_a, "+12125550101")
    CampaignLead.objects.filter(pk=entry.pk).update(status="completed")
    result = campaigns_sweep.call()
    assert result == {"released": 0, "completed": 1}
    campaign.refresh_from_db()
    assert campaign.status == "completed"


def test_starting_needs_a_callable_number(ws_a, actor_a):
    campaign = make_campaign(ws_a, name="Empty")
    with pytest.raises(ValidationError) as err:
        campaign_start(campaign=campaign, actor=actor_a)
    assert err.value.code == "nothing_to_call"
    entry = enrol(campaign, actor_a, "+12125550101")
    lead_update(lead=entry.lead, actor=actor_a, data={"opted_out": True})
    with pytest.raises(ValidationError):
        campaign_start(campaign=campaign, actor=actor_a)


# --- PostgreSQL: real threads ----------------------------------------------------------


def running_campaign(ws, member, *, name: str, parallel: int, numbers: int) -> Campaign:
    """An in-progress campaign with `numbers` New York numbers enrolled, callable now."""
    actor = Actor(user=member.user, membership=member)
    campaign = make_campaign(ws, name=name, status="in-progress", max_calls_in_parallel=parallel)
    for i in range(numbers):
        campaign_enroll(campaign=campaign, actor=actor, phone=f"+1212555{100 + i:04d}")
    return campaign


def claim_in_thread(campaign: Campaign, agent: Membership | None, count: int = 1) -> list[int]:
    own = Campaign.objects.get(pk=campaign.pk)  # one instance per thread
    return [e.pk for e in campaign_queue_claim(campaign=own, agent=agent, count=count).entries]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_never_get_the_same_lead(ws_a, alice):
    assert connection.vendor == "postgresql"
    campaign = running_campaign(ws_a, alice, name="Race", parallel=10, numbers=12)
    agents = [make_member(ws_a, f"racer{i}@acme.test", Membership.Role.AGENT) for i in range(8)]

    for _round in range(2):  # the second round: every agent gets back what it holds
        results, errors = run_in_threads(8, lambda n: claim_in_thread(campaign, agents[n]))
        assert errors == []
        assert all(len(held) == 1 for held in results)
        assert len({held[0] for held in results}) == 8
    processing = CampaignLead.objects.filter(campaign=campaign, status="processing")
    assert processing.count() == 8
    assert processing.values("claimed_by").distinct().count() == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_parallel_limit_holds_when_many_agents_claim_at_once(ws_a, alice):
    campaign = running_campaign(ws_a, alice, name="Limit", parallel=3, numbers=10)
    agents = [make_member(ws_a, f"limit{i}@acme.test", Membership.Role.AGENT) for i in range(8)]

    results, errors = run_in_threads(8, lambda n: claim_in_thread(campaign, agents[n]))
    assert errors == []
    claimed = [pk for held in results for pk in held]
    assert len(claimed) == len(set(claimed)) == 3
    assert CampaignLead.objects.filter(status="processing").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_dialer_claims_never_get_the_same_number(ws_a, alice):
    campaign = running_campaign(ws_a, alice, name="Dialers", parallel=10, numbers=30)

    results, errors = run_in_threads(8, lambda n: claim_in_thread(campaign, None, count=3))
    assert errors == []
    claimed = [pk for batch in results for pk in batch]
    assert len(claimed) == len(set(claimed)) == 10  # no number twice, the limit holds
    assert CampaignLead.objects.filter(status="processing").count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_of_one_number_make_one_campaign_lead_and_one_lead(ws_a, alice):
    actor = Actor(user=alice.user, membership=alice)
    campaign = make_campaign(ws_a, name="Dupes")

    def enrol_once(n: int) -> str:
        try:
            own = Campaign.objects.get(pk=campaign.pk)
            campaign_enroll(campaign=own, actor=actor, phone="+12125550188")
            return "ok"
        except ValidationError as err:
            return err.code

    results, errors = run_in_threads(10, enrol_once)
    assert errors == []
    assert sorted(results) == ["duplicate_lead"] * 9 + ["ok"]
    assert CampaignLead.objects.count() == 1
    assert Lead.objects.filter(workspace=ws_a).count() == 1
