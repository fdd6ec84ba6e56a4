"""AUTH-7 mass assignment: a write that also sends the fields a client must never set —
another workspace, an id, who created it, a customer or account id, hashes and secrets,
staff flags, merge links — changes none of them. Extra fields are ignored (the pinned
behaviour); Pulse's documented `createdBy` may name an active member of the caller's own
workspace on create (docs/api.md), anything else is refused, and on PATCH it is ignored.

Every write of the API (each non-GET method in API_ROUTES, tests/reliability/routes.py)
is sent with those fields, so a new write route is covered without a line here."""

import dataclasses
import datetime
import json
import uuid
from typing import Any

import pytest
from django.db import models

from api.models import ApiSession
from campaigns.models import Campaign, CampaignLead
from leads.models import ApiKey, Lead, Membership, User, WebhookEndpoint, Workspace
from tests.reliability.routes import API_ROUTES
from tests.reliability.test_tenancy import api_call, api_headers, snapshots, workspace_models
from tests.reliability.world import Tenant

ATTACKER_UUID = "00000000-0000-4000-8000-000000000bad"
ATTACKER_ID = 987654


def protected(b: Tenant) -> dict[str, Any]:
    """Every field a client must not be able to set, with values pointing at workspace B."""
    return {
        "workspace": b.workspace.pk,
        "workspace_id": b.workspace.pk,
        "workspaceId": str(b.workspace.uuid),
        "customer_id": str(b.workspace.uuid),
        "customerId": str(b.workspace.uuid),
        "accountId": b.workspace.account_id,
        "account_id": b.workspace.account_id,
        "id": ATTACKER_ID,
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


def headers_for(family: str, tenant: Tenant) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {tenant.key}"}
    if family == "mega":
        headers["x-customer-id"] = str(tenant.workspace.uuid)
    return headers


def with_protected(body: dict[str, Any] | None, extra: dict[str, Any]) -> dict[str, Any]:
    """The body with the protected fields added at the top and to every row of a list of
    rows (MEGA's bulk create)."""
    body = dict(body or {})
    for name, value in body.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            body[name] = [{**extra, **row} for row in value]
    return {**extra, **body}


# Columns that hold who or what a row is, whoever wrote it; a write may not move them.
IDENTITY = {
    "id",
    "uuid",
    "workspace_id",
    "account_id",
    "created_by_id",
    "created_at",
    "merged_into_id",
    "secret",
    "secret_hash",
    "token_hash",
    "scopes",
}


def rows_of(workspace: Workspace) -> dict[tuple[str, Any], dict[str, Any]]:
    """Every row of the workspace, its own row included, by (model, pk)."""
    rows = {("Workspace", workspace.pk): Workspace.objects.filter(pk=workspace.pk).values()[0]}
    for model in workspace_models():
        for row in model.objects.filter(workspace=workspace).values():
            rows[(model.__name__, row["id"])] = row
    return rows


def users_keys_and_sessions() -> list[Any]:
    return [
        list(User.objects.order_by("pk").values("pk", "is_staff", "is_superuser", "password")),
        list(ApiKey.objects.order_by("pk").values("pk", "secret_hash", "scopes", "workspace")),
        list(ApiSession.objects.order_by("pk").values("pk", "token_hash", "workspace")),
    ]


def attacker_values(b: Tenant) -> set[Any]:
    return {
        ATTACKER_ID,
        ATTACKER_UUID,
        uuid.UUID(ATTACKER_UUID),
        "whsec_attacker",
        "attacker-password",
        "0" * 64,
        b.workspace.uuid,
        str(b.workspace.uuid),
        b.workspace.account_id,
    }


def mass_assigned(before: dict[tuple[str, Any], dict[str, Any]], a: Tenant, b: Tenant) -> list[str]:
    """What of the protected fields landed in workspace A's rows: an identity column of a
    row that was there before that moved; a value sent by the attacker in any column that
    is not free text or JSON (those keep what the request said, for the audit trail);
    a reference to anything outside A (its workspace's rows, or a user not a member)."""
    members = set(Membership.objects.filter(workspace=a.workspace).values_list("user", flat=True))
    after = rows_of(a.workspace)
    fields = {model.__name__: model._meta.concrete_fields for model in workspace_models()}
    fields["Workspace"] = Workspace._meta.concrete_fields
    attacker = attacker_values(b)
    found = []
    for key, row in after.items():
        name = f"{key[0]} {key[1]}"
        if key in before:
            moved = [c for c in IDENTITY & row.keys() if row[c] != before[key][c]]
            if moved:
                found.append(f"{name}: {moved} changed")
        for field in fields[key[0]]:
            value = row[field.attname]
            if value is None:
                continue
            if field.is_relation:
                target = field.related_model
                inside = (
                    value in members
                    if target is User
                    else value == a.workspace.pk
                    if target is Workspace
                    else (target.__name__, value) in after
                )
                if not inside:
                    found.append(f"{name}: {field.attname}={value} is not workspace A's")
            elif isinstance(field, models.TextField | models.JSONField):
                continue
            elif value in attacker or (isinstance(value, datetime.datetime) and value.year == 2001):
                found.append(f"{name}: {field.attname}={value!r} was sent by the attacker")
    return found


WRITES = [route for route in API_ROUTES if route.method != "get"]


@pytest.mark.parametrize("route", WRITES, ids=[r.id for r in WRITES])
def test_every_api_write_sent_with_protected_fields_sets_none_of_them(
    client, tenant_a, tenant_b, no_outbound_http, route
):
    a, b = tenant_a, tenant_b
    before_a, before_b = rows_of(a.workspace), snapshots(b.workspace)
    accounts = users_keys_and_sessions()
    attack = dataclasses.replace(route, body=with_protected(route.body, protected(b)))
    response = api_call(client, attack, a.ids, api_headers(attack, "own key", a, b))
    assert response.status_code == route.ok, response.content[:300]
    assert mass_assigned(before_a, a, b) == []
    assert snapshots(b.workspace) == before_b
    assert users_keys_and_sessions() == accounts
    assert "bravo" not in response.content.decode().lower()


def test_the_writes_walked_are_every_write_of_the_api():
    """A write route is any non-GET method: creates, updates, deletes and actions."""
    methods = {route.method for route in WRITES}
    assert methods == {"post", "put", "patch", "delete"}
    assert len(WRITES) == sum(1 for r in API_ROUTES if r.method != "get")


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
    # On a change it is ignored: who created a lead does not change.
    lead = tenant_a.lead
    created_by = lead.created_by_id
    changed = send(
        client,
        "patch",
        f"/api/leads/{lead.pk}",
        {"lastName": "Changed", "createdBy": tenant_b.owner.user.email},
        headers,
    )
    assert changed.status_code == 200, changed.content
    lead.refresh_from_db()
    assert (lead.last_name, lead.created_by_id) == ("Changed", created_by)


def test_autocalls_lead_create_ignores_the_call_state_it_is_sent(client, tenant_a, tenant_b):
    body = {
        "phone_number": "+12065550177",
        "campaign_id": tenant_a.campaign.pk,
        "status": "completed",
        "attempts": 99,
    }
    response = send(client, "post", "/api/user/lead", body, headers_for("autocalls", tenant_a))
    assert response.status_code == 200, response.content
    entry = CampaignLead.objects.get(phone="+12065550177")
    assert (entry.status, entry.attempts) == ("created", 0)


def test_a_webhook_cannot_be_given_its_secret_or_format(client, tenant_a, no_outbound_http):
    body = {
        "url": "https://hooks.example.com/mass",
        "event_types": ["lead.created"],
        "secret": "whsec_attacker",
        "payload_format": "standard",
        "deleted_at": None,
    }
    response = send(
        client, "post", "/api/agents/crm/lead-webhooks", body, headers_for("mega", tenant_a)
    )
    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.com/mass")
    assert endpoint.secret != "whsec_attacker" and response.json()["secret"] == endpoint.secret
    assert endpoint.payload_format == WebhookEndpoint.PayloadFormat.MEGA


def test_an_autocalls_campaign_starts_as_a_draft_whatever_it_is_sent(client, tenant_a):
    body = {"name": "Mass campaign", "status": "running"}
    response = send(client, "post", "/api/user/campaign", body, headers_for("autocalls", tenant_a))
    assert response.status_code == 201, response.content
    assert Campaign.objects.get(name="Mass campaign").status == "draft"
