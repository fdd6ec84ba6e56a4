"""Each family's create endpoint, as the reliability tests send it: a new lead with an
address and an Idempotency-Key of its own, in a workspace where every create also writes
an outbox row (test_faults.py, test_concurrency.py)."""

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.test import Client

from campaigns.models import Campaign
from leads.models import WebhookEndpoint, Workspace
from tests.reliability.world import ALL_DAYS

FAMILIES = ("omni", "mega", "pulse", "autocalls")


def outbox_and_campaign(workspace: Workspace) -> Campaign:
    """A webhook endpoint, so every create writes an outbox row, and a campaign that calls
    around the clock for the Autocalls creates."""
    WebhookEndpoint.objects.create(
        workspace=workspace,
        url="https://hooks.example.com/keyed",
        event_types=["lead.created"],
        secret="whsec_" + "A" * 43,
    )
    return Campaign.objects.create(
        workspace=workspace,
        name="Keyed",
        timezone="UTC",
        allowed_hours_start="00:00",
        allowed_hours_end="23:59",
        allowed_days=ALL_DAYS,
    )


@dataclass(frozen=True)
class KeyedCreate:
    """One family's create of lead number n: its own address, phone and Idempotency-Key."""

    family: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    ok: int
    email: str

    def post(self, client: Client) -> HttpResponse:
        """Send it through Django's test client."""
        return client.post(
            self.path,
            data=json.dumps(self.body),
            content_type="application/json",
            headers=self.headers,
        )


def keyed_create(
    family: str, n: int, workspace: Workspace, campaign: Campaign, key: str
) -> KeyedCreate:
    email = f"keyed-{family}-{n}@x.test"
    path, body, ok = {
        "omni": ("/api/v1/leads", {"firstName": "Keyed", "lastName": f"{n}", "email": email}, 201),
        "mega": (
            "/api/agents/crm/leads",
            {"contact_name": f"Keyed {n}", "contact_email": email},
            201,
        ),
        "pulse": (
            "/api/leads?skipTeamAndSourceRequirement=true",
            {"firstName": "Keyed", "lastName": f"{n}", "email": email},
            201,
        ),
        "autocalls": (
            "/api/user/lead",
            {
                "phone_number": f"+1206555{n:04d}",
                "campaign_id": campaign.pk,
                "variables": {"customer_name": f"Keyed {n}", "email": email},
            },
            200,
        ),
    }[family]
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"keyed-{family}-{n}"}
    if family == "mega":
        headers["x-customer-id"] = str(workspace.uuid)
    return KeyedCreate(family, path, body, headers, ok, email)
