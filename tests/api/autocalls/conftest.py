"""Calling the Autocalls family as an integration would: Bearer key, JSON bodies."""

import json
from typing import Any

import pytest

from campaigns.models import Campaign
from leads.models import Workspace

PREFIX = "/api/user/"


class AutocallsClient:
    def __init__(self, client: Any, key: str) -> None:
        self.client = client
        self.key = key

    def __call__(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {self.key}", **headers}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(PREFIX + path, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(
            PREFIX + path, params, headers={"Authorization": f"Bearer {self.key}"}
        )


@pytest.fixture
def api_a(client, key_a) -> AutocallsClient:
    return AutocallsClient(client, key_a)


@pytest.fixture
def api_b(client, key_b) -> AutocallsClient:
    return AutocallsClient(client, key_b)


def make_campaign(workspace: Workspace, name: str = "My new campaign", **extra: Any) -> Campaign:
    values = {
        "timezone": "America/New_York",
        "allowed_hours_start": "00:00",
        "allowed_hours_end": "23:59",
        "allowed_days": [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
        **extra,
    }
    return Campaign.objects.create(workspace=workspace, name=name, **values)


@pytest.fixture
def campaign_a(ws_a) -> Campaign:
    return make_campaign(ws_a)


@pytest.fixture
def campaign_b(ws_b) -> Campaign:
    return make_campaign(ws_b, name="Bravo campaign")
