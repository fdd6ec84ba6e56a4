"""Every Pulse endpoint by every kind of caller (STYLE §16): no credential, API keys with
all or only read scopes, owner / agent / viewer sessions, and another workspace's key."""

import pytest

from api.authentication import session_create
from leads.models import Lead, LeadSource, Team
from leads.services.api_keys import api_key_create
from tests.api.pulse.conftest import pulse_for, scoped_key
from tests.conftest import make_rotation

READ, WRITE, SETTINGS = "leads:read", "leads:write", "settings:manage"

# method, path, body, scope needed (None: any credential), status when allowed
ENDPOINTS = [
    ("get", "auth/session", None, None, 200),
    ("get", "leads", None, READ, 200),
    ("post", "leads", {"firstName": "M", "lastName": "X", "teamId": "{team}"}, WRITE, 201),
    ("get", "leads/{lead}", None, READ, 200),
    ("patch", "leads/{lead}", {"notes": "n"}, WRITE, 200),
    ("post", "leads/{lead}/archive", None, WRITE, 200),
    ("delete", "leads/{lead}/archive", None, WRITE, 200),
    ("delete", "leads/{lead}", None, WRITE, 200),
    ("get", "teams", None, READ, 200),
    ("post", "teams", {"name": "New team"}, SETTINGS, 201),
    ("get", "teams/{team}", None, READ, 200),
    ("patch", "teams/{team}", {"name": "Renamed"}, SETTINGS, 200),
    ("get", "lead-sources", None, READ, 200),
    ("post", "lead-sources", {"name": "New source"}, SETTINGS, 201),
    ("get", "lead-sources/{source}", None, READ, 200),
    ("patch", "lead-sources/{source}", {"name": "Renamed"}, SETTINGS, 200),
    ("get", "lead-rotations", None, READ, 200),
    ("post", "lead-rotations", {"name": "default", "status": "queued"}, SETTINGS, 201),
    ("get", "lead-rotations/{rotation}", None, READ, 200),
    ("patch", "lead-rotations/{rotation}", {"name": "Renamed"}, SETTINGS, 200),
    ("patch", "lead-rotations/{rotation}/status", {"status": "queued"}, SETTINGS, 200),
    ("get", "lead-rotations/{rotation}/next-user", None, WRITE, 200),
    ("delete", "lead-rotations/{rotation}", None, SETTINGS, 200),
]

CALLERS = {
    "nobody": None,
    "key with every scope": frozenset({READ, WRITE, SETTINGS}),
    "read-only key": frozenset({READ}),
    "owner session": frozenset({READ, WRITE, SETTINGS}),
    "agent session": frozenset({READ, WRITE}),
    "viewer session": frozenset({READ}),
    "other workspace's key": "foreign",
}


def credential(name, ws_a, ws_b, alice, bob, carol, dave) -> str | None:
    if name == "nobody":
        return None
    if name == "key with every scope":
        return api_key_create(workspace=ws_a, name="all", created_by=alice.user)[1]
    if name == "read-only key":
        return scoped_key(ws_a, READ)
    if name == "other workspace's key":
        return api_key_create(workspace=ws_b, name="b", created_by=dave.user)[1]
    member = {"owner session": alice, "agent session": bob, "viewer session": carol}[name]
    return session_create(workspace=ws_a, user=member.user, membership=member)[1]


def fill(value, ids):
    if isinstance(value, str):
        return int(value.format(**ids)) if value.startswith("{") else value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize(
    ("method", "path", "body", "scope", "ok"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
def test_every_endpoint_answers_every_caller_as_it_should(
    client, ws_a, ws_b, alice, bob, carol, dave, caller, method, path, body, scope, ok
):
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    source = LeadSource.objects.create(workspace=ws_a, team=team, name="Web")
    rotation = make_rotation(ws_a, [alice, bob], team=team)
    lead = Lead.objects.create(workspace=ws_a, first_name="Lead", team=team, lead_source=source)
    ids = {"team": team.pk, "source": source.pk, "rotation": rotation.pk, "lead": lead.pk}
    if body is not None and "leadSourceId" not in body and path == "leads":
        body = {**body, "leadSourceId": "{source}"}
    api = pulse_for(client, credential(caller, ws_a, ws_b, alice, bob, carol, dave))
    response = api.call(method, fill(path, ids), fill(body, ids) if body is not None else None)

    scopes = CALLERS[caller]
    if scopes is None:
        expected = 401
    elif scopes == "foreign":
        # Another workspace's ids are unknown: 404 in the path, 400 in a body.
        names_our_ids = any("{" in str(v) for v in (body or {}).values())
        expected = 404 if "{" in path else 400 if names_our_ids else ok
    elif scope is None or scope in scopes:
        expected = ok
    else:
        expected = 403
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) >= {"error", "message", "code"}
