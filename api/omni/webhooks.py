"""What webhook endpoints registered with the "omni" payload format receive: OmniAI's
documented lead.created, lead.updated (sparse) and lead.completed bodies."""

from typing import Any

from django.utils import timezone

from api.omni.serializers import Timestamp, iso_ms, response_name
from checklists.services import LeadChecklist, checklist_change_payload
from leads.models import Lead, WebhookEndpoint
from leads.services.events import register_payload_format

# lead.created carries exactly these (OmniAI's documented payload).
CREATED_FIELDS = {
    "externalId": "external_id",
    "firstName": "first_name",
    "middleName": "middle_name",
    "lastName": "last_name",
    "email": "email",
    "businessName": "company",
    "website": "website",
    "source": "source",
}
# Canonical columns a lead.updated may report, and how each reads in OmniAI.
UPDATED_FIELDS = {
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "phone",
    "company",
    "website",
    "timezone",
    "source",
    "external_id",
    "external_portal_link",
    "assignee_type",
    "status",
    "tags",
    "opted_out_at",
    "email_verified_at",
    "phone_verified_at",
    "activity_summary",
    "is_test",
    "submitted_at",
}


def _identity(lead: Lead) -> dict[str, Any]:
    return {"leadId": str(lead.uuid), "externalId": lead.external_id or None}


def _current(lead: Lead, name: str) -> Any:
    """The lead's current value of a canonical column, in OmniAI's form."""
    if name == "phone":
        return lead.phone_e164 or None
    if name == "status":
        return lead.status.upper()
    if name == "tags":
        return sorted((t.name for t in lead.tags.all()), key=str.lower)
    value = getattr(lead, name)
    if name.endswith("_at"):
        return iso_ms(value)
    return value if value != "" else None


def _checklist_item(change: dict[str, Any]) -> dict[str, Any]:
    return {
        "checklistItemId": change["checklist_item_id"],
        "checklistItemCode": change["checklist_item_code"],
        "value": change["value"],
        "alternateValues": change["alternate_values"],
        "status": change["status"],
        "updatedAt": Timestamp().to_representation(change["updated_at"]),
        "documents": [
            {
                "documentId": d["document_id"],
                "externalId": d["external_id"],
                "filename": d["filename"],
                "mimeType": d["mime_type"] or None,
                "size": d["size"],
                "validationResult": None,
            }
            for d in change["documents"]
        ],
    }


def omni_payload(
    event_type: str, lead: Lead, changes: dict[str, Any], occurred_at: "timezone.datetime"
) -> dict[str, Any]:
    """The body an "omni" webhook endpoint receives for a lead event."""
    data = _identity(lead)
    if event_type == "lead.created":
        data.update({key: _current(lead, name) for key, name in CREATED_FIELDS.items()})
        data["phoneNumber"] = lead.phone_e164 or None
    elif event_type == "lead.updated":
        for name in changes:
            if name in UPDATED_FIELDS:
                data[response_name(name)] = _current(lead, name)
        if "opted_out_at" in changes:
            data["didOptOut"] = lead.opted_out_at is not None
        if changes.get("checklist_items"):
            data["checklistItems"] = [_checklist_item(c) for c in changes["checklist_items"]]
    elif event_type == "lead.completed":
        checklist = LeadChecklist.load(lead, with_documents=True)
        data["completedAt"] = iso_ms(lead.completed_at)
        data["checklistItems"] = [
            _checklist_item(
                checklist_change_payload(entry.row, checklist.documents_for(entry.row))
                if entry.row is not None
                else {
                    "checklist_item_id": str(entry.item.uuid),
                    "checklist_item_code": entry.item.code,
                    "value": None,
                    "alternate_values": None,
                    "status": entry.status,
                    "updated_at": None,
                    "documents": [],
                }
            )
            for entry in checklist.entries()
        ]
    else:
        data["changes"] = changes
    return {"event": event_type, "occurredAt": iso_ms(occurred_at), "data": data}


register_payload_format(WebhookEndpoint.PayloadFormat.OMNI, omni_payload)
