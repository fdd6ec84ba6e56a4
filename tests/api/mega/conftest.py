"""Calling the MEGA family as an integration would: Bearer key + x-customer-id."""

import json
import re

import pytest

from leads.models import CustomField, Stage
from leads.services.api_keys import api_key_create

PREFIX = "/api/agents/crm/"
MEGA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEAD_KEYS = {
    "id",
    "customer_id",
    "source_platform",
    "source_type",
    "status",
    "created_at",
    "updated_at",
    "contact_name",
    "contact_phone",
    "contact_email",
    "score",
    "qualified",
    "current_stage",
    "owner",
    "last_interaction_at",
    "interaction_count",
    "custom_fields",
}


class Mega:
    """A MEGA client for one key and customer id."""

    def __init__(self, client, key: str, workspace) -> None:
        self.client, self.key, self.workspace = client, key, workspace

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.key}",
            "x-customer-id": str(self.workspace.uuid),
            **extra,
        }

    def get(self, path: str, params: dict | None = None, **headers: str):
        return self.client.get(PREFIX + path, params or {}, headers=self.headers(**headers))

    def send(self, method: str, path: str, body=None, **headers: str):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(
            PREFIX + path,
            data=data,
            content_type="application/json",
            headers=self.headers(**headers),
        )

    def post(self, path: str, body=None, **headers: str):
        return self.send("post", path, body, **headers)

    def patch(self, path: str, body=None, **headers: str):
        return self.send("patch", path, body, **headers)

    def delete(self, path: str, **headers: str):
        return self.client.delete(PREFIX + path, headers=self.headers(**headers))


@pytest.fixture
def mega_a(client, ws_a, key_a) -> Mega:
    return Mega(client, key_a, ws_a)


@pytest.fixture
def mega_b(client, ws_b, key_b) -> Mega:
    return Mega(client, key_b, ws_b)


@pytest.fixture
def mega_with_scopes(client, ws_a, alice):
    def make(*scopes: str) -> Mega:
        secret = api_key_create(workspace=ws_a, name="scoped", scopes=list(scopes))[1]
        return Mega(client, secret, ws_a)

    return make


@pytest.fixture
def pipeline_a(ws_a):
    """Stages and custom fields of workspace A, as the seed example expects."""
    stages = {
        "new": Stage.objects.create(workspace=ws_a, slug="new", name="New", color="#2563eb"),
        "won": Stage.objects.create(workspace=ws_a, slug="won", name="Won", is_won=True),
        "lost": Stage.objects.create(workspace=ws_a, slug="lost", name="Lost", is_lost=True),
    }
    CustomField.objects.create(workspace=ws_a, slug="budget", label="Budget", field_type="text")
    CustomField.objects.create(workspace=ws_a, slug="beds", label="Beds", field_type="number")
    CustomField.objects.create(
        workspace=ws_a, slug="financing", label="Financing", field_type="boolean"
    )
    return stages


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
