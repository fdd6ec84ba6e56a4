"""The call queue page: one lead at a time with what the caller needs, outcome buttons,
the next lead right after, and never the same lead to two agents."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client

from campaigns.models import CallAttempt, Campaign, CampaignLead
from campaigns.services import campaign_enroll
from leads.models import ActionLog, Lead, Membership
from tests.api.autocalls.conftest import make_campaign
from tests.concurrency import run_in_threads
from tests.conftest import make_member

HTMX = {"HX-Request": "true"}


@pytest.fixture
def running(ws_a, actor_a):
    campaign = make_campaign(
        ws_a,
        name="Renewals",
        status="in-progress",
        variables=["offer"],
        script="Hello {{first_name}}, this is {{agent_name}} about {{offer}} {{missing}}.",
        max_retries=2,
    )
    return campaign


def enrol(campaign, actor, phone, **lead):
    entry = campaign_enroll(
        campaign=campaign, actor=actor, phone=phone, variables={"offer": "20% off"}
    )
    if lead:
        Lead.objects.filter(pk=entry.lead_id).update(**lead)
    CampaignLead.objects.filter(pk=entry.pk).update(
        next_attempt_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    return entry


def test_the_queue_waits_for_the_agent_before_handing_out_a_lead(client, bob, running, actor_a):
    enrol(running, actor_a, "+12065550100")
    client.force_login(bob.user)
    response = client.get(f"/campaigns/{running.pk}/queue/")
    assert response.status_code == 200
    assert "Get the next lead" in response.text
    assert not CampaignLead.objects.filter(status="processing").exists()  # GET claims nothing


def test_the_next_lead_shows_everything_the_caller_needs(
    client, bob, running, actor_a, django_assert_max_num_queries
):
    entry = enrol(
        running, actor_a, "+12065550100", first_name="Ann", last_name="Lee", company="Acme"
    )
    client.force_login(bob.user)
    with time_machine.travel(datetime.datetime(2025, 7, 1, 19, 30, tzinfo=datetime.UTC)):
        with django_assert_max_num_queries(16):
            response = client.post(f"/campaigns/{running.pk}/queue/", headers=HTMX)
        # Reloading the page shows the same lead, still theirs.
        again = client.get(f"/campaigns/{running.pk}/queue/")
    assert "Ann Lee" in again.text
    assert response.status_code == 200
    text = response.text
    assert "Ann Lee" in text and "Acme" in text
    assert 'href="tel:+12065550100"' in text
    assert "Tue 12:30" in text and "America/Los_Angeles" in text  # the lead's own clock
    assert "Attempt</dt><dd>1 of 3" in text
    assert '<mark class="var" title="first_name">Ann</mark>' in text
    assert '<mark class="var" title="agent_name">Bob Agent</mark>' in text
    assert '<mark class="var" title="offer">20% off</mark>' in text
    assert '<mark class="var-missing" title="missing">[missing]</mark>' in text
    assert "First call to this number" in text
    entry.refresh_from_db()
    assert (entry.status, entry.claimed_by_id) == ("processing", bob.pk)


def test_an_outcome_is_recorded_and_the_next_lead_appears(
    client, bob, running, actor_a, django_assert_max_num_queries
):
    first = enrol(running, actor_a, "+12065550100", first_name="First")
    enrol(running, actor_a, "+12065550101", first_name="Second")
    client.force_login(bob.user)
    client.post(f"/campaigns/{running.pk}/queue/", headers=HTMX)
    with django_assert_max_num_queries(34):
        response = client.post(
            f"/campaigns/{running.pk}/queue/{first.pk}/outcome/",
            {"outcome": "no_answer", "note": "rang out"},
            headers=HTMX,
        )
    assert response.status_code == 200
    assert "Recorded “No answer” for First." in response.text
    assert "Second" in response.text
    call = CallAttempt.objects.get()
    assert (call.outcome, call.notes, call.agent) == ("no_answer", "rang out", bob)
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("rescheduled", 1)
    assert ActionLog.objects.filter(lead=first.lead, type="CALL").exists()


def test_do_not_call_opts_the_lead_out_everywhere(client, bob, running, actor_a):
    entry = enrol(running, actor_a, "+12065550100")
    client.force_login(bob.user)
    client.post(f"/campaigns/{running.pk}/queue/", headers=HTMX)
    response = client.post(
        f"/campaigns/{running.pk}/queue/{entry.pk}/outcome/",
        {"outcome": "do_not_call"},
        headers=HTMX,
    )
    assert "Nobody is left to call right now" in response.text
    entry.refresh_from_db()
    assert entry.status == "blacklisted"
    assert entry.lead.opted_out_at is not None


def test_an_outcome_for_a_number_that_is_not_yours_is_refused(client, bob, ws_a, running, actor_a):
    entry = enrol(running, actor_a, "+12065550100")
    other = make_member(ws_a, "other@acme.test", Membership.Role.AGENT)
    CampaignLead.objects.filter(pk=entry.pk).update(status="processing", claimed_by=other)
    client.force_login(bob.user)
    response = client.post(
        f"/campaigns/{running.pk}/queue/{entry.pk}/outcome/", {"outcome": "completed"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "no longer yours" in response.text
    assert not CallAttempt.objects.exists()


def test_an_unknown_outcome_is_refused_and_the_lead_stays(client, bob, running, actor_a):
    entry = enrol(running, actor_a, "+12065550100", first_name="Stay")
    client.force_login(bob.user)
    client.post(f"/campaigns/{running.pk}/queue/")
    response = client.post(
        f"/campaigns/{running.pk}/queue/{entry.pk}/outcome/", {"outcome": "failed", "note": "x"}
    )
    assert response.status_code == 422
    assert "Choose an outcome" in response.text and "Stay" in response.text
    assert not CallAttempt.objects.exists()


def test_stopping_puts_the_number_back_for_someone_else(client, bob, running, actor_a):
    entry = enrol(running, actor_a, "+12065550100")
    client.force_login(bob.user)
    client.post(f"/campaigns/{running.pk}/queue/")
    response = client.post(f"/campaigns/{running.pk}/queue/release/", headers=HTMX)
    assert "the number went back" in response.text
    entry.refresh_from_db()
    assert (entry.status, entry.claimed_by) == ("created", None)


def test_a_campaign_that_is_not_running_hands_out_nothing(client, bob, running, actor_a):
    enrol(running, actor_a, "+12065550100")
    Campaign.objects.filter(pk=running.pk).update(status="stopped")
    client.force_login(bob.user)
    response = client.post(f"/campaigns/{running.pk}/queue/")
    assert "This campaign is stopped" in response.text
    assert not CampaignLead.objects.filter(status="processing").exists()


def test_an_agent_sees_the_name_but_no_link_for_a_colleagues_lead(
    client, bob, alice, running, actor_a
):
    entry = enrol(running, actor_a, "+12065550100", first_name="Owned")
    Lead.objects.filter(pk=entry.lead_id).update(assignee=alice)
    client.force_login(bob.user)
    response = client.post(f"/campaigns/{running.pk}/queue/")
    assert "Owned" in response.text
    assert f'href="/leads/{entry.lead_id}/"' not in response.text


def test_a_number_of_another_workspace_is_not_found(client, dave, running, actor_a):
    entry = enrol(running, actor_a, "+12065550100")
    client.force_login(dave.user)
    response = client.post(
        f"/campaigns/{running.pk}/queue/{entry.pk}/outcome/", {"outcome": "busy"}
    )
    assert response.status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_asking_at_once_through_the_page_never_get_the_same_lead(ws_a, alice):
    assert connection.vendor == "postgresql"
    from leads.actors import Actor

    actor = Actor(user=alice.user, membership=alice)
    campaign = make_campaign(ws_a, name="Race", status="in-progress", max_calls_in_parallel=10)
    for i in range(6):
        campaign_enroll(campaign=campaign, actor=actor, phone=f"+1206555{100 + i:04d}")
    agents = [make_member(ws_a, f"caller{i}@acme.test", Membership.Role.AGENT) for i in range(6)]
    clients = []
    for agent in agents:
        c = Client()
        c.force_login(agent.user)
        clients.append(c)

    def next_lead(n: int) -> int:
        response = clients[n].post(f"/campaigns/{campaign.pk}/queue/", headers=HTMX)
        assert response.status_code == 200
        return int(re.search(r'data-campaign-lead="(\d+)"', response.text).group(1))

    results, errors = run_in_threads(6, next_lead)
    assert errors == []
    assert len(set(results)) == 6
    held = CampaignLead.objects.filter(campaign=campaign, status="processing")
    assert sorted(held.values_list("claimed_by", flat=True)) == sorted(a.pk for a in agents)
