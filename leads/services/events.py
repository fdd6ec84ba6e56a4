"""Lead events into the webhook outbox.

Delivery rows are written in the transaction that changed the lead; nothing leaves the
process until it commits. Each endpoint gets the payload of the API family it was
registered through: families register their renderer with register_payload_format()."""

import json
import uuid
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from leads.models import Lead, WebhookDelivery, WebhookEndpoint

# A renderer returns None when its family has nothing to tell about the event (a
# lead.updated where only fields it does not show changed): that endpoint gets no delivery.
PayloadRenderer = Callable[[str, Lead, dict[str, Any], "timezone.datetime"], dict[str, Any] | None]
_renderers: dict[str, PayloadRenderer] = {}
_after_commit_hooks: list[Callable[[list[int]], None]] = []

LEAD_EVENTS = ("lead.created", "lead.updated", "lead.completed", "lead.merged")


def register_payload_format(name: str, renderer: PayloadRenderer) -> None:
    """Let an API family say what its webhook endpoints receive."""
    _renderers[name] = renderer


def on_deliveries_committed(hook: Callable[[list[int]], None]) -> None:
    """Run `hook(delivery_ids)` after a transaction that queued deliveries commits."""
    _after_commit_hooks.append(hook)


def standard_payload(
    event_type: str, lead: Lead, changes: dict[str, Any], occurred_at: "timezone.datetime"
) -> dict[str, Any]:
    """Leadbook's own payload, for endpoints registered outside any family."""
    data: dict[str, Any] = {
        "id": str(lead.uuid),
        "lead_id": lead.pk,
        "workspace_id": str(lead.workspace.uuid),
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone_e164,
        "company": lead.company,
        "status": lead.status,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }
    if changes:
        data["changes"] = changes
    return {"type": event_type, "timestamp": occurred_at, "data": data}


register_payload_format(WebhookEndpoint.PayloadFormat.STANDARD, standard_payload)


def lead_event_emit(
    *, lead: Lead, event_type: str, changes: dict[str, Any] | None = None
) -> list[WebhookDelivery]:
    """Queue `event_type` for every endpoint of the lead's workspace subscribed to it."""
    endpoints = WebhookEndpoint.objects.subscribed(lead.workspace, event_type)
    if not endpoints:
        return []
    occurred_at = timezone.now()
    event_id = uuid.uuid4()
    deliveries = []
    for endpoint in endpoints:
        renderer = _renderers.get(endpoint.payload_format, standard_payload)
        payload = renderer(event_type, lead, changes or {}, occurred_at)
        if payload is None:
            continue
        body = json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))
        deliveries.append(
            WebhookDelivery(
                workspace=lead.workspace,
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                body=body,
                next_attempt_at=occurred_at,
            )
        )
    if not deliveries:
        return []
    created = WebhookDelivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in created if d.pk is not None]
    if _after_commit_hooks:
        transaction.on_commit(lambda: [hook(ids) for hook in _after_commit_hooks])
    return created
