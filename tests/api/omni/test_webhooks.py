"""What a webhook endpoint registered with the "omni" payload format receives."""

import json

import pytest

from leads.models import WebhookDelivery, WebhookEndpoint
from tests.api.omni.conftest import omni

EVENTS = ["lead.created", "lead.updated", "lead.completed"]


@pytest.fixture
def omni_endpoint(ws_a):
    return WebhookEndpoint.objects.create(
        workspace=ws_a,
        url="https://hooks.example.com/omni",
        event_types=EVENTS,
        payload_format=WebhookEndpoint.PayloadFormat.OMNI,
        secret="whsec_test",
    )


def bodies(event_type=None):
    rows = WebhookDelivery.objects.order_by("id")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return [json.loads(d.body) for d in rows]


def test_lead_created_carries_the_documented_fields(client, ws_a, key_a, omni_endpoint):
    lead_id = omni(
        client,
        "post",
        "leads",
        key_a,
        {
            "firstName": "John",
            "middleName": "Q",
            "lastName": "Doe",
            "email": "john@example.com",
            "phoneNumber": "6782319992",
            "businessName": "Haulers",
            "externalLeadId": "crm-7",
        },
    ).json()["lead"]["id"]

    [payload] = bodies()
    assert payload["event"] == "lead.created"
    assert payload["data"] == {
        "leadId": lead_id,
        "externalId": "crm-7",
        "firstName": "John",
        "middleName": "Q",
        "lastName": "Doe",
        "phoneNumber": "+16782319992",
        "email": "john@example.com",
        "businessName": "Haulers",
        "website": None,
        "source": "api",
    }


def test_lead_updated_is_sparse(client, ws_a, key_a, omni_endpoint, checklist_a):
    lead_id = omni(client, "post", "leads", key_a, {"firstName": "J"}).json()["lead"]["id"]
    omni(
        client,
        "put",
        "leads",
        key_a,
        {
            "leadId": lead_id,
            "lastName": "Francisco",
            "firstName": "J",
            "checklistItems": [{"code": "legal_name", "value": "OmniAI LLC"}],
        },
    )
    omni(client, "put", "leads", key_a, {"leadId": lead_id, "didOptOut": True})
    omni(client, "put", "leads", key_a, {"leadId": lead_id, "firstName": "J"})  # no change

    first, second = bodies("lead.updated")
    assert set(first["data"]) == {"leadId", "externalId", "lastName", "checklistItems"}
    assert first["data"]["lastName"] == "Francisco"
    [item] = first["data"]["checklistItems"]
    assert item["checklistItemCode"] == "legal_name"
    assert (item["value"], item["status"]) == ("OmniAI LLC", "COMPLETED")
    assert item["updatedAt"].endswith("Z") and item["documents"] == []
    assert second["data"]["didOptOut"] is True and second["data"]["status"] == "OPTED_OUT"
    assert second["data"]["optOutAt"].endswith("Z")


def test_lead_completed_fires_once_after_lead_created_with_the_full_checklist(
    client, ws_a, key_a, omni_endpoint, checklist_a
):
    fill = [
        {"code": code, "value": value}
        for code, value in (
            ("business_name", "Acme"),
            ("legal_name", "Acme LLC"),
            ("tax_id", "12-3456789"),
            ("monthly_revenue", 1000),
        )
    ]
    fill.append({"code": "bank_statements", "status": "NEEDS_REVIEW"})
    lead_id = omni(
        client, "post", "leads", key_a, {"firstName": "C", "checklistItems": fill}
    ).json()["lead"]["id"]
    omni(
        client,
        "put",
        "leads",
        key_a,
        {"leadId": lead_id, "checklistItems": [{"code": "tax_id", "value": "98-7654321"}]},
    )

    assert [d.event_type for d in WebhookDelivery.objects.order_by("id")] == [
        "lead.created",
        "lead.completed",
        "lead.updated",
    ]
    [completed] = bodies("lead.completed")
    assert completed["data"]["leadId"] == lead_id
    codes = {i["checklistItemCode"]: i["status"] for i in completed["data"]["checklistItems"]}
    assert codes == {
        "business_name": "COMPLETED",
        "legal_name": "COMPLETED",
        "tax_id": "COMPLETED",
        "business_email": "TODO",
        "monthly_revenue": "COMPLETED",
        "bank_statements": "NEEDS_REVIEW",
    }


def test_a_lead_completed_again_after_reopening_does_not_fire_twice(
    client, ws_a, key_a, omni_endpoint
):
    from checklists.models import ChecklistItem

    ChecklistItem.objects.create(workspace=ws_a, code="only", label="Only")
    lead_id = omni(
        client,
        "post",
        "leads",
        key_a,
        {"firstName": "C", "checklistItems": [{"code": "only", "value": "x"}]},
    ).json()["lead"]["id"]
    for status in ("TODO", "COMPLETED", "TODO", "COMPLETED"):
        omni(
            client,
            "put",
            "leads",
            key_a,
            {"leadId": lead_id, "checklistItems": [{"code": "only", "status": status}]},
        )
    assert len(bodies("lead.completed")) == 1


def test_other_payload_formats_are_not_affected(client, ws_a, key_a):
    WebhookEndpoint.objects.create(
        workspace=ws_a,
        url="https://hooks.example.com/std",
        event_types=EVENTS,
        payload_format=WebhookEndpoint.PayloadFormat.STANDARD,
        secret="whsec_test",
    )
    omni(client, "post", "leads", key_a, {"firstName": "S"})
    [payload] = bodies()
    assert payload["type"] == "lead.created" and payload["data"]["first_name"] == "S"
