"""Creating a lead through the form and working it from its page."""

from leads.actors import Actor, RequestMeta
from leads.models import ActionLog, CustomField, Lead, Stage
from leads.services.leads import lead_update
from tests.conftest import make_rotation


def test_a_lead_created_through_the_form_is_normalized_and_logged(client, alice, ws_a, bob):
    CustomField.objects.create(workspace=ws_a, slug="budget", label="Budget", field_type="number")
    make_rotation(ws_a, [bob])
    client.force_login(alice.user)
    response = client.post(
        "/leads/new/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ADA@Engines.test",
            "phone": "(678) 231-9992",
            "tags": "vip, spring",
            "cf_budget": "1200",
        },
    )
    lead = Lead.objects.get()
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert lead.phone_e164 == "+16782319992"
    assert lead.custom_fields == {"budget": 1200}
    assert lead.assignee == bob  # "next in rotation" by default
    log = ActionLog.objects.get(lead=lead, event="lead_created")
    assert log.type == "MANUAL_UPDATE" and log.actor_user == alice.user
    assert log.request_method == "POST" and log.request_path == "/leads/new/"


def test_a_bad_form_comes_back_with_errors_beside_the_fields_and_nothing_lost(
    client, alice, django_assert_max_num_queries
):
    client.force_login(alice.user)
    with django_assert_max_num_queries(14):
        response = client.post(
            "/leads/new/",
            {"first_name": "Keep me", "phone": "12", "email": "nope", "timezone": "Mars/Base"},
        )
    assert response.status_code == 200
    text = response.text
    assert 'id="id_phone_error"' in text and "not a valid phone number" in text
    assert "Enter a valid email address" in text
    assert "is not an IANA time zone" in text
    assert 'value="Keep me"' in text and 'value="nope"' in text
    assert not Lead.objects.exists()


def test_htmx_gets_the_form_back_in_place_with_422(client, alice):
    client.force_login(alice.user)
    response = client.post("/leads/new/", {"phone": "12"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")


def test_an_agent_works_the_lead_they_enter(client, bob, alice, ws_a):
    make_rotation(ws_a, [alice])
    client.force_login(bob.user)
    client.post("/leads/new/", {"first_name": "Walk-in"})
    assert Lead.objects.get().assignee == bob


def test_editing_a_lead_changes_only_what_changed(client, alice, make_lead):
    lead = make_lead(first_name="Old", company="Same")
    client.force_login(alice.user)
    response = client.post(
        f"/leads/{lead.pk}/", {"first_name": "New", "company": "Same"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Redirect"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.first_name == "New"
    log = ActionLog.objects.filter(lead=lead, event="lead_updated").get()
    assert log.input["leadUpdates"] == {"first_name": "New"}


def test_the_detail_page_runs_a_fixed_number_of_queries(
    client, alice, ws_a, make_lead, django_assert_num_queries
):
    CustomField.objects.create(workspace=ws_a, slug="budget", label="Budget", field_type="number")
    stage = Stage.objects.create(workspace=ws_a, slug="n", name="N")
    lead = make_lead(first_name="Busy", email="b@x.test", stage=stage, tags=["a"])
    make_lead(first_name="Twin", email="b@x.test")
    for i in range(30):
        lead_update(lead=lead, actor=Actor.system(), data={"score": i, "stage": stage})
    client.force_login(alice.user)
    # The lead, its timeline and side panels; the checklist panel (items, values,
    # documents) and the messages waiting to go out: the same however many of each.
    with django_assert_num_queries(21):
        response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    assert "Twin" in response.text


def test_the_timeline_shows_api_activity_with_its_request_and_filters_by_type(
    client, alice, key_a, make_lead
):
    lead = make_lead(first_name="Api")
    actor = Actor(
        api_key=None,
        source="api",
        request=RequestMeta(
            method="PATCH",
            path="/api/v1/leads/x",
            ip="203.0.113.9",
            headers={"x-api-key": "[masked]", "user-agent": "zapier"},
        ),
    )
    lead_update(lead=lead, actor=actor, data={"company": "Via API"})
    client.force_login(alice.user)
    page = client.get(f"/leads/{lead.pk}/").text
    assert "API activity" in page and "/api/v1/leads/x" in page
    assert "203.0.113.9" in page and "zapier" in page and "[masked]" in page
    only_api = client.get(
        f"/leads/{lead.pk}/", {"panel": "timeline", "type": "API_ACTIVITY"}, HTTP_HX_REQUEST="true"
    ).text
    assert "Via API" in only_api and "Lead created" not in only_api


def test_stage_change_from_the_side_panel(client, bob, ws_a, make_lead):
    stage = Stage.objects.create(workspace=ws_a, slug="q", name="Qualified")
    lead = make_lead(first_name="S")
    client.force_login(bob.user)
    client.post(f"/leads/{lead.pk}/stage/", {"stage": stage.pk})
    lead.refresh_from_db()
    assert lead.stage == stage


def test_reassigning_keeps_the_reason_and_shows_it(client, mia, bob, make_lead):
    lead = make_lead(first_name="R")
    client.force_login(mia.user)
    client.post(f"/leads/{lead.pk}/assign/", {"assignee": bob.pk, "note": "speaks German"})
    lead.refresh_from_db()
    assert lead.assignee == bob
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Reassigned by mia@acme.test: speaks German" in page


def test_next_in_rotation_without_anyone_taking_leads_says_so(client, mia, make_lead):
    lead = make_lead(first_name="R")
    client.force_login(mia.user)
    response = client.post(
        f"/leads/{lead.pk}/assign/", {"assignee": "rotation"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "No rotation has anyone taking leads" in response.text


def test_opting_out_and_back_in(client, bob, make_lead):
    lead = make_lead(first_name="O")
    client.force_login(bob.user)
    client.post(f"/leads/{lead.pk}/opt-out/", {"opted_out": "true", "channel": "sms"})
    lead.refresh_from_db()
    assert (lead.status, lead.opt_out_channel) == ("opted_out", "sms")
    client.post(f"/leads/{lead.pk}/opt-out/", {"opted_out": "false"})
    lead.refresh_from_db()
    assert lead.opted_out_at is None and lead.status == "in_progress"


def test_a_manager_archives_and_restores(client, mia, make_lead):
    lead = make_lead(first_name="A")
    client.force_login(mia.user)
    client.post(f"/leads/{lead.pk}/archive/", {"archived": "true"})
    lead.refresh_from_db()
    assert lead.archived_at is not None
    client.post(f"/leads/{lead.pk}/archive/", {"archived": "false"})
    lead.refresh_from_db()
    assert lead.archived_at is None
