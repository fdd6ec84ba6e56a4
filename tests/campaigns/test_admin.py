"""Campaigns in the Django admin: scoped to the workspace, started and stopped through
the same services as the API."""

import pytest

from campaigns.models import Campaign
from campaigns.services import campaign_enroll
from leads.models import ActionLog
from tests.api.autocalls.conftest import make_campaign


@pytest.fixture
def staff_alice(alice):
    alice.user.is_staff = True
    alice.user.save()
    return alice


def act(client, action, campaign):
    return client.post(
        "/admin/campaigns/campaign/",
        {"action": action, "_selected_action": [campaign.pk]},
        follow=True,
    )


def test_the_admin_starts_and_stops_campaigns_through_the_services(
    client, staff_alice, ws_a, actor_a
):
    campaign = make_campaign(ws_a, name="Admin run")
    client.force_login(staff_alice.user)
    refused = act(client, "start_campaigns", campaign)
    assert "has no leads left to call" in refused.text
    assert Campaign.objects.get().status == "draft"
    campaign_enroll(campaign=campaign, actor=actor_a, phone="+12125550188")
    assert "“Admin run” started." in act(client, "start_campaigns", campaign).text
    assert Campaign.objects.get().status == "in-progress"
    act(client, "stop_campaigns", campaign)
    assert Campaign.objects.get().status == "stopped"
    assert ActionLog.objects.get(event="campaign_started").actor_user == staff_alice.user


def test_an_owner_does_not_see_another_workspaces_campaigns(client, staff_alice, ws_b):
    theirs = make_campaign(ws_b, name="Bravo secret campaign")
    client.force_login(staff_alice.user)
    page = client.get("/admin/campaigns/campaign/")
    assert page.status_code == 200 and "Bravo secret campaign" not in page.text
    assert client.get(f"/admin/campaigns/campaign/{theirs.pk}/change/").status_code == 302
