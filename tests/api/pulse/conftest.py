"""Calling the Pulse family the way its documentation shows: JSON bodies, Bearer
credentials, an optional x-account-id."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from leads.models import LeadSource, Membership, Team, Workspace
from leads.services.api_keys import api_key_create
from tests.conftest import make_member, make_rotation


class PulseApi:
    def __init__(self, client: Client, credential: str | None, account: str | None = None):
        self.client = client
        self.credential = credential
        self.account = account

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = {}
        if self.credential is not None:
            headers["Authorization"] = f"Bearer {self.credential}"
        if self.account is not None:
            headers["x-account-id"] = self.account
        headers.update(extra)
        return headers

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        url = "/api/" + path.lstrip("/")
        if query:
            url += "?" + urlencode(query)
        kwargs: dict[str, Any] = {"headers": self.headers(headers or {})}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **query: Any):
        return self.call("get", path, query=query)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("post", path, body if body is not None else {}, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):
        return self.call("patch", path, body if body is not None else {}, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.call("delete", path, **kwargs)


def pulse_for(client: Client, credential: str | None, account: str | None = None) -> PulseApi:
    return PulseApi(client, credential, account)


@pytest.fixture
def api_a(client, key_a) -> PulseApi:
    """Alice's integration key on workspace A (every scope)."""
    return PulseApi(client, key_a)


@pytest.fixture
def api_b(client, key_b) -> PulseApi:
    """Dave's integration key on workspace B."""
    return PulseApi(client, key_b)


@pytest.fixture
def agents(ws_a) -> list[Membership]:
    return [make_member(ws_a, f"agent{i}@acme.test", "agent", f"Agent {i}") for i in range(3)]


def scoped_key(workspace: Workspace, *scopes: str) -> str:
    return api_key_create(workspace=workspace, name="scoped", scopes=list(scopes))[1]


def team_with_rotation(
    workspace: Workspace, name: str, members: list[Membership], sources: tuple[str, ...] = ()
) -> tuple[Team, list[LeadSource]]:
    team = Team.objects.create(workspace=workspace, name=name)
    team.members.set(members)
    make_rotation(workspace, members, team=team)
    return team, [
        LeadSource.objects.create(workspace=workspace, team=team, name=s) for s in sources
    ]


def error(response) -> str:
    return response.json()["error"]


def events(lead: dict) -> list[str]:
    """The events of a Lead's auditLog, newest first."""
    return [entry["event"] for entry in lead["auditLog"]]
