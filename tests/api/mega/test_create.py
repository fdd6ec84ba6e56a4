"""POST /api/agents/crm/leads: create or merge one lead, as MEGA documents it."""

import math

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from leads.actors import Actor
from leads.models import ActionLog, Lead, Membership, Stage
from leads.services.leads import lead_create
from tests.api.mega.conftest import LEAD_KEYS, MEGA_TIME, Mega, error
from tests.concurrency import run_in_threads
from tests.conftest import make_member, make_rotation

SEED_EXAMPLE = {
    "contact_name": "Sam Seller",
    "contact_phone": "(206) 555-0123",
    "contact_email": "sam@example.com",
    "source_platform": "referral",
    "source_type": "form",
    "stage_slug": "new",
    "custom_fields": {"budget": "500000"},
}


def test_the_documented_example_creates_a_lead_in_the_documented_shape(
    mega_a, ws_a, pipeline_a, bob, django_assert_max_num_queries
):
    make_rotation(ws_a, [bob])
    # A fixed cost (auth, idempotency claim, merge lock and lookup, rotation, lead, two
    # timeline entries, outbox, savepoints), whatever the workspace holds.
    with django_assert_max_num_queries(34):
        response = mega_a.post("leads", SEED_EXAMPLE, **{"Idempotency-Key": "8f2c1e10-a001"})
    assert response.status_code == 201, response.content
    lead = response.json()["lead"]
    assert set(response.json()) == {"lead"}
    assert set(lead) == LEAD_KEYS
    stored = Lead.objects.get()
    assert lead["id"] == str(stored.uuid)
    assert lead["customer_id"] == str(ws_a.uuid)
    assert lead["contact_name"] == "Sam Seller"
    assert (stored.first_name, stored.last_name) == ("Sam", "Seller")
    assert lead["contact_phone"] == "+12065550123"
    assert lead["contact_email"] == "sam@example.com"
    assert (lead["source_platform"], lead["source_type"]) == ("referral", "form")
    assert lead["status"] == "active"
    stage = pipeline_a["new"]
    assert lead["current_stage"] == {
        "id": str(stage.uuid),
        "slug": "new",
        "name": "New",
        "color": "#2563eb",
    }
    assert lead["owner"] == {"id": str(bob.pk), "name": "Bob Agent", "role_name": "Agent"}
    assert lead["custom_fields"] == {"budget": "500000"}
    assert (lead["score"], lead["qualified"], lead["last_interaction_at"]) == (None, None, None)
    assert lead["interaction_count"] == 0
    assert MEGA_TIME.match(lead["created_at"]) and MEGA_TIME.match(lead["updated_at"])
    log = ActionLog.objects.get(lead=stored, event="lead_created")
    assert (log.type, log.request_path) == ("API_ACTIVITY", "/api/agents/crm/leads")


@pytest.mark.parametrize(
    "body",
    [{}, {"contact_name": "", "contact_phone": "  ", "contact_email": None}, {"stage_slug": "new"}],
)
def test_at_least_one_contact_field_is_required(mega_a, pipeline_a, body):
    response = mega_a.post("leads", body)
    assert response.status_code == 400
    assert error(response)["message"] == (
        "At least one of contact_name, contact_phone, or contact_email is required"
    )
    assert error(response)["type"] == "invalid_request_error"
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [("Mary Ann Smith", "Mary", "Ann Smith"), ("Cher", "Cher", ""), ("  Jo   Lee ", "Jo", "Lee")],
)
def test_contact_name_splits_at_the_first_space_and_reads_back_joined(mega_a, name, first, last):
    lead = mega_a.post("leads", {"contact_name": name}).json()["lead"]
    stored = Lead.objects.get()
    assert (stored.first_name, stored.last_name) == (first, last)
    assert lead["contact_name"] == f"{first} {last}".strip()


@pytest.mark.parametrize(
    "phone",
    [
        "(206) 555-0123",
        "206-555-0123",
        "206.555.0123",
        "+1 206 555 0123",
        "12065550123",
        "2065550123",
    ],
)
def test_phones_in_any_common_format_come_back_in_e164(mega_a, phone):
    assert mega_a.post("leads", {"contact_phone": phone}).json()["lead"]["contact_phone"] == (
        "+12065550123"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_phone": "12"}, "contact_phone"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_name": "A", "source_platform": "myspace"}, "source_platform"),
        ({"contact_name": "A", "source_type": "fax"}, "source_type"),
        ({"contact_name": "A", "stage_slug": "nope"}, "stage_slug"),
        ({"contact_name": "A", "custom_fields": {"nope": 1}}, "custom_fields"),
        ({"contact_name": "A", "custom_fields": {"beds": "three"}}, "custom_fields"),
        ({"contact_name": "A", "custom_fields": {"budget": {"min": 1}}}, "custom_fields"),
        ({"contact_name": "A", "custom_fields": ["budget"]}, "custom_fields"),
        ({"contact_name": "A" * 200}, "contact_name"),
        ({"contact_name": "A", "owner_id": "999999"}, "owner_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(mega_a, pipeline_a, body, field):
    response = mega_a.post("leads", body)
    assert response.status_code == 400, response.content
    assert field in error(response)["message"]
    assert field in error(response)["fields"]
    assert Lead.objects.count() == 0
    assert ActionLog.objects.count() == 0


def test_an_unknown_custom_field_is_named_in_the_error(mega_a, pipeline_a):
    response = mega_a.post("leads", {"contact_name": "A", "custom_fields": {"pets": "cat"}})
    assert "pets" in error(response)["message"]


def test_custom_fields_are_checked_against_their_type(mega_a, pipeline_a):
    body = {"contact_name": "A", "custom_fields": {"beds": 3, "financing": True, "budget": None}}
    response = mega_a.post("leads", body)
    assert response.status_code == 201
    assert response.json()["lead"]["custom_fields"] == {
        "beds": 3,
        "financing": True,
        "budget": None,
    }


def test_a_number_too_large_for_json_is_a_400_naming_the_field(mega_a, pipeline_a):
    # 1e400 is valid JSON syntax but parses to infinity, which no database column takes.
    response = mega_a.post("leads", '{"contact_name": "X", "custom_fields": {"beds": 1e400}}')
    assert response.status_code == 400, response.content
    assert "beds" in error(response)["message"]
    assert "custom_fields" in error(response)["fields"]
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_every_family_refuses_a_non_finite_custom_number(ws_a, pipeline_a, number):
    # The shared lead service checks it, whichever door the value came in by.
    with pytest.raises(ValidationError) as refused:
        lead_create(
            workspace=ws_a,
            actor=Actor.system(),
            data={"first_name": "X", "custom_fields": {"beds": number}},
        )
    assert "“beds” must be a finite number" in refused.value.message_dict["custom_fields"][0]
    assert Lead.objects.count() == 0


def test_a_lead_with_the_same_email_is_merged_not_duplicated(mega_a, ws_a, pipeline_a):
    first = mega_a.post(
        "leads",
        {
            "contact_name": "Jane Buyer",
            "contact_email": "jane@example.com",
            "contact_phone": "2065550100",
            "custom_fields": {"budget": "400000", "beds": 2},
        },
    ).json()["lead"]
    second = mega_a.post(
        "leads",
        {
            "contact_name": "Janet Buyer",
            "contact_email": "JANE@Example.com",
            "contact_phone": "",
            "stage_slug": "won",
            "custom_fields": {"beds": 3},
        },
    )
    assert second.status_code == 201
    merged = second.json()["lead"]
    assert merged["id"] == first["id"]
    assert Lead.objects.count() == 1
    assert merged["contact_name"] == "Janet Buyer"
    assert merged["contact_phone"] == "+12065550100"  # an empty value never blanks
    assert merged["custom_fields"] == {"budget": "400000", "beds": 3}
    assert merged["status"] == "won"
    log = ActionLog.objects.get(event="lead_merged")
    assert log.type == "MERGE"
    assert log.summary == "Merged an incoming lead (matched by email)"
    assert log.input["previous"]["first_name"] == "Jane"
    assert log.input["leadUpdates"]["first_name"] == "Janet"
    assert log.input["previous"]["custom_fields"] == {"budget": "400000", "beds": 2}
    assert log.input["leadUpdates"]["custom_fields"] == {"budget": "400000", "beds": 3}


def test_a_lead_with_the_same_last_ten_phone_digits_is_merged(mega_a):
    first = mega_a.post("leads", {"contact_name": "Pat", "contact_phone": "+1 (206) 555-0199"})
    second = mega_a.post("leads", {"contact_phone": "206.555.0199", "contact_email": "p@x.com"})
    assert second.json()["lead"]["id"] == first.json()["lead"]["id"]
    assert second.json()["lead"]["contact_email"] == "p@x.com"
    assert second.json()["lead"]["contact_name"] == "Pat"
    assert ActionLog.objects.get(event="lead_merged").summary.endswith("(matched by phone)")


def test_a_merged_name_replaces_the_whole_name(mega_a):
    alice = mega_a.post("leads", {"contact_name": "Alice Smith", "contact_email": "al@x.com"})
    bob = mega_a.post("leads", {"contact_name": "Bob", "contact_email": "al@x.com"})
    assert bob.json()["lead"]["id"] == alice.json()["lead"]["id"]
    assert bob.json()["lead"]["contact_name"] == "Bob"
    assert Lead.objects.values_list("first_name", "last_name").get() == ("Bob", "")
    log = ActionLog.objects.get(event="lead_merged")
    assert log.input["leadUpdates"] == {"first_name": "Bob", "last_name": ""}
    # No name in the request: the name is left alone.
    mega_a.post("leads", {"contact_email": "al@x.com", "contact_phone": "2065550111"})
    assert Lead.objects.get().full_name == "Bob"


def test_new_leads_go_through_the_rotation(mega_a, ws_a, bob):
    carl = make_member(ws_a, "carl@acme.test", Membership.Role.MANAGER, "Carl Manager")
    make_rotation(ws_a, [bob, carl])
    owners = [
        mega_a.post("leads", {"contact_email": f"r{i}@x.com"}).json()["lead"]["owner"]["name"]
        for i in range(3)
    ]
    assert owners == ["Bob Agent", "Carl Manager", "Bob Agent"]
    assert ActionLog.objects.filter(type="ASSIGNMENT").count() == 3


def test_no_rotation_means_no_owner(mega_a):
    assert mega_a.post("leads", {"contact_name": "Solo"}).json()["lead"]["owner"] is None


def test_owner_id_assigns_a_member_of_this_customer_only(mega_a, ws_a, bob, dave):
    lead = mega_a.post("leads", {"contact_name": "O", "owner_id": str(bob.pk)}).json()["lead"]
    assert lead["owner"]["id"] == str(bob.pk)
    foreign = mega_a.post("leads", {"contact_name": "F", "owner_id": str(dave.pk)})
    assert foreign.status_code == 400 and "owner_id" in error(foreign)["fields"]
    assert Lead.objects.count() == 1


def test_another_workspaces_stage_is_unknown_here(mega_a, ws_b):
    Stage.objects.create(workspace=ws_b, slug="theirs", name="Theirs")
    response = mega_a.post("leads", {"contact_name": "S", "stage_slug": "theirs"})
    assert response.status_code == 400 and "theirs" in error(response)["message"]


def test_merging_never_crosses_workspaces(mega_a, mega_b):
    a = mega_a.post("leads", {"contact_email": "same@x.com"}).json()["lead"]
    b = mega_b.post("leads", {"contact_email": "same@x.com"}).json()["lead"]
    assert a["id"] != b["id"] and b["customer_id"] != a["customer_id"]
    assert Lead.objects.count() == 2


def test_the_idempotency_key_replays_the_first_response(mega_a):
    body = {"contact_name": "Ida", "contact_email": "ida@x.com"}
    first = mega_a.post("leads", body, **{"Idempotency-Key": "k-1"})
    again = mega_a.post("leads", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    other = mega_a.post("leads", {"contact_name": "Other"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert error(other)["type"] == "api_error" and error(other)["code"] == 409
    assert Lead.objects.count() == 1


def test_writing_needs_the_write_scope(mega_with_scopes):
    reader = mega_with_scopes("leads:read")
    response = reader.post("leads", {"contact_name": "No"})
    assert response.status_code == 403
    assert error(response)["type"] == "authorization_error"
    assert Lead.objects.count() == 0


def test_another_customer_id_is_403_and_a_missing_one_401(client, key_a, ws_b):
    wrong = Mega(client, key_a, ws_b).post("leads", {"contact_name": "X"})
    assert wrong.status_code == 403 and error(wrong)["type"] == "authorization_error"
    missing = client.post(
        "/api/agents/crm/leads",
        data={"contact_name": "X"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key_a}"},
    )
    assert missing.status_code == 401 and error(missing)["type"] == "authentication_error"
    assert Lead.objects.count() == 0


def test_responses_carry_rate_limit_headers(mega_a):
    response = mega_a.post("leads", {"contact_name": "R"})
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(response.headers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_creates_with_one_email_make_one_lead(ws_a, key_a, bob):
    from django.test import Client

    assert connection.vendor == "postgresql"
    make_rotation(ws_a, [bob])

    def push(n: int):
        body = {"contact_name": f"Racer {n}", "contact_email": "race@example.com"}
        response = Mega(Client(), key_a, ws_a).post("leads", body)
        return response.status_code, response.json()["lead"]["id"]

    results, errors = run_in_threads(50, push)
    assert errors == []
    assert {status for status, _ in results} == {201}
    assert len({lead_id for _, lead_id in results}) == 1
    assert Lead.objects.filter(workspace=ws_a).count() == 1
    assert ActionLog.objects.filter(event="lead_created").count() == 1
    assert ActionLog.objects.filter(event="lead_merged").count() == 49
