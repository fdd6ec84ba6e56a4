"""The campaign pages: list with progress, create and edit, start and stop, adding leads
from a saved view or the lead list's selection, the lead table, roles and tenancy."""

import pytest

from campaigns.models import Campaign, CampaignLead
from campaigns.services import campaign_call_record, campaign_enroll, campaign_enroll_leads
from leads.models import ActionLog, SavedView
from tests.api.autocalls.conftest import make_campaign
from tests.conftest import make_member

FORM = {
    "name": "Spring renewals",
    "timezone": "America/Chicago",
    "allowed_hours_start": "09:00",
    "allowed_hours_end": "17:30",
    "allowed_days": ["monday", "wednesday", "friday"],
    "max_calls_in_parallel": "4",
    "max_retries": "2",
    "retry_interval_minutes": "90",
    "retry_on_voicemail": "on",
    "variables": "offer, renewal_date",
    "script": "Hi {{first_name}}, about {{offer}}…",
}


@pytest.fixture
def campaign(ws_a):
    return make_campaign(ws_a, name="Renewals")


def test_the_list_shows_each_campaign_with_its_progress(
    client, carol, ws_a, actor_a, campaign, django_assert_max_num_queries
):
    for i in range(4):
        campaign_enroll(campaign=campaign, actor=actor_a, phone=f"+1206555{100 + i:04d}")
    entry = campaign.leads.order_by("pk").first()
    campaign_call_record(campaign_lead=entry, actor=actor_a, outcome="completed")
    for i in range(3):
        make_campaign(ws_a, name=f"Other {i}")
    client.force_login(carol.user)
    with django_assert_max_num_queries(5):
        response = client.get("/campaigns/")
    assert response.status_code == 200
    assert "1 of 4 done" in response.text
    assert 'value="25"' in response.text
    assert "New campaign" not in response.text  # viewers read, managers create


def test_the_list_filters_by_status(client, alice, ws_a, campaign):
    make_campaign(ws_a, name="Running one", status="in-progress")
    client.force_login(alice.user)
    response = client.get("/campaigns/", {"status": "in-progress"})
    assert [c.name for c in response.context["campaigns"]] == ["Running one"]


def test_a_manager_creates_a_campaign_with_hours_days_retries_and_a_script(client, alice):
    client.force_login(alice.user)
    response = client.post("/campaigns/new/", FORM)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.status == "draft"
    assert campaign.allowed_days == ["monday", "wednesday", "friday"]
    assert campaign.hours[1].strftime("%H:%M") == "17:30"
    assert (campaign.max_retries, campaign.retry_interval_minutes) == (2, 90)
    assert campaign.variables == ["offer", "renewal_date"]
    assert ActionLog.objects.filter(event="campaign_created").exists()


def test_a_mistake_comes_back_beside_its_field_and_nothing_typed_is_lost(client, alice):
    client.force_login(alice.user)
    bad = {**FORM, "allowed_hours_end": "08:00", "variables": "ok, 9lives", "allowed_days": []}
    response = client.post("/campaigns/new/", bad)
    assert response.status_code == 422
    assert "Variable names use letters" in response.text
    assert "This field is required" in response.text
    assert 'value="Spring renewals"' in response.text
    assert not Campaign.objects.exists()
    response = client.post("/campaigns/new/", {**FORM, "allowed_hours_end": "08:00"})
    assert response.status_code == 422
    assert "must end after it starts" in response.text


def test_editing_a_campaign_records_what_changed(client, alice, campaign):
    client.force_login(alice.user)
    page = client.get(f"/campaigns/{campaign.pk}/edit/")
    assert page.status_code == 200 and 'value="Renewals"' in page.text
    response = client.post(f"/campaigns/{campaign.pk}/edit/", FORM)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Spring renewals" and campaign.timezone == "America/Chicago"
    log = ActionLog.objects.get(event="campaign_updated")
    assert log.input["changes"]["allowed_hours_end"] == {"from": "23:59", "to": "17:30"}
    assert "script" in log.input["changes"]


def test_start_needs_leads_and_stop_puts_numbers_in_hand_back(client, alice, actor_a, campaign):
    client.force_login(alice.user)
    response = client.post(f"/campaigns/{campaign.pk}/start/", follow=True)
    assert "has no leads left to call" in response.text
    campaign_enroll(campaign=campaign, actor=actor_a, phone="+12065550100")
    client.post(f"/campaigns/{campaign.pk}/start/")
    campaign.refresh_from_db()
    assert campaign.status == "in-progress"
    CampaignLead.objects.update(status="processing", claimed_by=alice)
    client.post(f"/campaigns/{campaign.pk}/stop/")
    campaign.refresh_from_db()
    assert campaign.status == "stopped"
    assert CampaignLead.objects.get().status == "created"


def test_leads_of_a_saved_view_are_added_with_what_was_left_out(
    client, alice, campaign, make_lead, actor_a
):
    make_lead(first_name="Hot", phone="2065550100", tags=["hot"])
    make_lead(first_name="Hot", phone="2065550101", tags=["hot"], opted_out=True)
    make_lead(first_name="Hot", tags=["hot"])  # no phone
    already = make_lead(first_name="Hot", phone="2065550103", tags=["hot"])
    make_lead(first_name="Cold", phone="2065550104")
    campaign_enroll_leads(campaign=campaign, actor=actor_a, leads=[already])
    from leads.models import Tag

    view = SavedView.objects.create(
        workspace=campaign.workspace,
        membership=alice,
        name="Hot ones",
        query=f"tag={Tag.objects.get(name='hot').pk}",
    )
    client.force_login(alice.user)
    response = client.post(
        f"/campaigns/{campaign.pk}/enroll/", {"saved_view": view.pk}, follow=True
    )
    assert (
        "Added 1 lead to Renewals. Left out: 1 already in the campaign, "
        "1 without a phone number, 1 opted out." in response.text
    )
    assert set(campaign.leads.values_list("phone", flat=True)) == {"+12065550100", "+12065550103"}
    entry = campaign.leads.get(phone="+12065550100")
    assert entry.variables == {"customer_name": "Hot"}
    assert ActionLog.objects.filter(lead=entry.lead, event="campaign_lead_enrolled").exists()


def test_a_saved_view_over_the_limit_is_refused_whole(client, alice, campaign, make_lead, settings):
    settings.CAMPAIGN_ENROLL_MAX = 2
    for i in range(3):
        make_lead(first_name="Many", phone=f"206555{200 + i:04d}")
    view = SavedView.objects.create(
        workspace=campaign.workspace, membership=alice, name="All", query=""
    )
    client.force_login(alice.user)
    response = client.post(
        f"/campaigns/{campaign.pk}/enroll/", {"saved_view": view.pk}, follow=True
    )
    assert "more than 2 leads" in response.text
    assert not campaign.leads.exists()


def test_someone_elses_saved_view_cannot_be_used(client, alice, ws_a, campaign):
    other = make_member(ws_a, "other@acme.test", "manager")
    view = SavedView.objects.create(workspace=ws_a, membership=other, name="Theirs", query="")
    client.force_login(alice.user)
    response = client.post(
        f"/campaigns/{campaign.pk}/enroll/", {"saved_view": view.pk}, follow=True
    )
    assert "Choose one of your saved views" in response.text


def test_the_lead_list_selection_is_added_after_choosing_the_campaign(
    client, alice, bob, campaign, make_lead, ws_b
):
    a = make_lead(first_name="Ann", phone="2065550100")
    b = make_lead(first_name="Bo", phone="2065550101")
    client.force_login(alice.user)
    listing = client.get("/leads/")
    assert "Add to campaign…" in listing.text
    client.force_login(bob.user)
    assert "Add to campaign…" not in client.get("/leads/").text  # managers fill campaigns
    client.force_login(alice.user)
    first = client.post(
        "/campaigns/enroll/", {"ids": [a.pk, b.pk], "action": "export", "query": "q=x"}
    )
    assert first.status_code == 200
    assert "Add 2 leads to a campaign" in first.text and "Renewals" in first.text
    foreign = make_campaign(ws_b, name="Theirs")
    refused = client.post(
        "/campaigns/enroll/", {"ids": [a.pk, b.pk], "campaign": foreign.pk, "confirm": "1"}
    )
    assert refused.status_code == 422
    assert not foreign.leads.exists()
    done = client.post(
        "/campaigns/enroll/", {"ids": [a.pk, b.pk], "campaign": campaign.pk, "confirm": "1"}
    )
    assert done.status_code == 302 and done["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.leads.count() == 2


def test_leads_of_another_workspace_cannot_be_selected(client, alice, campaign, make_lead, ws_b):
    mine = make_lead(first_name="Mine", phone="2065550100")
    theirs = make_lead(workspace=ws_b, first_name="Theirs", phone="2065550101")
    client.force_login(alice.user)
    response = client.post(
        "/campaigns/enroll/",
        {"ids": [mine.pk, theirs.pk], "campaign": campaign.pk, "confirm": "1"},
        follow=True,
    )
    assert "no longer exist; nothing was added" in response.text
    assert not campaign.leads.exists()


def test_the_campaign_page_lists_its_leads_with_status_and_attempts(
    client, carol, actor_a, campaign, django_assert_max_num_queries
):
    for i in range(60):
        campaign_enroll(campaign=campaign, actor=actor_a, phone=f"+1206555{100 + i:04d}")
    entry = campaign.leads.order_by("pk").first()
    campaign_call_record(campaign_lead=entry, actor=actor_a, outcome="no_answer")
    client.force_login(carol.user)
    with django_assert_max_num_queries(8):
        response = client.get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    assert len(response.context["page"].items) == 50
    assert response.context["done"] == 0 and response.context["total"] == 60
    nxt = client.get(f"/campaigns/{campaign.pk}/", {"after": response.context["page"].next_cursor})
    assert len(nxt.context["page"].items) == 10
    filtered = client.get(f"/campaigns/{campaign.pk}/", {"status": "rescheduled"})
    assert [e.pk for e in filtered.context["page"].items] == [entry.pk]
    assert "1 / 4" in filtered.text and "No answer" in filtered.text
    assert "Start" not in filtered.text  # a viewer has no controls


def test_a_broken_page_link_is_a_clear_400(client, alice, campaign):
    client.force_login(alice.user)
    assert client.get(f"/campaigns/{campaign.pk}/", {"after": "garbage"}).status_code == 400


# url, method, {role: expected status}
MATRIX = [
    (
        "/campaigns/",
        "get",
        {"owner": 200, "manager": 200, "agent": 200, "viewer": 200, "stranger": 200},
    ),
    ("/campaigns/new/", "get", {"owner": 200, "manager": 200, "agent": 403, "viewer": 403}),
    ("/campaigns/{c}/", "get", {"manager": 200, "agent": 200, "viewer": 200, "stranger": 404}),
    ("/campaigns/{c}/edit/", "get", {"manager": 200, "agent": 403, "stranger": 404}),
    (
        "/campaigns/{c}/start/",
        "post",
        {"manager": 302, "agent": 403, "viewer": 403, "stranger": 404},
    ),
    ("/campaigns/{c}/stop/", "post", {"manager": 302, "agent": 403, "stranger": 404}),
    ("/campaigns/{c}/enroll/", "post", {"manager": 302, "agent": 403, "stranger": 404}),
    ("/campaigns/enroll/", "post", {"manager": 302, "agent": 403, "viewer": 403}),
    (
        "/campaigns/{c}/queue/",
        "get",
        {"manager": 200, "agent": 200, "viewer": 403, "stranger": 404},
    ),
    ("/campaigns/{c}/queue/", "post", {"agent": 200, "viewer": 403, "stranger": 404}),
    ("/campaigns/{c}/queue/release/", "post", {"agent": 200, "viewer": 403, "stranger": 404}),
    ("/campaigns/{c}/queue/release/", "get", {"agent": 405}),
]


@pytest.mark.parametrize(("url", "method", "expected"), MATRIX)
def test_each_role_gets_what_it_may_and_a_stranger_gets_nothing(
    client, alice, mia, bob, carol, dave, campaign, url, method, expected
):
    people = {"owner": alice, "manager": mia, "agent": bob, "viewer": carol, "stranger": dave}
    for role, status in expected.items():
        client.force_login(people[role].user)
        response = getattr(client, method)(url.format(c=campaign.pk))
        assert response.status_code == status, (role, url, method)
    if "stranger" in expected and url != "/campaigns/":
        client.force_login(dave.user)
        assert campaign.name not in client.get("/campaigns/").text


def test_every_campaign_page_is_built_on_the_staff_mixin():
    from django.urls import URLResolver, get_resolver

    from leads.views.base import StaffMixin

    patterns = [
        p
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "campaigns"
        for p in entry.url_patterns
    ]
    assert patterns
    assert all(issubclass(p.callback.view_class, StaffMixin) for p in patterns)


def test_calling_days_read_as_people_say_them(ws_a):
    assert make_campaign(ws_a).days_label == "Every day"
    weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert make_campaign(ws_a, allowed_days=weekdays).days_label == "Mon to Fri"
    assert make_campaign(ws_a, allowed_days=["friday", "monday"]).days_label == "Mon, Fri"
