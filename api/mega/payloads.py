"""What MEGA-registered webhook endpoints receive, for every lead event.

Documented shape (lead.created): {event, delivered_at, lead: {id, contact_name,
contact_phone, contact_email, source_platform, source_type, lead_line, current_stage
{slug, name}, custom_fields, created_at, updated_at}}. Leadbook adds `customer_id` to
`lead`, sends the same full lead for lead.completed and lead.merged (plus `matched_by`
and `changed_fields` for a merge), and for lead.updated only the fields that changed,
with the ids. `delivered_at` is the time of the event: the body is rendered and signed
once, into the outbox, so it is the same on every retry (X-Mega-Timestamp is the
attempt's time)."""

from datetime import datetime
from typing import Any

from api.mega.serializers import mega_status, mega_time
from leads.models import Lead, WebhookEndpoint
from leads.services.events import register_payload_format

# Canonical field -> the MEGA fields a change to it shows up in. MEGA's status is
# derived from the stage (won/lost), the lifecycle status and archiving.
_MEGA_FIELDS = {
    "first_name": ("contact_name",),
    "middle_name": ("contact_name",),
    "last_name": ("contact_name",),
    "email": ("contact_email",),
    "phone": ("contact_phone",),
    "source_platform": ("source_platform",),
    "source_type": ("source_type",),
    "lead_line": ("lead_line",),
    "score": ("score",),
    "qualified": ("qualified",),
    "stage": ("current_stage", "status"),
    "assignee": ("owner",),
    "custom_fields": ("custom_fields",),
    "status": ("status",),
    "archived_at": ("status",),
}


def _stage(lead: Lead) -> dict[str, str] | None:
    return {"slug": lead.stage.slug, "name": lead.stage.name} if lead.stage else None


def _owner(lead: Lead) -> dict[str, str] | None:
    member = lead.assignee
    if member is None:
        return None
    return {"id": str(member.pk), "name": member.name, "role_name": member.get_role_display()}


def _value(lead: Lead, name: str) -> Any:
    return {
        "contact_name": lambda: lead.full_name or None,
        "contact_email": lambda: lead.email or None,
        "contact_phone": lambda: lead.phone_e164 or None,
        "source_platform": lambda: lead.source_platform or None,
        "source_type": lambda: lead.source_type or None,
        "lead_line": lambda: lead.lead_line or None,
        "score": lambda: lead.score,
        "qualified": lambda: lead.qualified,
        "current_stage": lambda: _stage(lead),
        "owner": lambda: _owner(lead),
        "custom_fields": lambda: dict(lead.custom_fields or {}),
        "status": lambda: mega_status(lead),
    }[name]()


def webhook_lead(lead: Lead) -> dict[str, Any]:
    """The full lead of a MEGA webhook payload."""
    return {
        "id": str(lead.uuid),
        "customer_id": str(lead.workspace.uuid),
        "contact_name": lead.full_name or None,
        "contact_phone": lead.phone_e164 or None,
        "contact_email": lead.email or None,
        "source_platform": lead.source_platform or None,
        "source_type": lead.source_type or None,
        "lead_line": lead.lead_line or None,
        "current_stage": _stage(lead),
        "custom_fields": dict(lead.custom_fields or {}),
        "created_at": mega_time(lead.created_at),
        "updated_at": mega_time(lead.updated_at),
    }


def changed_fields(lead: Lead, changes: dict[str, Any]) -> dict[str, Any]:
    """The MEGA fields a canonical diff touched, with their new values; custom fields
    only by the keys whose value changed."""
    fields: dict[str, Any] = {}
    for canonical in changes:
        for name in _MEGA_FIELDS.get(canonical, ()):
            fields[name] = _value(lead, name)
    if "custom_fields" in fields and isinstance(changes.get("custom_fields"), dict):
        before = changes["custom_fields"].get("from") or {}
        after = changes["custom_fields"].get("to") or {}
        fields["custom_fields"] = {
            k: v for k, v in after.items() if k not in before or before[k] != v
        }
    return fields


def mega_payload(
    event_type: str, lead: Lead, changes: dict[str, Any], occurred_at: datetime
) -> dict[str, Any] | None:
    """The MEGA body of an event; None (no delivery) for a lead.updated in which nothing
    MEGA shows changed (notes, company, …): an update with only ids would tell nothing."""
    body: dict[str, Any] = {"event": event_type, "delivered_at": mega_time(occurred_at)}
    if event_type == "lead.updated":
        fields = changed_fields(lead, changes)
        if not fields:
            return None
        body["lead"] = {
            "id": str(lead.uuid),
            "customer_id": str(lead.workspace.uuid),
            **fields,
            "updated_at": mega_time(lead.updated_at),
        }
        return body
    body["lead"] = webhook_lead(lead)
    if event_type == "lead.merged":
        body["matched_by"] = changes.get("matched_by")
        body["changed_fields"] = sorted(changed_fields(lead, changes))
    return body


register_payload_format(WebhookEndpoint.PayloadFormat.MEGA, mega_payload)
