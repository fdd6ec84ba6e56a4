"""Autocalls leads: POST /lead (seed 004), GET /leads, PUT and DELETE /leads/{id}."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import CallAttempt, CampaignLead
from campaigns.services import campaign_call_record
from leads.models import ActionLog, Lead
from leads.services.leads import lead_create
from tests.api.autocalls.conftest import make_campaign

LARAVEL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

# The seed's example with numbers that really exist (+1234567890 does not).
SEED_BODY = {
    "phone_number": "+14155550123",
    "variables": {"customer_name": "John Doe", "email": "john.doe@example.com"},
    "secondary_contacts": [
        {
            "phone_number": "+14155550124",
            "variables": {
                "customer_name": "Jane Doe Secondary",
                "email": "jane.doe.secondary@example.com",
            },
        },
        {
            "phone_number": "+14155550125",
            "variables": {"customer_name": "Bob Doe Office", "email": "bob.doe.office@example.com"},
        },
    ],
}


def create(api, campaign, **body):
    return api("post", "lead", {"campaign_id": campaign.pk, **body})


# --- POST /lead -----------------------------------------------------------------------


def test_the_seed_example_creates_a_lead_with_its_secondary_contacts(
    api_a, campaign_a, django_assert_max_num_queries
):
    # About ten per number plus the request; PostgreSQL adds one advisory lock per number.
    with django_assert_max_num_queries(40):
        response = create(api_a, campaign_a, **SEED_BODY)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == "Lead created successfully"
    data = body["data"]
    main = CampaignLead.objects.get(parent=None)
    assert data["id"] == main.pk
    assert data["campaign_id"] == campaign_a.pk
    assert data["phone_number"] == "+14155550123"
    assert data["variables"] == SEED_BODY["variables"]
    assert data["status"] == "created"
    assert data["campaign"] == {"id": campaign_a.pk, "name": "My new campaign"}
    assert LARAVEL_TIME.match(data["created_at"]) and LARAVEL_TIME.match(data["updated_at"])
    secondary = data["secondary_contacts"]
    assert [c["phone_number"] for c in secondary] == ["+14155550124", "+14155550125"]
    assert [c["variables"] for c in secondary] == [
        c["variables"] for c in SEED_BODY["secondary_contacts"]
    ]
    assert all(c["status"] == "created" for c in secondary)
    assert set(secondary[0]) == {
        "id",
        "phone_number",
        "variables",
        "status",
        "created_at",
        "updated_at",
    }
    ids = [c["id"] for c in secondary]
    assert sorted(CampaignLead.objects.filter(parent=main).values_list("pk", flat=True)) == ids
    assert len({data["id"], *ids}) == 3


def test_every_number_becomes_a_canonical_lead_named_from_its_variables(api_a, campaign_a):
    create(api_a, campaign_a, **SEED_BODY)
    leads = {lead.phone_e164: lead for lead in Lead.objects.filter(workspace=campaign_a.workspace)}
    assert set(leads) == {"+14155550123", "+14155550124", "+14155550125"}
    john = leads["+14155550123"]
    assert (john.first_name, john.last_name, john.email) == ("John", "Doe", "john.doe@example.com")
    assert john.timezone == "America/Los_Angeles"
    assert leads["+14155550125"].first_name == "Bob"
    assert leads["+14155550125"].last_name == "Doe Office"
    entry = ActionLog.objects.get(lead=john)
    assert entry.event == "lead_created"
    assert "campaign “My new campaign”" in entry.summary
    assert entry.input["campaignEnrollment"]["campaign"]["id"] == campaign_a.pk
    assert entry.actor_key is not None


def test_a_known_phone_reuses_its_lead_without_overwriting_it(api_a, campaign_a, actor_a):
    existing = lead_create(
        workspace=campaign_a.workspace,
        actor=actor_a,
        data={"first_name": "Johnny", "email": "johnny@example.com", "phone": "(415) 555-0123"},
    ).lead
    response = create(
        api_a,
        campaign_a,
        phone_number="+1 415 555 0123",
        variables={"customer_name": "Someone Else", "email": "else@example.com"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["phone_number"] == "+14155550123"
    assert Lead.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.first_name, existing.email) == ("Johnny", "johnny@example.com")
    assert CampaignLead.objects.get().lead == existing
    enrolment = ActionLog.objects.get(lead=existing, event="campaign_lead_enrolled")
    assert enrolment.summary == "Added to campaign “My new campaign”"


def test_a_number_of_another_country_with_the_same_last_ten_digits_gets_its_own_lead(
    api_a, campaign_a, actor_a
):
    london = lead_create(
        workspace=campaign_a.workspace,
        actor=actor_a,
        data={"first_name": "Lon", "phone": "+44 20 7946 0958"},
    ).lead
    response = create(
        api_a, campaign_a, phone_number="+12079460958", variables={"customer_name": "Maine Person"}
    )
    assert response.status_code == 200
    entry = CampaignLead.objects.get(pk=response.json()["data"]["id"])
    assert entry.lead != london
    assert (entry.lead.phone_e164, entry.lead.first_name) == ("+12079460958", "Maine")
    assert entry.effective_timezone == "America/New_York"  # called on Maine's clock


def test_an_unusable_email_variable_is_kept_but_not_put_on_the_lead(api_a, campaign_a):
    response = create(
        api_a, campaign_a, phone_number="+14155550123", variables={"email": "not an email"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["variables"] == {"email": "not an email"}
    assert Lead.objects.get().email == ""


def test_a_valid_but_overlong_email_variable_does_not_refuse_the_number(api_a, campaign_a):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"  # 312 characters
    response = create(api_a, campaign_a, phone_number="+14155550123", variables={"email": email})
    assert response.status_code == 200, response.content
    assert response.json()["data"]["variables"] == {"email": email}
    assert Lead.objects.get().email == ""  # the lead's email holds at most 254


def test_an_opted_out_number_is_enrolled_as_blacklisted_and_never_queued(api_a, ws_a, actor_a):
    campaign = make_campaign(ws_a, name="Running", status="in-progress")
    lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "No", "phone": "+14155550123", "opted_out": True},
    )
    response = create(
        api_a,
        campaign,
        phone_number="(415) 555-0123",
        secondary_contacts=[{"phone_number": "+14155550124"}],
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "blacklisted"
    assert data["secondary_contacts"][0]["status"] == "created"
    queue = api_a.get(f"campaigns/{campaign.pk}/queue").json()
    assert [row["phone_number"] for row in queue["data"]] == ["+14155550124"]
    log = ActionLog.objects.get(event="campaign_lead_enrolled", lead__first_name="No")
    assert log.summary == (
        "Added to campaign “Running” as blacklisted: this number opted out of calls"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"phone_number": "+1234567890"},
        {"phone_number": "12"},
        {"phone_number": "call me maybe"},
        {"phone_number": 42},
        {"phone_number": "+14155550123", "secondary_contacts": [{"phone_number": "+1000"}]},
    ],
)
def test_an_invalid_phone_number_is_422_and_nothing_is_written(api_a, campaign_a, body):
    response = create(api_a, campaign_a, **body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["message"] == "Invalid phone number"
    assert payload["errors"]
    assert all(key.endswith("phone_number") for key in payload["errors"])
    assert CampaignLead.objects.count() == Lead.objects.count() == ActionLog.objects.count() == 0


def test_missing_fields_are_422_naming_each_field(api_a):
    response = api_a("post", "lead", {"variables": {}})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"phone_number", "campaign_id"}


@pytest.mark.parametrize("which", ["foreign", "missing", "not a number"])
def test_a_campaign_outside_the_workspace_is_404_campaign_not_found(api_a, campaign_b, which):
    campaign_id = {"foreign": campaign_b.pk, "missing": 999_999, "not a number": "abc"}[which]
    response = api_a("post", "lead", {"phone_number": "+14155550123", "campaign_id": campaign_id})
    if which == "not a number":
        assert response.status_code == 422
        assert "campaign_id" in response.json()["errors"]
    else:
        assert response.status_code == 404
        assert response.json()["message"] == "Campaign not found"
    assert CampaignLead.objects.count() == 0


def test_the_same_phone_twice_in_a_campaign_is_refused_with_a_clear_message(api_a, campaign_a):
    assert create(api_a, campaign_a, phone_number="+14155550123").status_code == 200
    again = create(api_a, campaign_a, phone_number="(415) 555-0123")
    assert again.status_code == 422
    message = again.json()["message"]
    assert "+14155550123 is already in campaign “My new campaign”" in message
    assert "allow_dupplicate" in message
    assert again.json()["code"] == "duplicate_lead"
    assert CampaignLead.objects.count() == 1


@pytest.mark.parametrize("flag", ["allow_dupplicate", "allow_duplicate"])
def test_duplicates_are_accepted_when_allowed_by_either_spelling(api_a, campaign_a, flag):
    create(api_a, campaign_a, phone_number="+14155550123")
    response = create(api_a, campaign_a, phone_number="+14155550123", **{flag: True})
    assert response.status_code == 200
    rows = CampaignLead.objects.filter(phone="+14155550123")
    assert rows.count() == 2
    assert rows.values("lead").distinct().count() == 1  # still one person


def test_the_same_phone_in_another_campaign_is_fine(api_a, campaign_a, ws_a):
    other = make_campaign(ws_a, name="Other")
    assert create(api_a, campaign_a, phone_number="+14155550123").status_code == 200
    assert create(api_a, other, phone_number="+14155550123").status_code == 200


def test_a_number_repeated_inside_one_request_is_a_duplicate_too(api_a, campaign_a):
    body = {"phone_number": "+14155550123", "secondary_contacts": [{"phone_number": "4155550123"}]}
    assert create(api_a, campaign_a, **body).status_code == 422
    assert create(api_a, campaign_a, allow_dupplicate=True, **body).status_code == 200


def test_more_than_ten_secondary_contacts_is_422(api_a, campaign_a):
    contacts = [{"phone_number": f"+1415555{1000 + i}"} for i in range(11)]
    response = create(api_a, campaign_a, phone_number="+14155550123", secondary_contacts=contacts)
    assert response.status_code == 422
    assert "secondary_contacts" in response.json()["errors"]
    ten = create(api_a, campaign_a, phone_number="+14155550123", secondary_contacts=contacts[:10])
    assert ten.status_code == 200
    assert len(ten.json()["data"]["secondary_contacts"]) == 10


def test_an_idempotency_key_replays_the_create_instead_of_refusing_a_duplicate(api_a, campaign_a):
    first = api_a(
        "post",
        "lead",
        {"phone_number": "+14155550123", "campaign_id": campaign_a.pk},
        **{"Idempotency-Key": "lead-1"},
    )
    again = api_a(
        "post",
        "lead",
        {"phone_number": "+14155550123", "campaign_id": campaign_a.pk},
        **{"Idempotency-Key": "lead-1"},
    )
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert CampaignLead.objects.count() == 1


# --- GET /leads -----------------------------------------------------------------------


def enrol_many(api, campaign, count, start=100):
    for i in range(count):
        assert create(api, campaign, phone_number=f"+1415555{start + i:04d}").status_code == 200


def test_the_list_is_a_laravel_paginator_newest_first(
    api_a, campaign_a, django_assert_max_num_queries
):
    enrol_many(api_a, campaign_a, 5)
    with django_assert_max_num_queries(5):
        response = api_a.get("leads", per_page=2, page=2)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "current_page",
        "data",
        "first_page_url",
        "from",
        "last_page",
        "last_page_url",
        "links",
        "next_page_url",
        "path",
        "per_page",
        "prev_page_url",
        "to",
        "total",
    ]
    assert (body["current_page"], body["per_page"], body["total"], body["last_page"]) == (
        2,
        2,
        5,
        3,
    )
    assert (body["from"], body["to"]) == (3, 4)
    assert [row["phone_number"] for row in body["data"]] == ["+14155550102", "+14155550101"]
    assert body["path"] == "http://testserver/api/user/leads"
    assert body["next_page_url"] == "http://testserver/api/user/leads?per_page=2&page=3"
    assert body["prev_page_url"] == "http://testserver/api/user/leads?per_page=2&page=1"
    assert body["last_page_url"].endswith("page=3")
    labels = [(link["label"], link["active"]) for link in body["links"]]
    assert labels == [
        ("&laquo; Previous", False),
        ("1", False),
        ("2", True),
        ("3", False),
        ("Next &raquo;", False),
    ]
    row = body["data"][0]
    assert set(row) == {
        "id",
        "campaign_id",
        "phone_number",
        "variables",
        "status",
        "created_at",
        "updated_at",
        "campaign",
    }


def test_the_list_defaults_to_fifteen_per_page_and_an_empty_page_past_the_end(api_a, campaign_a):
    enrol_many(api_a, campaign_a, 16)
    first = api_a.get("leads").json()
    assert (first["per_page"], len(first["data"]), first["last_page"]) == (15, 15, 2)
    past = api_a.get("leads", page=9).json()
    assert past["data"] == [] and past["from"] is None and past["next_page_url"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": 0},
        {"per_page": 101},
        {"page": 0},
        {"status": "contacted"},
        {"date_from": "30/06/2025"},
        {"date_from": "2025-07-02", "date_to": "2025-07-01"},
        {"phone_number": "abc"},
        {"phone_number": "+ ( )"},
    ],
)
def test_bad_list_parameters_are_422(api_a, params):
    response = api_a.get("leads", **params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) <= set(params)


def test_a_phone_filter_without_a_digit_is_422_instead_of_listing_everything(api_a, campaign_a):
    create(api_a, campaign_a, phone_number="+14155550123")
    response = api_a.get("leads", phone_number="abc")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == {"phone_number": ["Give at least one digit of the number."]}
    assert body["message"] == "Invalid phone number"


def test_the_list_filters_by_status_campaign_phone_and_creation_date(api_a, campaign_a, ws_a):
    other = make_campaign(ws_a, name="Other")
    with time_machine.travel("2025-06-30 11:53:20Z", tick=False):
        create(api_a, campaign_a, phone_number="+14155550123")
    with time_machine.travel("2025-07-02 09:00:00Z", tick=False):
        create(api_a, other, phone_number="+12125550188")
        create(api_a, campaign_a, phone_number="+12125550199")
    CampaignLead.objects.filter(phone="+12125550199").update(status="completed")

    def phones(**params):
        response = api_a.get("leads", **params)
        assert response.status_code == 200, response.content
        return sorted(row["phone_number"] for row in response.json()["data"])

    assert phones(status="completed") == ["+12125550199"]
    assert phones(campaign_id=other.pk) == ["+12125550188"]
    assert phones(phone_number="555018") == ["+12125550188"]
    assert phones(phone_number="+1 212") == ["+12125550188", "+12125550199"]
    assert phones(date_from="2025-06-30", date_to="2025-06-30") == ["+14155550123"]
    assert phones(date_from="2025-07-01") == ["+12125550188", "+12125550199"]
    assert phones(campaign_id=other.pk, phone_number="+1415") == []
    filtered = api_a.get("leads", status="completed", per_page=1).json()
    assert filtered["first_page_url"] == (
        "http://testserver/api/user/leads?status=completed&per_page=1&page=1"
    )


def test_the_total_stops_at_the_count_cap_while_next_pages_keep_coming(api_a, campaign_a, settings):
    settings.AUTOCALLS_LIST_COUNT_CAP = 3
    enrol_many(api_a, campaign_a, 5)
    body = api_a.get("leads", per_page=2, page=2).json()
    assert body["total"] == 3 and body["last_page"] == 2
    assert body["next_page_url"].endswith("page=3")
    last = api_a.get("leads", per_page=2, page=3).json()
    assert len(last["data"]) == 1 and last["next_page_url"] is None


@pytest.mark.parametrize("same_moment", [False, True])
def test_every_page_tells_the_same_total_and_the_rows_in_order(
    api_a, campaign_a, ws_a, same_moment
):
    other = make_campaign(ws_a, name="Other")
    if same_moment:  # ties on created_at: the id decides, in the count as in the order
        with time_machine.travel("2025-07-02 09:00:00Z", tick=False):
            enrol_many(api_a, campaign_a, 9)
            enrol_many(api_a, other, 2, start=500)
    else:
        enrol_many(api_a, campaign_a, 9)
        enrol_many(api_a, other, 2, start=500)
    CampaignLead.objects.filter(phone="+14155550104").update(status="completed")
    for params, total in [
        ({}, 11),
        ({"campaign_id": campaign_a.pk}, 9),
        ({"status": "created"}, 10),
    ]:
        every = [r["id"] for r in api_a.get("leads", per_page=100, **params).json()["data"]]
        assert len(every) == total
        for page in range(1, 7):
            body = api_a.get("leads", per_page=2, page=page, **params).json()
            assert (body["total"], body["last_page"]) == (total, (total + 1) // 2), (params, page)
            assert [r["id"] for r in body["data"]] == every[(page - 1) * 2 : page * 2]


def test_a_deep_page_runs_the_queries_of_the_first(api_a, campaign_a, django_assert_num_queries):
    enrol_many(api_a, campaign_a, 9)
    # Credential, the page's rows (a deep page skips ids inside the same query), the count.
    for page in (1, 3):
        with django_assert_num_queries(3):
            assert api_a.get("leads", per_page=2, page=page).json()["total"] == 9


def test_the_cap_holds_wherever_it_falls_in_a_page(api_a, campaign_a, settings):
    settings.AUTOCALLS_LIST_COUNT_CAP = 3
    enrol_many(api_a, campaign_a, 7)
    for page in range(1, 6):
        body = api_a.get("leads", per_page=2, page=page).json()
        assert (body["total"], body["last_page"]) == (3, 2), page
        assert (body["next_page_url"] is not None) == (page < 4)


def test_a_long_list_shows_a_laravel_page_window(api_a, campaign_a):
    enrol_many(api_a, campaign_a, 20)
    body = api_a.get("leads", per_page=1, page=10).json()
    labels = [link["label"] for link in body["links"]][1:-1]
    assert labels == ["1", "2", "...", "7", "8", "9", "10", "11", "12", "13", "...", "19", "20"]


# --- PUT /leads/{id} -------------------------------------------------------------------


@pytest.fixture
def entry(api_a, campaign_a) -> CampaignLead:
    create(api_a, campaign_a, phone_number="+14155550123", variables={"customer_name": "John Doe"})
    return CampaignLead.objects.get()


def test_an_update_changes_only_the_given_fields_and_merges_variables(
    api_a, entry, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        response = api_a("put", f"leads/{entry.pk}", {"variables": {"email": "j@example.com"}})
    assert response.status_code == 200
    assert response.json() == {"message": "Lead updated successfully"}
    entry.refresh_from_db()
    assert entry.variables == {"customer_name": "John Doe", "email": "j@example.com"}
    assert entry.phone == "+14155550123" and entry.status == "created"
    log = ActionLog.objects.get(event="campaign_lead_updated")
    assert log.lead == entry.lead
    assert log.input["changes"]["variables"]["to"]["email"] == "j@example.com"


def test_an_update_formats_the_phone_to_e164_and_follows_the_new_number(api_a, entry):
    response = api_a("put", f"leads/{entry.pk}", {"phone_number": "(212) 555-0188"})
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.phone == "+12125550188"
    assert entry.lead.phone_e164 == "+12125550188"
    assert entry.lead.first_name == "John"
    bad = api_a("put", f"leads/{entry.pk}", {"phone_number": "+1 000"})
    assert bad.status_code == 422
    assert bad.json()["message"] == "Invalid phone number"


def test_an_update_may_move_the_lead_to_another_campaign_of_the_workspace(
    api_a, entry, ws_a, campaign_b
):
    other = make_campaign(ws_a, name="Other")
    assert api_a("put", f"leads/{entry.pk}", {"campaign_id": other.pk}).status_code == 200
    entry.refresh_from_db()
    assert entry.campaign == other
    foreign = api_a("put", f"leads/{entry.pk}", {"campaign_id": campaign_b.pk})
    assert foreign.status_code == 404
    assert foreign.json()["message"] == "Campaign not found"


def test_moving_onto_a_number_already_in_the_campaign_is_a_duplicate(api_a, entry, campaign_a):
    create(api_a, campaign_a, phone_number="+12125550188")
    response = api_a("put", f"leads/{entry.pk}", {"phone_number": "+12125550188"})
    assert response.status_code == 422
    assert response.json()["code"] == "duplicate_lead"
    allowed = api_a(
        "put", f"leads/{entry.pk}", {"phone_number": "+12125550188", "allow_dupplicate": True}
    )
    assert allowed.status_code == 200


def test_moving_a_lead_checks_its_secondary_contacts_against_the_target_campaign(
    api_a, campaign_a, ws_a
):
    other = make_campaign(ws_a, name="Other")
    main = create(
        api_a,
        campaign_a,
        phone_number="+14155550123",
        secondary_contacts=[{"phone_number": "+14155550124"}],
    ).json()["data"]
    create(api_a, other, phone_number="(415) 555-0124")
    response = api_a("put", f"leads/{main['id']}", {"campaign_id": other.pk})
    assert response.status_code == 422
    assert response.json()["code"] == "duplicate_lead"
    assert response.json()["message"].startswith("+14155550124 is already in campaign “Other”")
    assert set(CampaignLead.objects.filter(campaign=other).values_list("phone", flat=True)) == {
        "+14155550124"
    }
    allowed = api_a(
        "put", f"leads/{main['id']}", {"campaign_id": other.pk, "allow_dupplicate": True}
    )
    assert allowed.status_code == 200
    assert CampaignLead.objects.filter(campaign=other, phone="+14155550124").count() == 2


def test_moving_a_lead_onto_an_opted_out_number_blacklists_it(api_a, entry, actor_a):
    lead_create(
        workspace=entry.workspace,
        actor=actor_a,
        data={"first_name": "No", "phone": "+12125550188", "opted_out": True},
    )
    assert api_a("put", f"leads/{entry.pk}", {"phone_number": "+12125550188"}).status_code == 200
    entry.refresh_from_db()
    assert (entry.status, entry.lead.first_name) == ("blacklisted", "No")
    log = ActionLog.objects.get(event="campaign_lead_updated")
    assert log.input["changes"]["status"] == {"from": "created", "to": "blacklisted"}


@pytest.mark.parametrize("status", ["scheduled", "processing", "rescheduled", "blacklisted", "x"])
def test_only_the_documented_statuses_may_be_set(api_a, entry, status):
    response = api_a("put", f"leads/{entry.pk}", {"status": status})
    assert response.status_code == 422
    assert "status" in response.json()["errors"]


def test_setting_created_queues_a_finished_number_again_with_every_attempt(api_a, entry, actor_a):
    entry.campaign.max_retries = 0
    entry.campaign.save()
    campaign_call_record(campaign_lead=entry, actor=actor_a, outcome="no_answer")
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("reached-max-retries", 1)
    assert api_a("put", f"leads/{entry.pk}", {"status": "created"}).status_code == 200
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == ("created", 0)
    assert entry.next_attempt_at <= timezone.now()


def test_a_blacklisted_number_cannot_be_queued_again(api_a, entry, actor_a):
    campaign_call_record(campaign_lead=entry, actor=actor_a, outcome="do_not_call")
    response = api_a("put", f"leads/{entry.pk}", {"status": "created"})
    assert response.status_code == 422
    assert "opted out" in response.json()["message"]
    entry.refresh_from_db()
    assert entry.status == "blacklisted"


# --- DELETE /leads/{id} ----------------------------------------------------------------


def test_deleting_a_lead_keeps_its_call_history_in_the_timeline(api_a, entry, actor_a):
    campaign_call_record(campaign_lead=entry, actor=actor_a, outcome="busy", duration_seconds=5)
    lead = entry.lead
    response = api_a("delete", f"leads/{entry.pk}")
    assert response.status_code == 200
    assert response.json() == {"message": "Lead deleted successfully"}
    assert not CampaignLead.objects.exists()
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert CallAttempt.objects.get().lead == lead
    events = list(ActionLog.objects.filter(lead=lead).values_list("event", flat=True))
    assert "call_recorded" in events and "campaign_lead_removed" in events
    again = api_a("delete", f"leads/{entry.pk}")
    assert again.status_code == 404
    assert again.json()["message"] == "Lead not found"


def test_deleting_a_main_lead_removes_its_secondary_contacts(api_a, campaign_a):
    create(api_a, campaign_a, **SEED_BODY)
    main = CampaignLead.objects.get(parent=None)
    assert api_a("delete", f"leads/{main.pk}").status_code == 200
    assert CampaignLead.objects.count() == 0
    assert Lead.objects.count() == 3


# --- tenancy ---------------------------------------------------------------------------


def test_another_workspace_sees_none_of_these_leads_and_gets_404_for_each(api_a, api_b, campaign_a):
    create(api_a, campaign_a, **SEED_BODY)
    listed = api_b.get("leads").json()
    assert listed["data"] == [] and listed["total"] == 0
    for entry in CampaignLead.objects.all():
        for method, path, body in (
            ("put", f"leads/{entry.pk}", {"status": "completed"}),
            ("delete", f"leads/{entry.pk}", None),
            ("post", f"leads/{entry.pk}/calls", {"outcome": "completed"}),
        ):
            response = api_b(method, path, body)
            assert response.status_code == 404, (method, path)
            assert response.json()["message"] == "Lead not found"
    assert not CampaignLead.objects.exclude(status="created").exists()
    assert CallAttempt.objects.count() == 0


def test_a_missing_and_a_foreign_lead_answer_the_same(api_a, api_b, entry):
    foreign = api_b("put", f"leads/{entry.pk}", {"status": "completed"})
    missing = api_b("put", "leads/999999", {"status": "completed"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_creating_through_autocalls_is_visible_to_the_canonical_model(api_a, campaign_a):
    create(api_a, campaign_a, phone_number="+14155550123", variables={"customer_name": "Ada"})
    lead = Lead.objects.get()
    assert lead.first_name == "Ada"
    assert lead.source == "api"
    assert lead.campaign_entries.get().campaign == campaign_a


def test_enrolment_time_is_due_immediately(api_a, campaign_a):
    with time_machine.travel("2025-06-30 11:53:20Z", tick=False):
        body = create(api_a, campaign_a, phone_number="+14155550123").json()["data"]
        assert body["created_at"] == "2025-06-30 11:53:20"
        entry = CampaignLead.objects.get()
        assert entry.next_attempt_at == timezone.now()
        assert entry.next_attempt_at - entry.created_at < timedelta(seconds=1)


def test_an_api_key_actor_is_used_for_enrolment(api_a, campaign_a):
    create(api_a, campaign_a, phone_number="+14155550123")
    log = ActionLog.objects.get()
    assert log.actor_label.startswith("API key A integration")


def test_an_update_that_changes_nothing_leaves_no_timeline_entry(api_a, entry):
    same = api_a("put", f"leads/{entry.pk}", {"phone_number": "4155550123", "variables": {}})
    assert same.status_code == 200
    assert not ActionLog.objects.filter(event="campaign_lead_updated").exists()
