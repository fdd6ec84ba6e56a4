"""POST/PUT /api/v1/leads and GET /api/v1/leads/{leadId}: the seeds' examples verbatim, then
every documented semantic."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checklists.models import ChecklistItem, LeadChecklistItem
from leads.actors import Actor
from leads.models import ActionLog, Lead, Tag
from leads.services.api_keys import api_key_create
from leads.services.leads import lead_create
from leads.services.messages import draft_create, followup_schedule
from tests.api.omni.conftest import make_checklist, omni

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# Seed 000, the Python example, verbatim.
SEED_000_PAYLOAD = {
    "firstName": "John",
    "lastName": "Doe",
    "email": "john@example.com",
    "phoneNumber": "6782319992",
    "businessName": "Pacific Coast Container Haulers",
    "assigneeType": "manual",
    "emailVerified": True,
    "checklistItems": [
        {
            "code": "business_name",
            "value": "Pacific Coast Container Haulers",
            "status": "COMPLETED",
        },
        {"code": "tax_id", "value": "12-3456789", "status": "COMPLETED"},
    ],
}


def seed_001_payload(lead_id: str) -> dict:
    """Seed 001's update body, with the id of the lead the test created."""
    return {
        "leadId": lead_id,
        "lastName": "Francisco",
        "businessName": "OmniAI Technology LLC",
        "checklistItems": [
            {"code": "legal_name", "value": "OmniAI Technology LLC", "status": "COMPLETED"},
        ],
    }


LEAD_KEYS = {
    "id",
    "activitySummary",
    "assigneeType",
    "businessName",
    "createdAt",
    "deletedAt",
    "didOptOut",
    "optOutAt",
    "email",
    "emailVerifiedAt",
    "externalLeadId",
    "externalPortalLink",
    "firstName",
    "lastName",
    "phoneNumber",
    "phoneVerifiedAt",
    "source",
    "updatedAt",
    "website",
    "timezone",
    "middleName",
    "tags",
    "status",
}
BUNDLE_KEYS = {
    "success",
    "lead",
    "checklistItems",
    "actionLogs",
    "matchingLeads",
    "lastAction",
    "nextFollowUp",
    "nextDraft",
}


def create(client, key, body=None, **headers):
    return omni(client, "post", "leads", key, body or SEED_000_PAYLOAD, **headers)


def items_by_code(body: dict) -> dict:
    return {i["checklistItem"]["code"]: i for g in body["checklistItems"] for i in g["items"]}


# --- the seeds -----------------------------------------------------------------------


def test_the_seed_000_example_creates_the_documented_lead(client, ws_a, key_a, checklist_a):
    response = create(client, key_a)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == BUNDLE_KEYS and body["success"] is True
    lead = body["lead"]
    assert set(lead) >= LEAD_KEYS
    uuid.UUID(lead["id"])
    assert lead["firstName"] == "John" and lead["lastName"] == "Doe"
    assert lead["email"] == "john@example.com"
    assert lead["phoneNumber"] == "+16782319992"
    assert lead["businessName"] == "Pacific Coast Container Haulers"
    assert lead["assigneeType"] == "HUMAN_AGENT"
    assert lead["source"] == "api"
    assert lead["timezone"] == "America/New_York"
    assert lead["status"] == "IN_PROGRESS"
    assert lead["didOptOut"] is False and lead["optOutAt"] is None
    for empty in ("activitySummary", "deletedAt", "externalLeadId", "externalPortalLink"):
        assert lead[empty] is None
    for stamp in ("createdAt", "updatedAt", "emailVerifiedAt"):
        assert ISO_MS.match(lead[stamp]), lead[stamp]
    assert lead["phoneVerifiedAt"] is None and lead["website"] is None

    groups = body["checklistItems"]
    assert [g["name"] for g in groups] == ["Business Information", "Financials"]
    first = groups[0]
    assert set(first) == {"id", "name", "conditions", "items"} and first["conditions"] is None
    business = first["items"][0]
    assert business["value"] == "Pacific Coast Container Haulers"
    assert business["status"] == "COMPLETED"
    assert business["itemOverride"] is None
    assert business["checklistItem"]["code"] == "business_name"
    assert business["checklistItem"]["label"] == "Business Name"
    assert business["checklistItem"]["fieldType"] == "TEXT"
    assert business["checklistItem"]["isRequired"] is True
    assert business["checklistItemId"] == business["checklistItem"]["id"]
    assert items_by_code(body)["tax_id"]["status"] == "COMPLETED"
    assert items_by_code(body)["legal_name"]["status"] == "TODO"

    assert body["matchingLeads"] == []
    assert body["lastAction"] is None and body["nextFollowUp"] is None
    assert body["nextDraft"] is None
    [log] = [entry for entry in body["actionLogs"] if entry["type"] == "API_ACTIVITY"]
    assert (log["status"], log["summary"]) == ("COMPLETED", "Lead created")
    assert log["input"]["eventType"] == "lead_created"
    assert log["input"]["source"] == "api"
    assert log["input"]["leadUpdates"]["businessName"] == "Pacific Coast Container Haulers"
    assert log["input"]["leadUpdates"]["phoneNumber"] == "+16782319992"
    assert log["input"]["checklistUpdates"] == [
        {
            "code": "business_name",
            "value": "Pacific Coast Container Haulers",
            "status": "COMPLETED",
            "success": True,
        },
        {"code": "tax_id", "value": "12-3456789", "status": "COMPLETED", "success": True},
    ]
    stored = Lead.objects.get(uuid=lead["id"])
    assert stored.workspace == ws_a and stored.email_verified_at is not None


def test_the_seed_001_example_changes_only_what_it_names_and_logs_it_once(
    client, ws_a, key_a, checklist_a
):
    lead_id = create(client, key_a).json()["lead"]["id"]

    response = omni(client, "put", "leads", key_a, seed_001_payload(lead_id))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == BUNDLE_KEYS
    lead = body["lead"]
    assert lead["id"] == lead_id
    assert (lead["firstName"], lead["lastName"]) == ("John", "Francisco")
    assert lead["businessName"] == "OmniAI Technology LLC"
    assert lead["email"] == "john@example.com" and lead["phoneNumber"] == "+16782319992"
    assert lead["emailVerifiedAt"] is not None
    values = items_by_code(body)
    assert values["business_name"]["value"] == "Pacific Coast Container Haulers"
    assert values["legal_name"]["value"] == "OmniAI Technology LLC"
    assert values["legal_name"]["status"] == "COMPLETED"
    newest = body["actionLogs"][0]
    assert newest["type"] == "API_ACTIVITY" and newest["summary"] == "Lead updated"
    assert newest["input"] == {
        "eventType": "lead_updated",
        "source": "api",
        "leadUpdates": {"lastName": "Francisco", "businessName": "OmniAI Technology LLC"},
        "checklistUpdates": [
            {
                "code": "legal_name",
                "value": "OmniAI Technology LLC",
                "status": "COMPLETED",
                "success": True,
            }
        ],
    }
    assert ISO_MS.match(newest["createdAt"])
    logs = ActionLog.objects.filter(lead__uuid=lead_id, type="API_ACTIVITY")
    assert sorted(logs.values_list("summary", flat=True)) == ["Lead created", "Lead updated"]


def test_get_returns_the_lead_with_its_status_documents_and_details(
    client, ws_a, key_a, checklist_a
):
    lead_id = create(client, key_a).json()["lead"]["id"]

    response = omni(client, "get", f"leads/{lead_id}", key_a)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == BUNDLE_KEYS | {"status", "documents"}
    assert body["status"] == "IN_PROGRESS" and body["documents"] == []
    assert body["lead"]["isTest"] is False and body["lead"]["submittedAt"] is None
    assert body["lead"]["workspaceId"] == str(ws_a.uuid)
    assert body["lead"]["id"] == lead_id


# --- lead fields ----------------------------------------------------------------------


def test_first_name_is_required_on_create_and_nothing_is_written(client, ws_a, key_a):
    response = create(client, key_a, {"lastName": "Doe"})

    assert response.status_code == 400
    error = response.json()
    assert error["success"] is False
    assert error["error"]["code"] == "validation_error"
    assert "firstName" in error["error"]["details"]
    assert Lead.objects.count() == 0 and ActionLog.objects.count() == 0


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("agent", "AI_AGENT"), ("manual", "HUMAN_AGENT"), ("AGENT", "AI_AGENT")],
)
def test_assignee_type_agent_is_ai_and_manual_is_human(client, ws_a, key_a, sent, stored):
    response = create(client, key_a, {"firstName": "A", "assigneeType": sent})
    assert response.json()["lead"]["assigneeType"] == stored
    assert Lead.objects.get().assignee_type == stored


def test_an_unknown_assignee_type_is_refused(client, ws_a, key_a):
    response = create(client, key_a, {"firstName": "A", "assigneeType": "robot"})
    assert response.status_code == 400
    assert "assigneeType" in response.json()["error"]["details"]


def test_did_opt_out_true_sets_opt_out_at_and_false_clears_it(client, ws_a, key_a):
    body = create(client, key_a, {"firstName": "O", "didOptOut": True}).json()
    assert body["lead"]["didOptOut"] is True and ISO_MS.match(body["lead"]["optOutAt"])
    assert body["lead"]["status"] == "OPTED_OUT"

    cleared = omni(
        client, "put", "leads", key_a, {"leadId": body["lead"]["id"], "didOptOut": False}
    ).json()

    assert cleared["lead"]["didOptOut"] is False and cleared["lead"]["optOutAt"] is None
    assert cleared["lead"]["status"] == "IN_PROGRESS"
    assert cleared["actionLogs"][0]["input"]["leadUpdates"]["didOptOut"] is False


def test_lead_updates_show_opting_out_and_a_cleared_time_zone_in_omni_terms(client, key_a):
    body = {"firstName": "O", "didOptOut": True, "timezone": "Europe/Berlin"}
    created = create(client, key_a, body).json()
    updates = created["actionLogs"][0]["input"]["leadUpdates"]
    assert updates["didOptOut"] is True and ISO_MS.match(updates["optOutAt"])
    assert "optOutChannel" not in updates  # how Leadbook files an opt-out is its own affair

    lead_id = created["lead"]["id"]
    cleared = omni(client, "put", "leads", key_a, {"leadId": lead_id, "timezone": ""}).json()

    assert cleared["lead"]["timezone"] is None
    assert cleared["actionLogs"][0]["input"]["leadUpdates"] == {"timezone": None}


def test_changing_the_status_of_an_opted_out_lead_needs_an_explicit_opt_in(client, key_a):
    lead_id = create(client, key_a, {"firstName": "O", "didOptOut": True}).json()["lead"]["id"]

    refused = put_status(client, key_a, lead_id, "IN_PROGRESS")
    allowed = put_status(client, key_a, lead_id, "IN_PROGRESS", didOptOut=False)

    assert refused.status_code == 400
    assert "Opt them back in explicitly" in refused.json()["error"]["details"]["status"][0]
    assert allowed.status_code == 200 and allowed.json()["lead"]["status"] == "IN_PROGRESS"


def test_a_ten_digit_number_gets_plus_one_and_a_time_zone_unless_one_is_given(client, ws_a, key_a):
    inferred = create(client, key_a, {"firstName": "T", "phoneNumber": "(415) 555-2671"})
    given = create(
        client,
        key_a,
        {"firstName": "T", "phoneNumber": "415 555 2672", "timezone": "Europe/Berlin"},
    )
    assert inferred.json()["lead"]["phoneNumber"] == "+14155552671"
    assert inferred.json()["lead"]["timezone"] == "America/Los_Angeles"
    assert given.json()["lead"]["timezone"] == "Europe/Berlin"


def test_an_invalid_phone_or_email_is_a_400_naming_the_field(client, ws_a, key_a):
    phone = create(client, key_a, {"firstName": "P", "phoneNumber": "12"})
    email = create(client, key_a, {"firstName": "P", "email": "not-an-email"})
    zone = create(client, key_a, {"firstName": "P", "timezone": "Mars/Olympus"})
    assert phone.status_code == email.status_code == zone.status_code == 400
    assert "phoneNumber" in phone.json()["error"]["details"]
    assert "email" in email.json()["error"]["details"]
    assert "timezone" in zone.json()["error"]["details"]
    assert Lead.objects.count() == 0


def test_update_lists_only_the_fields_whose_value_changed(client, ws_a, key_a):
    lead_id = create(client, key_a, {"firstName": "Ann", "lastName": "Lee"}).json()["lead"]["id"]

    body = omni(
        client,
        "put",
        "leads",
        key_a,
        {"leadId": lead_id, "firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"},
    ).json()

    assert body["actionLogs"][0]["input"]["leadUpdates"] == {"email": "ann@example.com"}
    assert body["actionLogs"][0]["input"]["checklistUpdates"] == []


def test_email_verified_sets_the_verification_time(client, ws_a, key_a):
    lead_id = create(client, key_a, {"firstName": "V"}).json()["lead"]["id"]
    body = omni(client, "put", "leads", key_a, {"leadId": lead_id, "emailVerified": True}).json()
    assert ISO_MS.match(body["lead"]["emailVerifiedAt"])


def test_tags_match_case_insensitively_and_an_empty_list_clears_them(client, ws_a, key_a):
    Tag.objects.create(workspace=ws_a, name="VIP")
    body = create(client, key_a, {"firstName": "T", "tags": ["vip", "Hot", "HOT"]}).json()
    assert body["lead"]["tags"] == ["Hot", "VIP"]
    assert Tag.objects.filter(workspace=ws_a).count() == 2

    cleared = omni(client, "put", "leads", key_a, {"leadId": body["lead"]["id"], "tags": []})

    assert cleared.json()["lead"]["tags"] == []
    assert Lead.objects.get().tags.count() == 0


def test_fields_the_caller_may_not_set_are_ignored(client, ws_a, ws_b, key_a):
    body = create(
        client,
        key_a,
        {
            "firstName": "M",
            "id": str(uuid.uuid4()),
            "workspaceId": str(ws_b.uuid),
            "source": "salesforce",
            "status": "COMPLETED",
            "completedAt": "2020-01-01T00:00:00Z",
        },
    ).json()
    lead = Lead.objects.get()
    assert body["lead"]["id"] == str(lead.uuid) != ""
    assert lead.workspace == ws_a and lead.source == "api"
    assert lead.status == Lead.Status.IN_PROGRESS and lead.completed_at is None


def test_a_malformed_body_is_a_400_in_the_omni_envelope(client, ws_a, key_a):
    for body in (
        {"firstName": ["John"]},
        {"firstName": "X", "tags": "vip"},
        {"firstName": "X", "checklistItems": {"code": "x"}},
        {"firstName": "X", "didOptOut": "maybe"},
    ):
        response = create(client, key_a, body)
        assert response.status_code == 400, body
        assert response.json()["success"] is False
    assert Lead.objects.count() == 0


def test_update_without_lead_id_is_400_and_an_unknown_id_is_404(client, ws_a, key_a):
    missing = omni(client, "put", "leads", key_a, {"lastName": "X"})
    assert missing.status_code == 400
    assert "leadId" in missing.json()["error"]["details"]
    for lead_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = omni(client, "put", "leads", key_a, {"leadId": lead_id, "lastName": "X"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_replayed_create_with_the_same_idempotency_key_writes_once(client, ws_a, key_a):
    first = create(client, key_a, {"firstName": "Idem"}, **{"Idempotency-Key": "k1"})
    again = create(client, key_a, {"firstName": "Idem"}, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert Lead.objects.count() == 1


# --- status ----------------------------------------------------------------------------


def put_status(client, key, lead_id, status, **extra):
    return omni(client, "put", "leads", key, {"leadId": lead_id, "status": status, **extra})


def test_completed_skips_unfinished_required_items_and_in_progress_undoes_it(
    client, ws_a, key_a, checklist_a
):
    lead_id = create(
        client,
        key_a,
        {
            "firstName": "S",
            "checklistItems": [
                {"code": "business_name", "value": "Acme"},
                {"code": "tax_id", "value": "12-3456789", "status": "NEEDS_REVIEW"},
                {"code": "monthly_revenue", "value": "lots"},
            ],
        },
    ).json()["lead"]["id"]

    done = put_status(client, key_a, lead_id, "COMPLETED").json()

    values = items_by_code(done)
    assert done["lead"]["status"] == "COMPLETED"
    assert values["legal_name"]["status"] == "SKIPPED"
    assert values["monthly_revenue"]["status"] == "SKIPPED"
    assert values["bank_statements"]["status"] == "SKIPPED"
    assert values["business_name"]["status"] == "COMPLETED"
    assert values["tax_id"]["status"] == "NEEDS_REVIEW"
    assert values["business_email"]["status"] == "TODO"  # not required: left alone
    assert sorted(done["actionLogs"][0]["input"]["autoSkipped"]) == [
        "bank_statements",
        "legal_name",
        "monthly_revenue",
    ]

    reopened = put_status(client, key_a, lead_id, "IN_PROGRESS").json()

    values = items_by_code(reopened)
    assert reopened["lead"]["status"] == "IN_PROGRESS"
    assert values["legal_name"]["status"] == "TODO"
    assert values["bank_statements"]["status"] == "TODO"
    assert values["monthly_revenue"]["status"] == "INVALID"
    assert values["monthly_revenue"]["validationError"] == "Must be a number."
    assert values["business_name"]["status"] == "COMPLETED"
    assert not LeadChecklistItem.objects.filter(auto_skipped=True).exists()


def test_a_skip_set_by_hand_is_not_undone_by_reopening(client, ws_a, key_a, checklist_a):
    lead_id = create(
        client,
        key_a,
        {"firstName": "S", "checklistItems": [{"code": "tax_id", "status": "SKIPPED"}]},
    ).json()["lead"]["id"]
    put_status(client, key_a, lead_id, "COMPLETED")
    reopened = put_status(client, key_a, lead_id, "IN_PROGRESS").json()
    assert items_by_code(reopened)["tax_id"]["status"] == "SKIPPED"
    assert items_by_code(reopened)["legal_name"]["status"] == "TODO"


def test_not_interested_cancels_pending_follow_ups_only(client, ws_a, key_a, actor_a):
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "N", "email": "n@example.com"}
    ).lead
    follow_up = followup_schedule(
        lead=lead,
        actor=actor_a,
        channel="EMAIL",
        body="Checking in",
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    draft = draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="Draft")

    body = put_status(client, key_a, str(lead.uuid), "NOT_INTERESTED").json()

    follow_up.refresh_from_db()
    draft.refresh_from_db()
    assert body["lead"]["status"] == "NOT_INTERESTED"
    assert follow_up.status == "CANCELLED" and draft.status == "AWAITING_APPROVAL"
    assert body["nextFollowUp"] is None and body["nextDraft"]["id"] == str(draft.uuid)


def test_opted_out_cancels_pending_and_awaiting_approval_messages(client, ws_a, key_a, actor_a):
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "N", "email": "n@example.com"}
    ).lead
    follow_up = followup_schedule(
        lead=lead,
        actor=actor_a,
        channel="EMAIL",
        body="Checking in",
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    draft = draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="Draft")

    body = put_status(client, key_a, str(lead.uuid), "OPTED_OUT").json()

    assert body["lead"]["didOptOut"] is True and body["lead"]["status"] == "OPTED_OUT"
    assert set(ActionLog.objects.messages().values_list("status", flat=True)) == {"CANCELLED"}
    assert body["nextFollowUp"] is None and body["nextDraft"] is None
    follow_up.refresh_from_db()
    draft.refresh_from_db()
    assert follow_up.error == draft.error == "Lead opted out"


def test_review_is_not_settable(client, ws_a, key_a):
    lead_id = create(client, key_a, {"firstName": "R"}).json()["lead"]["id"]
    response = put_status(client, key_a, lead_id, "REVIEW")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]
    unknown = put_status(client, key_a, lead_id, "DONE")
    assert unknown.status_code == 400


def test_did_opt_out_contradicting_status_is_refused_with_nothing_written(
    client, ws_a, key_a, checklist_a
):
    lead_id = create(client, key_a, {"firstName": "C"}).json()["lead"]["id"]
    before = ActionLog.objects.count()
    for status, opted_out in (("OPTED_OUT", False), ("COMPLETED", True)):
        response = put_status(
            client,
            key_a,
            lead_id,
            status,
            didOptOut=opted_out,
            checklistItems=[{"code": "tax_id", "value": "12-3456789"}],
        )
        assert response.status_code == 400
        assert "status" in response.json()["error"]["details"]
    lead = Lead.objects.get()
    assert lead.status == "in_progress" and lead.opted_out_at is None
    assert ActionLog.objects.count() == before
    assert not LeadChecklistItem.objects.exists()


# --- checklist updates -------------------------------------------------------------------


def test_an_unknown_code_rejects_the_whole_request_and_writes_nothing(
    client, ws_a, key_a, checklist_a
):
    body = {
        "firstName": "U",
        "checklistItems": [
            {"code": "business_name", "value": "Acme"},
            {"code": "no_such_code", "value": "x"},
        ],
    }
    response = create(client, key_a, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert "no_such_code" in error["message"]
    assert "checklistItems" in error["details"]
    assert not Lead.objects.exists() and not LeadChecklistItem.objects.exists()
    assert not ActionLog.objects.exists()

    lead_id = create(client, key_a, {"firstName": "U"}).json()["lead"]["id"]
    update = omni(client, "put", "leads", key_a, {"leadId": lead_id, "lastName": "Z", **body})
    assert update.status_code == 400
    assert Lead.objects.get().last_name == ""
    assert not LeadChecklistItem.objects.exists()


def test_a_status_outside_the_enum_rejects_the_request(client, ws_a, key_a, checklist_a):
    response = create(
        client,
        key_a,
        {"firstName": "S", "checklistItems": [{"code": "tax_id", "status": "DONE"}]},
    )
    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_a_value_failing_validation_is_stored_invalid_and_reported(
    client, ws_a, key_a, checklist_a
):
    ChecklistItem.objects.filter(code="tax_id").update(
        field_type="EIN", validation_rules={"pattern": "^9", "errorMessage": "Must start with 9."}
    )
    body = create(
        client,
        key_a,
        {
            "firstName": "V",
            "checklistItems": [
                {"code": "tax_id", "value": "12-3456789", "status": "COMPLETED"},
                {"code": "business_email", "value": "nope"},
                {"code": "monthly_revenue", "value": "25,000"},
            ],
        },
    ).json()

    values = items_by_code(body)
    assert values["tax_id"]["status"] == "INVALID"
    assert values["tax_id"]["value"] == "12-3456789"
    assert values["tax_id"]["validationError"] == "Must start with 9."
    assert values["business_email"]["status"] == "INVALID"
    assert values["monthly_revenue"] == values["monthly_revenue"] | {
        "value": 25000,
        "status": "COMPLETED",
        "validationError": None,
    }
    updates = body["actionLogs"][0]["input"]["checklistUpdates"]
    assert updates[0] == {
        "code": "tax_id",
        "value": "12-3456789",
        "status": "INVALID",
        "success": False,
        "error": "Must start with 9.",
    }
    assert updates[1]["success"] is False and updates[1]["error"]
    assert updates[2]["success"] is True


def test_the_full_checklist_is_returned_with_untouched_items_as_todo(
    client, ws_a, key_a, checklist_a
):
    body = create(client, key_a, {"firstName": "F"}).json()
    entries = [i for g in body["checklistItems"] for i in g["items"]]
    assert len(entries) == 6
    assert {e["status"] for e in entries} == {"TODO"}
    assert all(e["id"] is None and e["value"] is None for e in entries)
    expected = {
        "id",
        "checklistItemId",
        "value",
        "alternateValues",
        "status",
        "itemOverride",
        "validationError",
        "checklistItem",
        "documents",
    }
    assert all(expected <= set(e) for e in entries)
    assert {
        "id",
        "code",
        "label",
        "fieldType",
        "isRequired",
        "conditions",
        "validationRules",
    } <= set(entries[0]["checklistItem"])


def test_a_status_without_a_value_changes_only_the_status(client, ws_a, key_a, checklist_a):
    lead_id = create(
        client,
        key_a,
        {"firstName": "S", "checklistItems": [{"code": "business_name", "value": "Acme"}]},
    ).json()["lead"]["id"]
    body = omni(
        client,
        "put",
        "leads",
        key_a,
        {
            "leadId": lead_id,
            "checklistItems": [{"code": "business_name", "status": "NEEDS_REVIEW"}],
        },
    ).json()
    entry = items_by_code(body)["business_name"]
    assert (entry["value"], entry["status"]) == ("Acme", "NEEDS_REVIEW")
    assert body["actionLogs"][0]["input"]["leadUpdates"] == {}


def test_a_group_whose_condition_fails_is_not_on_the_lead_checklist(client, ws_a, key_a):
    make_checklist(
        ws_a,
        [
            (
                "Basics",
                [
                    (
                        "entity_type",
                        "Entity type",
                        "SELECT",
                        True,
                        {"config": {"options": ["LLC", "SOLE"]}},
                    )
                ],
                None,
            ),
            (
                "LLC documents",
                [("operating_agreement", "Operating agreement", "FILE", True, {})],
                {"properties": {"entity_type": {"const": "LLC"}}, "required": ["entity_type"]},
            ),
        ],
    )
    sole = create(
        client,
        key_a,
        {"firstName": "S", "checklistItems": [{"code": "entity_type", "value": "SOLE"}]},
    ).json()
    llc = create(
        client,
        key_a,
        {"firstName": "L", "checklistItems": [{"code": "entity_type", "value": "LLC"}]},
    ).json()
    assert [g["name"] for g in sole["checklistItems"]] == ["Basics"]
    assert [g["name"] for g in llc["checklistItems"]] == ["Basics", "LLC documents"]
    assert Lead.objects.get(uuid=sole["lead"]["id"]).completed_at is not None
    assert Lead.objects.get(uuid=llc["lead"]["id"]).completed_at is None


# --- matching leads, timeline, messages ----------------------------------------------------


def test_matching_leads_share_the_phone_or_email_newest_first_without_test_leads(
    client, ws_a, ws_b, key_a, actor_a
):
    def make(**data):
        return lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "M", **data}).lead

    by_phone = make(phone="+1 678 231 9992")
    by_email = make(email="JOHN@example.com")
    make(email="john@example.com", is_test=True)
    make(email="someone@else.com")
    lead_create(
        workspace=ws_b, actor=Actor.system(), data={"first_name": "B", "email": "john@example.com"}
    )

    body = create(client, key_a, {**SEED_000_PAYLOAD, "checklistItems": []}).json()

    assert [m["id"] for m in body["matchingLeads"]] == [str(by_email.uuid), str(by_phone.uuid)]
    assert set(body["matchingLeads"][0]) >= LEAD_KEYS


def test_action_logs_are_newest_first_and_at_most_a_hundred(client, ws_a, key_a, actor_a):
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "Busy"}).lead
    now = timezone.now()
    ActionLog.objects.bulk_create(
        ActionLog(
            workspace=ws_a,
            lead=lead,
            type="SYSTEM_NOTE",
            summary=f"note {n}",
            created_at=now - timedelta(minutes=200 - n),
        )
        for n in range(150)
    )
    body = omni(client, "get", f"leads/{lead.uuid}", key_a).json()
    summaries = [log["summary"] for log in body["actionLogs"]]
    assert len(summaries) == 100
    assert summaries[0] == "Lead created" and summaries[1] == "note 149"
    history = omni(client, "get", f"leads/{lead.uuid}/action-logs", key_a).json()
    assert len(history) == 151 and history[-1]["summary"] == "note 0"


def test_last_action_next_follow_up_and_next_draft_come_from_the_messages(
    client, ws_a, key_a, actor_a
):
    lead = lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "Msg", "email": "m@example.com", "phone": "6782319992"},
    ).lead
    now = timezone.now()
    later = followup_schedule(
        lead=lead, actor=actor_a, channel="SMS", body="later", scheduled_at=now + timedelta(days=2)
    )
    sooner = followup_schedule(
        lead=lead, actor=actor_a, channel="EMAIL", body="soon", scheduled_at=now + timedelta(days=1)
    )
    draft = draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="Draft", subject="Hi")
    sent = followup_schedule(
        lead=lead, actor=actor_a, channel="EMAIL", body="sent", scheduled_at=now
    )
    sent.status, sent.completed_at = "COMPLETED", now
    sent.save()

    body = omni(client, "get", f"leads/{lead.uuid}", key_a).json()

    assert body["lastAction"]["id"] == str(sent.uuid)
    assert body["nextFollowUp"]["id"] == str(sooner.uuid) != str(later.uuid)
    assert body["nextFollowUp"]["type"] == "FOLLOW_UP_MESSAGE"
    assert ISO_MS.match(body["nextFollowUp"]["scheduledAt"])
    assert body["nextDraft"]["id"] == str(draft.uuid)
    assert body["nextDraft"]["status"] == "AWAITING_APPROVAL"
    assert body["nextDraft"]["messages"] == [
        {
            "id": str(draft.uuid),
            "channel": "EMAIL",
            "direction": "OUTBOUND",
            "subject": "Hi",
            "body": "Draft",
            "documents": [],
        }
    ]


# --- query budget, tenancy, scopes ------------------------------------------------------


def many_items(workspace, count: int) -> list[str]:
    rows = [(f"item_{n}", f"Item {n}", "TEXT", True, {}) for n in range(count)]
    make_checklist(workspace, [("Many", rows, None)])
    return [r[0] for r in rows]


def queries_for(client, key, codes, *, lead_id=None) -> tuple[int, int]:
    updates = [{"code": c, "value": f"v-{c}"} for c in codes]
    with CaptureQueriesContext(connection) as created:
        response = create(
            client, key, {"firstName": "Q", "phoneNumber": "6782319992", "checklistItems": updates}
        )
    assert response.status_code == 201
    lead_id = response.json()["lead"]["id"]
    updates = [{"code": c, "value": f"w-{c}", "status": "NEEDS_REVIEW"} for c in codes]
    with CaptureQueriesContext(connection) as updated:
        response = omni(
            client,
            "put",
            "leads",
            key,
            {"leadId": lead_id, "lastName": "R", "checklistItems": updates},
        )
    assert response.status_code == 200
    return len(created), len(updated)


def test_create_and_update_queries_do_not_grow_with_checklist_items_or_leads(
    client, ws_a, key_a, actor_a
):
    def matching_leads(count: int) -> None:
        for n in range(count):
            lead_create(
                workspace=ws_a, actor=actor_a, data={"first_name": f"L{n}", "phone": "6782319992"}
            )

    codes = many_items(ws_a, 40)
    create(client, key_a, {"firstName": "Warm-up"})  # the key's first use records last_used_at
    matching_leads(1)
    small = queries_for(client, key_a, codes[:2])
    matching_leads(20)
    large = queries_for(client, key_a, codes[:-1])  # one left: neither lead completes
    assert small == large


def test_create_update_and_get_stay_within_their_query_budget(
    client, ws_a, key_a, checklist_a, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40):
        lead_id = create(client, key_a).json()["lead"]["id"]
    with django_assert_max_num_queries(40):
        omni(client, "put", "leads", key_a, seed_001_payload(lead_id))
    with django_assert_max_num_queries(20):
        omni(client, "get", f"leads/{lead_id}", key_a)


ENDPOINTS = [
    ("get", "leads/{id}", None),
    ("get", "leads/{id}/checklist", None),
    ("get", "leads/{id}/documents", None),
    ("get", "leads/{id}/action-logs", None),
    ("post", "leads/{id}/checklist-items", {"label": "Utility bill", "fieldType": "FILE"}),
    ("put", "leads", {"leadId": "{id}", "lastName": "Hacked"}),
    ("post", "activity", {"leadId": "{id}", "eventType": "x", "title": "Hacked"}),
]


def _fill(value, lead_id):
    if isinstance(value, dict):
        return {k: _fill(v, lead_id) for k, v in value.items()}
    return value.replace("{id}", lead_id) if isinstance(value, str) else value


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_another_workspace_gets_404_for_every_lead_of_this_one(
    client, ws_a, ws_b, key_a, key_b, checklist_a, method, path, body
):
    lead_id = create(client, key_a).json()["lead"]["id"]
    missing_id = str(uuid.uuid4())
    logs_before = ActionLog.objects.count()

    foreign = omni(client, method, path.replace("{id}", lead_id), key_b, _fill(body, lead_id))
    missing = omni(client, method, path.replace("{id}", missing_id), key_a, _fill(body, missing_id))

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert ActionLog.objects.count() == logs_before
    assert Lead.objects.get().last_name == "Doe"
    assert ChecklistItem.objects.filter(lead__isnull=False).count() == 0


def test_another_workspace_cannot_attach_documents_to_this_ones_leads(client, ws_a, key_a, key_b):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lead_id = create(client, key_a, {"firstName": "D"}).json()["lead"]["id"]
    response = client.post(
        "/api/v1/documents",
        {"leadId": lead_id, "files": [SimpleUploadedFile("a.txt", b"hello")]},
        headers={"x-api-key": key_b},
    )
    assert response.status_code == 404
    assert not Lead.objects.get().documents.exists()


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_read_only_key_reads_but_cannot_write(client, ws_a, key_a, method, path, body):
    lead_id = create(client, key_a, {"firstName": "R"}).json()["lead"]["id"]
    read_only = api_key_create(workspace=ws_a, name="ro", scopes=["leads:read"])[1]
    response = omni(client, method, path.replace("{id}", lead_id), read_only, _fill(body, lead_id))
    assert response.status_code == (200 if method == "get" else 403)
    assert create(client, read_only, {"firstName": "No"}).status_code == 403


def test_no_key_is_401(client, ws_a):
    response = create(client, None, {"firstName": "A"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
