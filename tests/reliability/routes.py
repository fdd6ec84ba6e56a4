"""Every URL pattern of the project, found by walking the URL resolver, and what each must
answer to whom (the tenancy matrix in test_tenancy.py reads this).

A pattern that has no entry here fails test_every_url_pattern_declares_what_it_answers:
declare it in API_ROUTES or STAFF_ROUTES (by URL name), or in PREFIX_RULES for a whole
namespace, when you add a page or an endpoint."""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

READ, WRITE = "leads:read", "leads:write"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
C_READ, C_WRITE = "campaigns:read", "campaigns:write"
HOOKS, SETTINGS = "webhooks:manage", "settings:manage"


@dataclass(frozen=True)
class Pattern:
    """One URL pattern: its route (prefixes joined), its name and namespace, its view."""

    route: str
    name: str | None
    namespace: str | None
    callback: Any

    @property
    def key(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else (self.name or "")

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)


def url_patterns() -> list[Pattern]:
    """Every pattern the project's URL resolver knows, with its full route."""
    found: list[Pattern] = []

    def walk(entries: list, prefix: str, namespace: str | None) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                if entry.namespace and namespace and entry.namespace != namespace:
                    ns = f"{namespace}:{entry.namespace}"
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                found.append(
                    Pattern(prefix + str(entry.pattern), entry.name, namespace, entry.callback)
                )

    walk(get_resolver().url_patterns, "", None)
    return found


@dataclass(frozen=True)
class ApiRoute:
    """One method of one API endpoint.

    path: with {lead_uuid}, {lead_pk}, {team}, … (tests/reliability/world.py Tenant.ids);
    body: JSON (or multipart when `multipart`), formatted the same way;
    scope: what a key needs (None: any valid credential);
    ok: the status of a successful call;
    foreign: the status when the ids (in the path or the body) belong to another
    workspace — 404 exactly like a missing id, or the family's validation status where
    the id travels in the body as a reference;
    sessions: Pulse session tokens are accepted (the Pulse family only)."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    scope: str | None = READ
    ok: int = 200
    foreign: int | None = None
    multipart: bool = False
    sessions: bool = False

    @property
    def names_objects(self) -> bool:
        return bool(PLACEHOLDER.search(self.path + json.dumps(self.body)))

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _omni(name: str, method: str, path: str, **kw: Any) -> ApiRoute:
    return ApiRoute(name, method, "/api/v1/" + path, **kw)


def _mega(name: str, method: str, path: str, **kw: Any) -> ApiRoute:
    return ApiRoute(name, method, "/api/agents/crm/" + path, **kw)


def _pulse(name: str, method: str, path: str, **kw: Any) -> ApiRoute:
    return ApiRoute(name, method, "/api/" + path, sessions=True, **kw)


def _calls(name: str, method: str, path: str, **kw: Any) -> ApiRoute:
    return ApiRoute(name, method, "/api/user/" + path, **kw)


API_ROUTES: list[ApiRoute] = [
    # --- OmniAI ---
    _omni("omni-leads", "post", "leads", body={"firstName": "Matrix"}, scope=WRITE, ok=201),
    _omni(
        "omni-leads",
        "put",
        "leads",
        body={"leadId": "{lead_uuid}", "lastName": "Changed"},
        scope=WRITE,
        foreign=404,
    ),
    _omni("omni-lead", "get", "leads/{lead_uuid}"),
    _omni("omni-lead-checklist", "get", "leads/{lead_uuid}/checklist"),
    _omni(
        "omni-lead-checklist-items",
        "post",
        "leads/{lead_uuid}/checklist-items",
        body={"label": "Signed form", "fieldType": "TEXT"},
        scope=WRITE,
        ok=201,
    ),
    _omni("omni-lead-documents", "get", "leads/{lead_uuid}/documents"),
    _omni("omni-lead-action-logs", "get", "leads/{lead_uuid}/action-logs"),
    _omni(
        "omni-activity",
        "post",
        "activity",
        body={"leadId": "{lead_uuid}", "eventType": "call", "title": "Called"},
        scope=WRITE,
        ok=201,
        foreign=404,
    ),
    _omni(
        "omni-documents",
        "post",
        "documents",
        body={"leadId": "{lead_uuid}"},
        multipart=True,
        scope=WRITE,
        ok=201,
        foreign=404,
    ),
    # --- MEGA ---
    _mega("mega-leads", "get", "leads"),
    _mega("mega-leads", "post", "leads", body={"contact_name": "Matrix Lead"}, scope=WRITE, ok=201),
    _mega(
        "mega-leads-bulk",
        "post",
        "leads/bulk",
        body={"leads": [{"contact_name": "Bulk Lead", "contact_email": "bulk@x.test"}]},
        scope=WRITE,
    ),
    _mega("mega-webhooks", "get", "lead-webhooks", scope=HOOKS),
    _mega(
        "mega-webhooks",
        "post",
        "lead-webhooks",
        body={"url": "https://hooks.example.com/new", "event_types": ["lead.created"]},
        scope=HOOKS,
        ok=201,
    ),
    _mega(
        "mega-webhook-detail",
        "patch",
        "lead-webhooks/{webhook}",
        body={"description": "changed"},
        scope=HOOKS,
    ),
    _mega("mega-webhook-detail", "delete", "lead-webhooks/{webhook}", scope=HOOKS),
    # --- Pulse ---
    _pulse("pulse-session", "get", "auth/session", scope=None),
    _pulse("pulse-leads", "get", "leads"),
    _pulse(
        "pulse-leads",
        "post",
        "leads",
        body={
            "firstName": "Matrix",
            "lastName": "Lead",
            "teamId": "{team}",
            "leadSourceId": "{source}",
        },
        scope=WRITE,
        ok=201,
        foreign=400,
    ),
    _pulse("pulse-lead", "get", "leads/{lead_pk}"),
    _pulse("pulse-lead", "patch", "leads/{lead_pk}", body={"notes": "n"}, scope=WRITE),
    _pulse("pulse-lead", "delete", "leads/{lead_pk}", scope=WRITE),
    _pulse("pulse-lead-archive", "post", "leads/{lead_pk}/archive", scope=WRITE),
    _pulse("pulse-lead-archive", "delete", "leads/{lead_pk}/archive", scope=WRITE),
    _pulse("pulse-teams", "get", "teams"),
    _pulse("pulse-teams", "post", "teams", body={"name": "New team"}, scope=SETTINGS, ok=201),
    _pulse("pulse-team", "get", "teams/{team}"),
    _pulse("pulse-team", "patch", "teams/{team}", body={"name": "Renamed"}, scope=SETTINGS),
    _pulse("pulse-lead-sources", "get", "lead-sources"),
    _pulse(
        "pulse-lead-sources",
        "post",
        "lead-sources",
        body={"name": "New source", "teamId": "{team}"},
        scope=SETTINGS,
        ok=201,
        foreign=400,
    ),
    _pulse("pulse-lead-source", "get", "lead-sources/{source}"),
    _pulse(
        "pulse-lead-source",
        "patch",
        "lead-sources/{source}",
        body={"name": "Renamed"},
        scope=SETTINGS,
    ),
    _pulse("pulse-rotations", "get", "lead-rotations"),
    _pulse(
        "pulse-rotations",
        "post",
        "lead-rotations",
        body={"name": "Queued", "status": "queued"},
        scope=SETTINGS,
        ok=201,
    ),
    _pulse("pulse-rotation", "get", "lead-rotations/{rotation}"),
    _pulse(
        "pulse-rotation",
        "patch",
        "lead-rotations/{rotation}",
        body={"name": "Renamed"},
        scope=SETTINGS,
    ),
    _pulse("pulse-rotation", "delete", "lead-rotations/{rotation}", scope=SETTINGS),
    _pulse(
        "pulse-rotation-status",
        "patch",
        "lead-rotations/{rotation}/status",
        body={"status": "queued"},
        scope=SETTINGS,
    ),
    _pulse("pulse-rotation-next-user", "get", "lead-rotations/{rotation}/next-user", scope=WRITE),
    # --- Autocalls ---
    _calls(
        "autocalls-lead-create",
        "post",
        "lead",
        body={"phone_number": "+12065550199", "campaign_id": "{campaign}"},
        scope=C_WRITE,
        foreign=404,
    ),
    _calls("autocalls-lead-list", "get", "leads", scope=C_READ),
    _calls(
        "autocalls-lead-detail",
        "put",
        "leads/{campaign_lead}",
        body={"variables": {"note": "x"}},
        scope=C_WRITE,
    ),
    _calls("autocalls-lead-detail", "delete", "leads/{campaign_lead}", scope=C_WRITE),
    _calls(
        "autocalls-lead-calls",
        "post",
        "leads/{campaign_lead}/calls",
        body={"outcome": "no_answer"},
        scope=C_WRITE,
    ),
    _calls("autocalls-campaign-list", "get", "campaigns", scope=C_READ),
    _calls(
        "autocalls-campaign-create",
        "post",
        "campaign",
        body={"name": "Matrix campaign"},
        scope=C_WRITE,
        ok=201,
    ),
    _calls(
        "autocalls-campaign-status",
        "post",
        "campaigns/update-status",
        body={"campaign_id": "{campaign}", "action": "stop"},
        scope=C_WRITE,
        foreign=404,
    ),
    _calls("autocalls-campaign-queue", "get", "campaigns/{campaign}/queue", scope=C_READ),
    _calls("autocalls-me", "get", "me", scope=None),
]


@dataclass(frozen=True)
class StaffRoute:
    """One method of one staff page. `role` is the weakest role allowed; `ok` what that
    role gets; `foreign` what a member gets for another workspace's (or, for an agent, a
    colleague's) objects: 404, or for a form that names ids in its body, the page's own
    refusal (it must change nothing either way)."""

    name: str
    method: str
    path: str
    role: str = "viewer"
    ok: int | dict[str, int] = 200
    body: dict[str, Any] = field(default_factory=dict)
    foreign: int = 404

    @property
    def names_objects(self) -> bool:
        return bool(PLACEHOLDER.search(self.path + json.dumps(self.body)))

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


STAFF_ROUTES: list[StaffRoute] = [
    StaffRoute("leads:dashboard", "get", "/"),
    StaffRoute("leads:workspace_switch", "post", "/workspace/switch/", ok=302, body={"w": "1"}),
    StaffRoute("leads:lead_list", "get", "/leads/"),
    StaffRoute(
        "leads:lead_bulk",
        "post",
        "/leads/bulk/",
        role="agent",
        ok=302,
        body={"action": "tag", "tags": "matrix", "ids": ["{lead_pk}"]},
        foreign=302,
    ),
    StaffRoute("leads:lead_export", "get", "/leads/export.csv"),
    StaffRoute("leads:saved_view_create", "post", "/leads/views/", ok=302, body={"name": "Matrix"}),
    # The world's saved view is the viewer's own; to the agent it is a colleague's: 404.
    StaffRoute(
        "leads:saved_view_delete",
        "post",
        "/leads/views/{saved_view}/delete/",
        ok={"viewer": 302, "agent": 404},
    ),
    StaffRoute("leads:lead_create", "get", "/leads/new/", role="agent"),
    StaffRoute(
        "leads:lead_create",
        "post",
        "/leads/new/",
        role="agent",
        ok=302,
        body={"first_name": "Made", "stage": "{stage}"},
        foreign=200,  # the form is shown again: that stage is not a choice here
    ),
    StaffRoute("leads:lead_detail", "get", "/leads/{lead_pk}/"),
    StaffRoute(
        "leads:lead_detail",
        "post",
        "/leads/{lead_pk}/",
        role="agent",
        ok=302,
        body={"first_name": "Edited"},
    ),
    StaffRoute(
        "leads:lead_stage",
        "post",
        "/leads/{lead_pk}/stage/",
        role="agent",
        ok=302,
        body={"stage": "{stage}"},
    ),
    StaffRoute(
        "leads:lead_assign",
        "post",
        "/leads/{lead_pk}/assign/",
        role="manager",
        ok=302,
        body={"assignee": "rotation"},
    ),
    StaffRoute(
        "leads:lead_opt_out",
        "post",
        "/leads/{lead_pk}/opt-out/",
        role="agent",
        ok=302,
        body={"opted_out": "true"},
    ),
    StaffRoute(
        "leads:lead_archive",
        "post",
        "/leads/{lead_pk}/archive/",
        role="manager",
        ok=302,
        body={"archived": "true"},
    ),
    StaffRoute("leads:lead_merge", "get", "/leads/{lead_pk}/merge/{twin_pk}/", role="agent"),
    StaffRoute(
        "leads:lead_merge",
        "post",
        "/leads/{lead_pk}/merge/{twin_pk}/",
        role="agent",
        body={
            "step": "review",
            **dict.fromkeys(
                ("first_name", "phone", "timezone", "stage", "team", "lead_source"), "survivor"
            ),
        },
    ),
    StaffRoute(
        "leads:lead_merge_undo",
        "post",
        "/leads/{lead_pk}/merges/{log}/undo/",
        role="agent",
        ok=302,
    ),
    StaffRoute("leads:pipeline", "get", "/pipeline/"),
    StaffRoute(
        "leads:pipeline",
        "post",
        "/pipeline/",
        role="agent",
        ok=302,
        body={"lead": "{lead_pk}", "stage": "{stage}"},
    ),
]

# Patterns covered by a rule for their whole namespace or kind, checked in test_tenancy:
# - admin: Django's admin; staff users only, scoped by admin_base (tests/leads/test_admin);
#   nobody without a staff session gets in, whatever API credential they send.
# - accounts: signing in and out, passwords; no workspace data, open to anonymous visitors.
# - checklists:document-download: a signed, expiring link (the signature is the credential).
# - api-schema/api-docs/api-redoc: the public OpenAPI document and its viewers.
# - pulse-login: trades credentials in the body for a session token of their own
#   workspace (tests/api/pulse/test_auth.py; lockout in test_posture.py).
# - family catch-alls (unnamed): any other path under a family's prefix is a 404 in that
#   family's envelope, whoever asks.
PREFIX_RULES: dict[str, str] = {
    "admin:": "admin",
    "accounts:": "public",
    "checklists:document-download": "signed",
    "api-schema": "public",
    "api-docs": "public",
    "api-redoc": "public",
    "pulse-login": "login",
    "": "family-catch-all",
}


def rule_for(pattern: Pattern) -> str | None:
    """How a pattern is covered: "api", "staff" or a PREFIX_RULES rule; None if nowhere."""
    key = pattern.key
    if any(route.name == key for route in API_ROUTES):
        return "api"
    if any(route.name == key for route in STAFF_ROUTES):
        return "staff"
    if key == "" and pattern.route.startswith("api/"):
        return PREFIX_RULES[""]
    for prefix, rule in PREFIX_RULES.items():
        if prefix and (key == prefix or (prefix.endswith(":") and key.startswith(prefix))):
            return rule
    return None
