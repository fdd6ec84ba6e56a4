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
        body={"name": "default", "status": "queued"},
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
    _calls(
        "autocalls-campaign-queue-claim",
        "post",
        "campaigns/{campaign}/queue/claim",
        body={"count": 1},
        scope=C_WRITE,
    ),
    _calls("autocalls-me", "get", "me", scope=None),
]


@dataclass(frozen=True)
class StaffRoute:
    """One method of one staff page. `role` is the weakest role allowed; `ok` what a
    member with that role or a stronger one gets (or per caller: {"agent": …, "owner":
    …}); `foreign` what a member gets for another workspace's objects: 404, or for a
    form that names ids in its body, the page's own refusal (it must change nothing
    either way); `colleague` the same for an agent and a colleague's lead or import
    (default: `foreign`); `mixed` what a member gets when the first id the call names is
    their own and the later ones another workspace's: 404 when one of those is in the
    path, else the page's refusal of a foreign id in its form (default: `foreign`);
    `upload` a file field that gets a fresh small CSV on every call; `gate` a workspace
    setting without which agents are refused (403) although their role would do."""

    name: str
    method: str
    path: str
    role: str = "viewer"
    ok: int | dict[str, int] = 200
    body: dict[str, Any] = field(default_factory=dict)
    foreign: int = 404
    colleague: int | None = None
    mixed: int | None = None
    upload: str = ""
    gate: str = ""

    @property
    def names_objects(self) -> bool:
        return bool(PLACEHOLDER.search(self.path + json.dumps(self.body)))

    def names(self, placeholders: tuple[str, ...]) -> bool:
        text = self.path + json.dumps(self.body)
        return any("{" + name + "}" in text for name in placeholders)

    @property
    def later_placeholders(self) -> list[str]:
        """The ids a call names after its first one (a lead's item in the path, a stage
        or a team in the form): each must be looked up inside the caller's workspace
        (and the first object), never on its own."""
        found = PLACEHOLDER.findall(self.path + json.dumps(self.body))
        return [m[1:-1] for m in dict.fromkeys(found)][1:]

    @property
    def mixed_status(self) -> int:
        if any("{" + name + "}" in self.path for name in self.later_placeholders):
            return 404
        return self.foreign if self.mixed is None else self.mixed

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


IMPORTS = "agents_can_import"
# One seat row of the rotation form (Django's formset management form included).
SEATS = {
    "seats-TOTAL_FORMS": "1",
    "seats-INITIAL_FORMS": "0",
    "seats-MIN_NUM_FORMS": "0",
    "seats-MAX_NUM_FORMS": "50",
    "seats-0-member": "{member}",
    "seats-0-weight": "2",
    "seats-0-ORDER": "1",
}
WEBHOOK_FORM = {
    "url": "https://hooks.example.com/matrix",
    "event_types": ["lead.created", "lead.updated"],
    "timeout_seconds": "10",
    "retry_attempts": "5",
    "is_active": "on",
}
CAMPAIGN_FORM = {
    "timezone": "America/New_York",
    "allowed_hours_start": "09:00",
    "allowed_hours_end": "17:00",
    "allowed_days": ["monday", "tuesday", "wednesday"],
    "max_calls_in_parallel": "2",
    "max_retries": "1",
    "retry_interval_minutes": "60",
    "variables": "offer",
    "script": "Hello, this is Leadbook calling.",
}

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
    # The world's saved view is the viewer's own; to anyone else it is a colleague's: 404.
    StaffRoute(
        "leads:saved_view_delete",
        "post",
        "/leads/views/{saved_view}/delete/",
        ok={"viewer": 302, "agent": 404, "owner": 404},
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
        mixed=302,  # back to the lead: "choose a stage of this workspace"
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
        mixed=302,  # back to the board: "that stage does not exist in this workspace"
    ),
    # --- the lead page: checklist, status, documents, follow-ups and drafts ---
    StaffRoute(
        "checklists:lead_checklist_item",
        "post",
        "/leads/{lead_pk}/checklist/{item}/",
        role="agent",
        ok=302,
        body={"item{item}-value": "98-7654321", "item{item}-status": ""},
    ),
    StaffRoute(
        "checklists:lead_status",
        "post",
        "/leads/{lead_pk}/status/",
        role="agent",
        ok=302,
        body={"lead-status": "review"},
    ),
    StaffRoute(
        "checklists:lead_document_upload",
        "post",
        "/leads/{lead_pk}/documents/",
        role="agent",
        ok=302,
        body={"upload-item": "{item_uuid}"},
        upload="upload-files",
        mixed=302,  # back to the lead: that item is not a choice
    ),
    StaffRoute(
        "leads:lead_message_create",
        "post",
        "/leads/{lead_pk}/messages/",
        role="agent",
        ok=302,
        body={"channel": "EMAIL", "subject": "Hello", "body": "Matrix draft", "intent": "draft"},
    ),
    StaffRoute(
        "leads:lead_draft_approve",
        "post",
        "/leads/{lead_pk}/messages/{draft}/approve/",
        role="agent",
        ok=302,
        body={"send_at": ""},
    ),
    StaffRoute(
        "leads:lead_message_cancel",
        "post",
        "/leads/{lead_pk}/messages/{followup}/cancel/",
        role="agent",
        ok=302,
    ),
    # --- settings: owners and admins only, every method ---
    StaffRoute("leads:settings_routing", "get", "/settings/routing/", role="admin"),
    StaffRoute("leads:settings_team_new", "get", "/settings/routing/teams/new/", role="admin"),
    StaffRoute(
        "leads:settings_team_new",
        "post",
        "/settings/routing/teams/new/",
        role="admin",
        ok=302,
        body={"name": "Matrix team", "is_active": "on", "members": ["{member}"]},
        foreign=200,  # the form is shown again: that member is not a choice here
    ),
    StaffRoute("leads:settings_team", "get", "/settings/routing/teams/{team}/", role="admin"),
    StaffRoute(
        "leads:settings_team",
        "post",
        "/settings/routing/teams/{team}/",
        role="admin",
        ok=302,
        body={"name": "Renamed team", "is_active": "on", "members": ["{member}"]},
        mixed=200,  # the form again: that member is not a choice here
    ),
    StaffRoute("leads:settings_source_new", "get", "/settings/routing/sources/new/", role="admin"),
    StaffRoute(
        "leads:settings_source_new",
        "post",
        "/settings/routing/sources/new/",
        role="admin",
        ok=302,
        body={"name": "Matrix source", "team": "{team}", "is_active": "on"},
        foreign=200,
    ),
    StaffRoute("leads:settings_source", "get", "/settings/routing/sources/{source}/", role="admin"),
    StaffRoute(
        "leads:settings_source",
        "post",
        "/settings/routing/sources/{source}/",
        role="admin",
        ok=302,
        body={"name": "Renamed source", "team": "{team}", "is_active": "on"},
        mixed=200,
    ),
    StaffRoute(
        "leads:settings_rotation_new", "get", "/settings/routing/rotations/new/", role="admin"
    ),
    StaffRoute(
        "leads:settings_rotation_new",
        "post",
        "/settings/routing/rotations/new/",
        role="admin",
        ok=302,
        body={"name": "Matrix rotation", "team": "{team}", "status": "queued", **SEATS},
        foreign=200,
    ),
    StaffRoute(
        "leads:settings_rotation",
        "get",
        "/settings/routing/rotations/{rotation}/",
        role="admin",
    ),
    StaffRoute(
        "leads:settings_rotation",
        "post",
        "/settings/routing/rotations/{rotation}/",
        role="admin",
        ok=302,
        body={"name": "Renamed rotation", "team": "{team}", "status": "active", **SEATS},
        mixed=200,
    ),
    StaffRoute(
        "leads:settings_seat_availability",
        "post",
        "/settings/routing/rotations/{rotation}/seats/{seat}/availability/",
        role="admin",
        ok=302,
        body={"taking_leads": "false"},
    ),
    StaffRoute("leads:settings_api_keys", "get", "/settings/api-keys/", role="admin"),
    StaffRoute(
        "leads:settings_api_keys",
        "post",
        "/settings/api-keys/",
        role="admin",
        ok=201,
        body={"name": "Matrix key", "scopes": ["leads:read"]},
    ),
    StaffRoute(
        "leads:settings_api_key_revoke",
        "post",
        "/settings/api-keys/{api_key}/revoke/",
        role="admin",
        ok=302,
    ),
    StaffRoute("leads:settings_webhooks", "get", "/settings/webhooks/", role="admin"),
    StaffRoute(
        "leads:settings_webhooks",
        "post",
        "/settings/webhooks/",
        role="admin",
        ok=201,
        body={**WEBHOOK_FORM, "payload_format": "standard"},
    ),
    StaffRoute("leads:settings_webhook", "get", "/settings/webhooks/{webhook_pk}/", role="admin"),
    StaffRoute(
        "leads:settings_webhook",
        "post",
        "/settings/webhooks/{webhook_pk}/",
        role="admin",
        ok=302,
        body={**WEBHOOK_FORM, "description": "Changed"},
    ),
    StaffRoute(
        "leads:settings_webhook_rotate",
        "post",
        "/settings/webhooks/{webhook_pk}/rotate-secret/",
        role="admin",
    ),
    StaffRoute(
        "leads:settings_webhook_delete",
        "post",
        "/settings/webhooks/{webhook_pk}/delete/",
        role="admin",
        ok=302,
    ),
    StaffRoute(
        "leads:settings_webhook_redeliver",
        "post",
        "/settings/webhooks/{webhook_pk}/deliveries/{delivery}/redeliver/",
        role="admin",
        ok=302,
    ),
    StaffRoute("leads:settings_audit", "get", "/settings/audit/", role="admin"),
    StaffRoute("leads:settings_audit_export", "get", "/settings/audit/export.csv", role="admin"),
    # --- imports: managers and up; agents when the workspace allows it (the world does),
    # and then only their own imports; viewers never ---
    StaffRoute("leads:import_list", "get", "/imports/", role="agent", gate=IMPORTS),
    StaffRoute(
        "leads:import_list",
        "post",
        "/imports/",
        role="agent",
        ok=302,
        upload="file",
        gate=IMPORTS,
    ),
    StaffRoute("leads:import_access", "post", "/imports/access/", role="admin", ok=302),
    StaffRoute("leads:import_detail", "get", "/imports/{import_job}/", role="agent", gate=IMPORTS),
    StaffRoute(
        "leads:import_detail",
        "post",
        "/imports/{import_job}/",
        role="agent",
        ok=302,
        body={"action": "start", "on_duplicate": "update", "col_0": "first_name", "col_1": "email"},
        gate=IMPORTS,
    ),
    StaffRoute(
        "leads:import_progress",
        "get",
        "/imports/{import_job}/progress/",
        role="agent",
        gate=IMPORTS,
    ),
    StaffRoute(
        "leads:import_errors", "get", "/imports/{import_job}/errors.csv", role="agent", gate=IMPORTS
    ),
    # A draft cannot be reverted or stopped: the page says so and changes nothing.
    StaffRoute(
        "leads:import_revert",
        "post",
        "/imports/{import_job}/revert/",
        role="agent",
        ok=302,
        gate=IMPORTS,
    ),
    StaffRoute(
        "leads:import_cancel",
        "post",
        "/imports/{import_job}/cancel/",
        role="agent",
        ok=302,
        gate=IMPORTS,
    ),
    # --- campaigns: everyone sees them, agents work the call queue, managers and up
    # create, change, start, stop and fill them ---
    StaffRoute("campaigns:list", "get", "/campaigns/"),
    StaffRoute("campaigns:create", "get", "/campaigns/new/", role="manager"),
    StaffRoute(
        "campaigns:create",
        "post",
        "/campaigns/new/",
        role="manager",
        ok=302,
        body={**CAMPAIGN_FORM, "name": "Matrix campaign"},
    ),
    StaffRoute(
        "campaigns:enroll_selection",
        "post",
        "/campaigns/enroll/",
        role="manager",
        ok=302,
        body={"ids": ["{lead_pk}"], "campaign": "{campaign}", "confirm": "1"},
        foreign=302,  # back to the lead list: "some selected leads no longer exist"
        mixed=422,  # the choice again: "choose a campaign"
    ),
    StaffRoute("campaigns:detail", "get", "/campaigns/{campaign}/"),
    StaffRoute("campaigns:edit", "get", "/campaigns/{campaign}/edit/", role="manager"),
    StaffRoute(
        "campaigns:edit",
        "post",
        "/campaigns/{campaign}/edit/",
        role="manager",
        ok=302,
        body={**CAMPAIGN_FORM, "name": "Renamed campaign"},
    ),
    StaffRoute("campaigns:start", "post", "/campaigns/{campaign}/start/", role="manager", ok=302),
    StaffRoute("campaigns:stop", "post", "/campaigns/{campaign}/stop/", role="manager", ok=302),
    StaffRoute(
        "campaigns:enroll_view",
        "post",
        "/campaigns/{campaign}/enroll/",
        role="manager",
        ok=302,
        body={"saved_view": "{saved_view}"},
        mixed=302,  # back to the campaign: "choose one of your saved views"
    ),
    StaffRoute("campaigns:queue", "get", "/campaigns/{campaign}/queue/", role="agent"),
    StaffRoute("campaigns:queue", "post", "/campaigns/{campaign}/queue/", role="agent"),
    # The agent holds the number; for anyone else it is not theirs to report on (422).
    StaffRoute(
        "campaigns:queue_outcome",
        "post",
        "/campaigns/{campaign}/queue/{queue_entry}/outcome/",
        role="agent",
        ok={"agent": 200, "owner": 422},
        body={"outcome": "no_answer", "note": "Matrix"},
    ),
    StaffRoute(
        "campaigns:queue_release", "post", "/campaigns/{campaign}/queue/release/", role="agent"
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
