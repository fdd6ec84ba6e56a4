"""The tenancy matrix (AUTH-4, AUTH-6, AUTH-8): every API route and every staff page x every
kind of caller x objects of two workspaces. (AUTH-5, a tenant header that names another
workspace or none, is proven in tests/api/test_platform.py.)

Each call runs in a savepoint that is rolled back, so every caller meets the same world.
For every call: the status is the declared one; a body (CSV exports read to the end)
never carries anything of the other workspace (lists included: every object of B is
named "bravo…", of A "acme…"), nor, to an agent, a colleague's lead or import
("acme-colleague…"); the other workspace's rows — every table with a workspace — are
byte-for-byte unchanged; and a refused call, or one naming objects the caller may not
touch, changed nothing. Every API route that needs a scope is called with a key of A
that lacks it, and every API route a session may use (Pulse) that names a lead is called
by an agent's session on a colleague's lead. Staff pages are also walked with the
caller's own first id and another workspace's ids after it (a lead's checklist item,
message or new stage, a rotation's seat or team, a webhook's delivery, a campaign's
queue entry), by an agent against a colleague's lead and import, and by an agent while
the workspace does not let agents import. Routes come from the URL resolver
(tests/reliability/routes.py): a new pattern without a declared expectation fails
loudly."""

import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import Client

from leads.models import ApiKey, Lead, Team, Workspace
from tests.reliability.conftest import FIGURES, MATRIX_CALLS, MATRIX_ROUTES
from tests.reliability.routes import (
    API_ROUTES,
    PLACEHOLDER,
    STAFF_ROUTES,
    ApiRoute,
    StaffRoute,
    rule_for,
    url_patterns,
)
from tests.reliability.world import COLLEAGUE_IDS, Tenant

ALL = frozenset(ApiKey.Scope.values)
# What each kind of caller (of workspace A unless said otherwise) may do with the API.
# "key without the scope" is, for each route, one of A's NARROW_KEYS that lacks the
# route's scope.
API_CALLERS: dict[str, frozenset[str] | None] = {
    "own key": ALL,
    "other workspace's key": ALL,
    "no credential": None,
    "revoked key": None,
    "key without the scope": frozenset(),  # per route: see NARROW_KEYS
    "viewer": frozenset({"leads:read", "campaigns:read"}),
    "agent": frozenset({"leads:read", "leads:write", "campaigns:read", "campaigns:write"}),
}
NARROW_KEYS = {
    "webhooks-only key": frozenset({"webhooks:manage"}),
    "read-only key": frozenset({"leads:read"}),
}
STAFF_CALLERS = [
    "own key",
    "other workspace's key",
    "no credential",
    "revoked key",
    "key without the scope",
    "viewer",
    "agent",
    "other workspace's owner",
]
ROLE_RANK = {"viewer": 0, "agent": 1, "manager": 2, "admin": 3, "owner": 4}
MARKER = {"A": "acme", "B": "bravo"}


# Columns a call may rightly touch without changing anything: when a key was last used.
VOLATILE = {"last_used_at"}


def workspace_models() -> list[type[models.Model]]:
    """Every model with a workspace of its own: a new one is in the snapshot unasked."""
    return [
        model
        for model in apps.get_models()
        if any(f.is_relation and f.related_model is Workspace for f in model._meta.fields)
    ]


def snapshots(*workspaces: Workspace) -> tuple[str, ...]:
    """Every row of each workspace that a call could change, the workspace's own row
    included (one query per table for all the workspaces)."""
    pks = [w.pk for w in workspaces]
    rows: dict[int, dict[str, Any]] = {pk: {} for pk in pks}

    def add(name: str, queryset: Any, owner: str) -> None:
        for pk in pks:
            rows[pk][name] = []
        for row in queryset:
            rows[row[owner]][name].append(row)

    for model in [Workspace, *workspace_models()]:
        owner = "id" if model is Workspace else "workspace_id"
        lookup = {"pk__in": pks} if model is Workspace else {"workspace_id__in": pks}
        columns = [f.attname for f in model._meta.concrete_fields if f.name not in VOLATILE]
        add(model.__name__, model.objects.filter(**lookup).order_by("pk").values(*columns), owner)
    add(
        "Team.members",
        Team.members.through.objects.filter(team__workspace_id__in=pks)
        .order_by("pk")
        .values("team_id", "membership_id", ws=models.F("team__workspace_id")),
        "ws",
    )
    add(
        "Lead.tags",
        Lead.tags.through.objects.filter(lead__workspace_id__in=pks)
        .order_by("pk")
        .values("lead_id", "tag_id", ws=models.F("lead__workspace_id")),
        "ws",
    )
    return tuple(json.dumps(rows[pk], default=str, sort_keys=True) for pk in pks)


def snapshot(workspace: Workspace) -> str:
    return snapshots(workspace)[0]


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k.format(**ids): fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def isolated(
    call: Any, a: Tenant, b: Tenant, before: tuple[str, ...] | None = None
) -> tuple[Any, bool, bool]:
    """Run a call in a savepoint that is rolled back; report whether A and B changed.
    `before`: the snapshots taken once for a series of calls (each call is rolled back,
    so each starts from them; a write that escaped a rollback shows up at the next)."""
    with transaction.atomic():
        if before is None:
            before = snapshots(a.workspace, b.workspace)
        response = call()
        after = snapshots(a.workspace, b.workspace)
        transaction.set_rollback(True)
    return response, before[0] != after[0], before[1] != after[1]


# --- every pattern is declared ------------------------------------------------------------


def test_every_url_pattern_declares_what_it_answers():
    patterns = url_patterns()
    assert len(patterns) > 50
    undeclared = [f"{p.key or '(unnamed)'} → /{p.route}" for p in patterns if rule_for(p) is None]
    assert undeclared == [], (
        "URL patterns without a declared expectation (add them to API_ROUTES, STAFF_ROUTES "
        "or PREFIX_RULES in tests/reliability/routes.py):\n  " + "\n  ".join(undeclared)
    )
    rules = Counter(rule_for(p) for p in patterns)
    FIGURES.append(
        f"URL PATTERNS {len(patterns)}, all declared: "
        + ", ".join(f"{count} {rule}" for rule, count in rules.most_common())
    )


def test_every_declared_route_still_exists():
    keys = {p.key for p in url_patterns()}
    stale = sorted({r.name for r in [*API_ROUTES, *STAFF_ROUTES]} - keys)
    assert stale == []


def test_every_api_method_is_declared():
    """Each method an API view implements is a row of the matrix (a new PATCH on an old
    URL must not slip through)."""
    declared = {(r.name, r.method.upper()) for r in API_ROUTES}
    missing = []
    for pattern in url_patterns():
        if rule_for(pattern) != "api":
            continue
        view = pattern.view_class
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method) and (pattern.key, method.upper()) not in declared:
                missing.append(f"{method.upper()} {pattern.key}")
    assert missing == []


# --- the API --------------------------------------------------------------------------


COLLEAGUE_MARKER = "acme-colleague"


@dataclass(frozen=True)
class Target:
    """What a call names: `own`, `foreign` (another workspace's), `mixed` (the caller's
    own first id with another workspace's ids after it: a lead's item or stage, a
    rotation's seat or team…) or `colleague` (for an agent, a lead assigned to someone
    else, its messages and timeline, someone else's import)."""

    label: str
    ids: dict[str, Any]
    kind: str


def narrow_key(route: ApiRoute) -> str:
    """The key of A whose scopes leave out the route's own (any, for a route that needs
    none): every route that needs a scope gets a real missing-scope call."""
    return next(name for name, scopes in NARROW_KEYS.items() if route.scope not in scopes)


def api_headers(route: ApiRoute, caller: str, a: Tenant, b: Tenant) -> dict[str, str]:
    owner = b if caller == "other workspace's key" else a
    secret = {
        "own key": a.key,
        "other workspace's key": b.key,
        "no credential": None,
        "revoked key": a.keys["revoked key"],
        "key without the scope": a.keys[narrow_key(route)],
        "viewer": a.keys["viewer session"],
        "agent": a.keys["agent session"],
    }[caller]
    headers = {}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    if route.path.startswith("/api/agents/crm/"):
        headers["x-customer-id"] = str(owner.workspace.uuid)
    return headers


def names_in_path(route: ApiRoute, placeholders: tuple[str, ...]) -> bool | None:
    """Whether the route names one of these ids in its path (True), only in its body
    (False), or nowhere (None)."""
    if any("{" + name + "}" in route.path for name in placeholders):
        return True
    if any("{" + name + "}" in json.dumps(route.body) for name in placeholders):
        return False
    return None


def api_targets(route: ApiRoute, caller: str, a: Tenant, b: Tenant) -> list[Target]:
    """A's callers meet A's objects and B's, B's key meets A's objects; an agent's session
    also meets a colleague's lead wherever a session may go (Pulse)."""
    if caller == "other workspace's key":
        return [Target("A's objects", a.ids, "foreign")]
    targets = [Target("A's objects", a.ids, "own"), Target("B's objects", b.ids, "foreign")]
    if caller == "agent" and route.sessions and names_in_path(route, COLLEAGUE_IDS) is not None:
        targets.append(Target("a colleague's objects", a.colleague_ids, "colleague"))
    return targets


def api_expected(route: ApiRoute, caller: str, kind: str) -> int:
    if caller == "key without the scope":
        scopes = NARROW_KEYS[narrow_key(route)]
    else:
        scopes = API_CALLERS[caller]
    if scopes is None:
        return 401
    if caller in ("viewer", "agent") and not route.sessions:
        return 401  # session tokens are Pulse's alone
    if route.scope is not None and route.scope not in scopes:
        return 403
    if kind == "colleague":
        return 404 if names_in_path(route, COLLEAGUE_IDS) else route.foreign
    if kind == "foreign" and route.names_objects:
        return 404 if PLACEHOLDER.search(route.path) else route.foreign
    return route.ok


def api_call(client: Client, route: ApiRoute, ids: dict[str, Any], headers: dict[str, str]) -> Any:
    path = fill(route.path, ids)
    method = getattr(client, route.method)
    if route.multipart:
        upload = io.BytesIO(b"%PDF-1.4 matrix")
        upload.name = "matrix.pdf"
        return client.post(path, {**fill(route.body, ids), "files": upload}, headers=headers)
    if route.body is None:
        return method(path, headers=headers)
    return method(
        path,
        data=json.dumps(fill(route.body, ids)),
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize("route", API_ROUTES, ids=[r.id for r in API_ROUTES])
def test_every_api_route_answers_every_caller_within_its_own_workspace_only(
    client, tenant_a, tenant_b, no_outbound_http, route
):
    a, b = tenant_a, tenant_b
    world = snapshots(a.workspace, b.workspace)
    problems = []
    for caller in API_CALLERS:
        caller_ws = "B" if caller == "other workspace's key" else "A"
        other = "B" if caller_ws == "A" else "A"
        headers = api_headers(route, caller, a, b)
        for target in api_targets(route, caller, a, b):
            expected = api_expected(route, caller, target.kind)
            response, a_changed, b_changed = isolated(
                lambda ids=target.ids, headers=headers: api_call(client, route, ids, headers),
                a,
                b,
                world,
            )
            MATRIX_CALLS["api"] += 1
            where = f"{caller} on {target.label}"
            if response.status_code != expected:
                problems.append(
                    f"{where}: {response.status_code} != {expected} {response.content[:200]}"
                )
            text = response.content.decode("utf-8", "replace").lower()
            if MARKER[other] in text:
                problems.append(f"{where}: the answer shows a row of workspace {other}")
            if caller == "agent" and COLLEAGUE_MARKER in text:
                problems.append(f"{where}: the answer shows a colleague's lead to an agent")
            if b_changed if other == "B" else a_changed:
                problems.append(f"{where}: workspace {other} changed")
            if response.status_code >= 400 and (a_changed or b_changed):
                problems.append(f"{where}: refused ({response.status_code}) but wrote")
            if target.kind == "colleague" and (a_changed or b_changed):
                problems.append(f"{where}: named a colleague's lead, yet wrote")
    MATRIX_ROUTES["api"] += 1
    assert problems == []


# --- the staff pages --------------------------------------------------------------------

# Callers signed in as a member, by the role they have. "agent, setting off" is A's agent
# while the workspace setting a route is gated on (route.gate) is switched off.
GATED = "agent, setting off"
MEMBERS = {
    "viewer": "viewer",
    "agent": "agent",
    "owner": "owner",
    "other workspace's owner": "owner",
    GATED: "agent",
}
STAFF_CALLERS = [
    "own key",
    "other workspace's key",
    "no credential",
    "revoked key",
    "key without the scope",
    "viewer",
    "agent",
    "owner",
    "other workspace's owner",
    GATED,
]
UPLOAD = b"First name,Email\nMatrix,matrix@upload.test\n"


def staff_targets(route: StaffRoute, caller: str, a: Tenant, b: Tenant) -> list[Target]:
    if caller in ("other workspace's key", "other workspace's owner"):
        return [Target("A's objects", a.ids, "foreign")]
    if caller == GATED:
        return [Target("A's objects", a.ids, "own")] if route.gate else []
    targets = [Target("A's objects", a.ids, "own"), Target("B's objects", b.ids, "foreign")]
    if caller not in MEMBERS:
        return targets  # API credentials: refused before any lookup
    if route.later_placeholders:
        mixed = a.ids | {name: b.ids[name] for name in route.later_placeholders}
        targets.append(Target("A's first object with B's ids after it", mixed, "mixed"))
    if caller == "agent" and route.names(COLLEAGUE_IDS):
        targets.append(Target("a colleague's objects", a.colleague_ids, "colleague"))
    return targets


def staff_expected(route: StaffRoute, caller: str, kind: str) -> int:
    role = MEMBERS.get(caller)
    if role is None:
        return 302  # to the sign-in page: API credentials never open a staff page
    if ROLE_RANK[role] < ROLE_RANK[route.role]:
        return 403
    if caller == GATED:
        return 403
    if kind == "mixed":
        return route.mixed_status
    if kind == "colleague":
        return route.foreign if route.colleague is None else route.colleague
    if kind == "foreign" and route.names_objects:
        return route.foreign
    if isinstance(route.ok, dict):
        return route.ok.get(caller, route.ok.get(role, 404))
    return route.ok


def staff_client(caller: str, a: Tenant, b: Tenant) -> tuple[Client, str]:
    """A client signed in (or carrying an API key) as the caller; and its workspace."""
    client = Client()
    members = {
        "viewer": a.viewer,
        "agent": a.agent,
        "owner": a.owner,
        "other workspace's owner": b.owner,
        GATED: a.agent,
    }
    if caller in members:
        client.force_login(members[caller].user)
        return client, "B" if caller == "other workspace's owner" else "A"
    secret = {
        "own key": a.key,
        "other workspace's key": b.key,
        "revoked key": a.keys["revoked key"],
        "key without the scope": a.keys["read-only key"],
    }.get(caller)
    if secret is not None:
        client.defaults.update(HTTP_X_API_KEY=secret, HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client, "B" if caller == "other workspace's key" else "A"


def staff_call(client: Client, route: StaffRoute, ids: dict[str, Any]) -> Any:
    path = fill(route.path, ids)
    if route.method == "get":
        return client.get(path)
    data = fill(route.body, ids)
    if route.upload:
        data[route.upload] = SimpleUploadedFile("matrix.csv", UPLOAD, content_type="text/csv")
    return client.post(path, data)


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=[r.id for r in STAFF_ROUTES])
def test_every_staff_page_answers_every_caller_within_its_own_workspace_only(
    tenant_a, tenant_b, no_outbound_http, route
):
    a, b = tenant_a, tenant_b
    world = snapshots(a.workspace, b.workspace)
    problems = []
    for caller in STAFF_CALLERS:
        client, caller_ws = staff_client(caller, a, b)
        for target in staff_targets(route, caller, a, b):
            expected = staff_expected(route, caller, target.kind)

            def call(ids=target.ids, client=client):
                # A CSV export streams: read it while the savepoint is open.
                response = staff_call(client, route, ids)
                if response.streaming:
                    return response, b"".join(response.streaming_content)
                return response, response.content

            if caller == GATED:
                # The setting is switched off inside a savepoint of its own, so the
                # snapshots compare the call alone.
                with transaction.atomic():
                    Workspace.objects.filter(pk=a.workspace.pk).update(**{route.gate: False})
                    (response, body), a_changed, b_changed = isolated(call, a, b)
                    transaction.set_rollback(True)
            else:
                (response, body), a_changed, b_changed = isolated(call, a, b, world)
            MATRIX_CALLS["staff"] += 1
            where = f"{route.id} {caller} on {target.label}"
            if response.status_code != expected:
                problems.append(f"{where}: {response.status_code} != {expected}")
            elif (
                expected == 302
                and caller not in MEMBERS
                and not response["Location"].startswith("/accounts/login/")
            ):
                problems.append(f"{where}: sent to {response['Location']}, not to sign in")
            other = "B" if caller_ws == "A" else "A"
            text = body.decode("utf-8", "replace").lower()
            if MARKER[other] in text:
                problems.append(f"{where}: the page shows workspace {other}")
            if MEMBERS.get(caller) == "agent" and COLLEAGUE_MARKER in text:
                problems.append(f"{where}: the page shows a colleague's lead or import to an agent")
            if b_changed if other == "B" else a_changed:
                problems.append(f"{where}: workspace {other} changed")
            if response.status_code >= 400 and (a_changed or b_changed):
                problems.append(f"{where}: refused ({response.status_code}) but wrote")
            refused = target.kind in ("mixed", "colleague") or (
                target.kind == "foreign" and route.names_objects
            )
            if refused and (a_changed or b_changed):
                problems.append(f"{where}: named objects it may not touch, yet wrote")
    MATRIX_ROUTES["staff"] += 1
    assert problems == []


def test_a_staff_export_lists_only_the_callers_workspace(client, tenant_a, tenant_b):
    client.force_login(tenant_a.viewer.user)
    response = client.get("/leads/export.csv")
    text = b"".join(response.streaming_content).decode()
    assert "acme-lead" in text and "bravo" not in text


# --- rules for whole namespaces ---------------------------------------------------------


def test_no_admin_page_opens_without_a_staff_session(client, tenant_a):
    """AUTH-8: every admin URL, called anonymously, with an API key, or by a member who is
    not staff, goes to the admin sign-in (never 200)."""
    member = Client()
    member.force_login(tenant_a.owner.user)  # an owner, but not is_staff
    keyed = Client(HTTP_X_API_KEY=tenant_a.key, HTTP_AUTHORIZATION=f"Bearer {tenant_a.key}")
    problems = []
    walked = 0
    for pattern in url_patterns():
        if rule_for(pattern) != "admin" or pattern.key in ("admin:login", "admin:logout"):
            continue  # the admin's own sign-in and sign-out are open by design
        walked += 1
        path = "/" + pattern.route
        for arg in ("<path:object_id>", "<int:content_type_id>", "<path:object_id>"):
            path = path.replace(arg, "1")
        path = path.replace("<app_label>", "leads").replace("^", "").replace("$", "")
        if "(?P<" in path or "<" in path:
            path = "/admin/leads/lead/1/change/"
        for name, who in (("anonymous", client), ("API key", keyed), ("non-staff owner", member)):
            response = who.get(path)
            if response.status_code not in (302, 404) or (
                response.status_code == 302 and "/admin/login/" not in response["Location"]
            ):
                problems.append(f"{name} {path}: {response.status_code}")
    assert problems == []
    FIGURES.append(f"ADMIN {walked} URLs x 3 callers, none opened without a staff session")


def test_family_catch_alls_are_404_in_the_envelope_for_everyone(client, tenant_a):
    for prefix, code_of in (
        ("/api/v1/", lambda b: b["error"]["code"]),
        ("/api/agents/crm/", lambda b: b["error"]["reason"]),
        ("/api/user/", lambda b: b["code"]),
        ("/api/", lambda b: b["code"]),
    ):
        for headers in ({}, {"x-api-key": tenant_a.key}):
            response = client.get(prefix + "no/such/thing", headers=headers)
            assert response.status_code == 404
            assert code_of(response.json()) == "not_found"


def test_the_schema_and_the_account_pages_show_no_workspace_data(client, tenant_a):
    for path in ("/api/schema/", "/api/docs/", "/accounts/login/", "/accounts/password/reset/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "acme" not in response.content.decode().lower()
