"""AUTH-7 mass assignment: a write that also sends the fields a client must never set —
another workspace, an id, who created it, a customer or account id, hashes and secrets,
staff flags, merge links — changes none of them. Extra fields are ignored (the pinned
behaviour); Pulse's documented `createdBy` may name an active member of the caller's own
workspace on create (docs/api.md), anything else is refused, and on PATCH it is ignored."""

import json
from typing import Any

import pytest

from api.models import ApiSession
from campaigns.models import Campaign, CampaignLead
from leads.models import ApiKey, Lead, LeadSource, Rotation, Team, User, WebhookEndpoint

ATTACKER_UUID = "00000000-0000-4000-8000-000000000bad"


def protected(b) -> dict[str, Any]:
    """Every field a client must not be able to set, with values pointing at workspace B."""
    return {
        "workspace": b.workspace.pk,
        "workspace_id": b.workspace.pk,
        "workspaceId": str(b.workspace.uuid),
        "customer_id": str(b.workspace.uuid),
        "customerId": str(b.workspace.uuid),
        "accountId": b.workspace.account_id,
        "account_id": b.workspace.account_id,
        "id": 987654,
        "uuid": ATTACKER_UUID,
        "created_by": b.owner.user.pk,
        "created_by_id": b.owner.user.pk,
        "merged_into": b.lead.pk,
        "mergedInto": b.lead.pk,
        "key_hash": "0" * 64,
        "secret_hash": "0" * 64,
        "token_hash": "0" * 64,
        "secret": "whsec_attacker",
        "password": "attacker-password",
        "is_staff": True,
        "is_superuser": True,
        "isStaff": True,
        "scopes": ["settings:manage"],
        "createdAt": "2001-01-01T00:00:00Z",
    }


def send(client, method: str, path: str, body: dict, headers: dict) -> Any:
    return getattr(client, method)(
        path, data=json.dumps(body), content_type="application/json", headers=headers
    )


def assert_lead_is_plainly_as(lead: Lead, a, b) -> None:
    assert lead.workspace_id == a.workspace.pk
    assert lead.pk != 987654 and str(lead.uuid) != ATTACKER_UUID
    assert lead.merged_into_id is None
    assert lead.created_by_id != b.owner.user.pk
    assert lead.created_at.year != 2001


CREATES = [
    ("omni", "/api/v1/leads", {"firstName": "Mass"}, lambda r: r.json()["lead"]["id"], "uuid"),
    ("mega", "/api/agents/crm/leads", {"contact_name": "Mass Lead"}, None, "uuid"),
    (
        "pulse",
        "/api/leads?skipTeamAndSourceRequirement=true",
        {"firstName": "M", "lastName": "L"},
        None,
        "pk",
    ),
]


def headers_for(family: str, tenant) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {tenant.key}"}
    if family == "mega":
        headers["x-customer-id"] = str(tenant.workspace.uuid)
    return headers


@pytest.mark.parametrize(
    ("family", "path", "body", "_", "__"), CREATES, ids=[c[0] for c in CREATES]
)
def test_creating_a_lead_with_protected_fields_sets_none_of_them(
    client, tenant_a, tenant_b, family, path, body, _, __
):
    before_b = Lead.objects.filter(workspace=tenant_b.workspace).count()
    world = list(Lead.objects.filter(workspace=tenant_a.workspace).values_list("pk", flat=True))
    response = send(
        client, "post", path, {**protected(tenant_b), **body}, headers_for(family, tenant_a)
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.exclude(pk__in=world).get(workspace=tenant_a.workspace)
    assert_lead_is_plainly_as(lead, tenant_a, tenant_b)
    assert Lead.objects.filter(workspace=tenant_b.workspace).count() == before_b
    assert "bravo" not in response.content.decode()


@pytest.mark.parametrize(
    ("family", "method", "path", "body"),
    [
        ("omni", "put", "/api/v1/leads", {"leadId": "{uuid}", "lastName": "Changed"}),
        ("pulse", "patch", "/api/leads/{pk}", {"lastName": "Changed"}),
    ],
)
def test_changing_a_lead_with_protected_fields_changes_only_what_it_may(
    client, tenant_a, tenant_b, family, method, path, body
):
    lead = tenant_a.lead
    created_by, uuid, created_at = lead.created_by_id, lead.uuid, lead.created_at
    filled = {k: v.format(uuid=lead.uuid) if isinstance(v, str) else v for k, v in body.items()}
    response = send(
        client,
        method,
        path.format(pk=lead.pk),
        {**protected(tenant_b), **filled, "createdBy": tenant_b.owner.user.email},
        headers_for(family, tenant_a),
    )
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert lead.last_name == "Changed"
    assert (lead.workspace_id, lead.uuid, lead.created_by_id) == (
        tenant_a.workspace.pk,
        uuid,
        created_by,
    )
    assert lead.created_at == created_at and lead.merged_into_id is None


def test_pulse_created_by_may_name_an_active_member_of_the_same_workspace_only(
    client, tenant_a, tenant_b
):
    headers = headers_for("pulse", tenant_a)
    body = {"firstName": "By", "lastName": "Agent"}
    path = "/api/leads?skipTeamAndSourceRequirement=true"
    mine = send(client, "post", path, {**body, "createdBy": tenant_a.agent.user.email}, headers)
    assert mine.status_code == 201 and mine.json()["createdBy"] == tenant_a.agent.user.email
    for foreign in (tenant_b.owner.user.email, "nobody@nowhere.test"):
        refused = send(client, "post", path, {**body, "createdBy": foreign}, headers)
        assert refused.status_code == 400, refused.content
        assert "createdBy" in refused.json()["fields"]
    assert Lead.objects.filter(workspace=tenant_a.workspace, last_name="Agent").count() == 1


def test_autocalls_lead_create_ignores_protected_fields(client, tenant_a, tenant_b):
    body = {
        **protected(tenant_b),
        "phone_number": "+12065550177",
        "campaign_id": tenant_a.campaign.pk,
        "status": "completed",
        "attempts": 99,
    }
    response = send(client, "post", "/api/user/lead", body, headers_for("autocalls", tenant_a))
    assert response.status_code == 200, response.content
    entry = CampaignLead.objects.get(phone="+12065550177")
    assert entry.workspace_id == tenant_a.workspace.pk and entry.pk != 987654
    assert (entry.status, entry.attempts) == ("created", 0)
    assert entry.lead.workspace_id == tenant_a.workspace.pk


def test_a_webhook_cannot_be_given_its_secret_workspace_or_format(
    client, tenant_a, tenant_b, no_outbound_http
):
    body = {
        **protected(tenant_b),
        "url": "https://hooks.example.com/mass",
        "event_types": ["lead.created"],
        "payload_format": "standard",
        "deleted_at": None,
    }
    response = send(
        client, "post", "/api/agents/crm/lead-webhooks", body, headers_for("mega", tenant_a)
    )
    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.com/mass")
    assert endpoint.workspace_id == tenant_a.workspace.pk
    assert endpoint.secret != "whsec_attacker" and response.json()["secret"] == endpoint.secret
    assert endpoint.payload_format == WebhookEndpoint.PayloadFormat.MEGA
    patched = send(
        client,
        "patch",
        f"/api/agents/crm/lead-webhooks/wh_{endpoint.uuid}",
        {**protected(tenant_b), "description": "x"},
        headers_for("mega", tenant_a),
    )
    assert patched.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != "whsec_attacker" and endpoint.workspace_id == tenant_a.workspace.pk


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/api/teams", {"name": "Mass team"}, Team),
        ("/api/lead-sources", {"name": "Mass source"}, LeadSource),
        ("/api/lead-rotations", {"name": "default", "status": "queued"}, Rotation),
    ],
)
def test_pulse_settings_ignore_protected_fields(client, tenant_a, tenant_b, path, body, model):
    extra = {**protected(tenant_b), "createdBy": tenant_b.owner.user.email}
    response = send(client, "post", path, {**extra, **body}, headers_for("pulse", tenant_a))
    assert response.status_code == 201, response.content
    row = model.objects.get(name=body["name"])
    assert row.workspace_id == tenant_a.workspace.pk and row.pk != 987654
    assert row.created_by_id == tenant_a.owner.user.pk  # the key's creator, not the body's
    assert response.json()["accountId"] == tenant_a.workspace.account_id


def test_an_autocalls_campaign_ignores_protected_fields(client, tenant_a, tenant_b):
    body = {**protected(tenant_b), "name": "Mass campaign", "status": "running"}
    response = send(client, "post", "/api/user/campaign", body, headers_for("autocalls", tenant_a))
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(name="Mass campaign")
    assert campaign.workspace_id == tenant_a.workspace.pk and campaign.status == "draft"


def test_nothing_sent_to_the_api_touches_users_keys_or_sessions(client, tenant_a, tenant_b):
    users = list(User.objects.order_by("pk").values("pk", "is_staff", "is_superuser", "password"))
    keys = list(ApiKey.objects.order_by("pk").values("pk", "secret_hash", "scopes", "workspace"))
    sessions = ApiSession.objects.count()
    for family, path, body, _, __ in CREATES:
        send(client, "post", path, {**protected(tenant_b), **body}, headers_for(family, tenant_a))
    assert (
        list(User.objects.order_by("pk").values("pk", "is_staff", "is_superuser", "password"))
        == users
    )
    assert (
        list(ApiKey.objects.order_by("pk").values("pk", "secret_hash", "scopes", "workspace"))
        == keys
    )
    assert ApiSession.objects.count() == sessions
