"""Demo data: a workspace with members, teams, routing, stages, custom fields, checklists,
a campaign and some leads.

`make run` runs this every time, on a workspace people have been using, so it only ever
adds: each demo object is looked up by a key that editing does not change (a user by
email, a stage by slug, a team's rotation by its team, ...) and created when missing.
What exists is never changed or deleted: renamed rotations, added members, new weights and
changed passwords survive. The one exception is the demo API key: each run mints a new one
and revokes the keys earlier runs minted, so unused all-scope keys do not pile up."""

import json
import os
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from campaigns.models import Campaign
from checklists.models import ChecklistGroup, ChecklistItem
from leads.actors import Actor
from leads.models import (
    ApiKey,
    CustomField,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    RotationMember,
    Stage,
    Team,
    User,
    Workspace,
)
from leads.services.api_keys import api_key_issue, api_key_revoke
from leads.services.leads import lead_create

DEFAULT_WORKSPACE = "Demo Sales"
DEFAULT_PASSWORD = "leadbook-demo-pass"  # DEMO_PASSWORD overrides it, for new users only
DEMO_KEY_NAME = "Demo key (seed_demo)"
# Earlier versions named each run's key "Demo key <n>"; they are revoked like the others.
_OLD_DEMO_KEYS = Q(name__regex=r"^Demo key [0-9]+$")

PEOPLE = [
    ("owner", "Olivia Owner", Membership.Role.OWNER),
    ("max", "Max Manager", Membership.Role.MANAGER),
    ("ava", "Ava Agent", Membership.Role.AGENT),
    ("ben", "Ben Agent", Membership.Role.AGENT),
    ("cleo", "Cleo Agent", Membership.Role.AGENT),
    ("dan", "Dan Agent", Membership.Role.AGENT),
    ("vic", "Vic Viewer", Membership.Role.VIEWER),
]
STAGES = [
    ("new", "New", "#2563eb", False, False),
    ("contacted", "Contacted", "#0891b2", False, False),
    ("qualified", "Qualified", "#7c3aed", False, False),
    ("proposal", "Proposal", "#d97706", False, False),
    ("won", "Won", "#16a34a", True, False),
    ("lost", "Lost", "#dc2626", False, True),
]
CUSTOM_FIELDS = [
    ("budget", "Budget (USD)", CustomField.Type.NUMBER, []),
    ("industry", "Industry", CustomField.Type.TEXT, []),
    ("newsletter", "Newsletter opt-in", CustomField.Type.BOOLEAN, []),
    ("preferred_contact", "Preferred contact", CustomField.Type.SELECT, ["phone", "email", "sms"]),
]
CHECKLISTS = [
    (
        "Business Information",
        [
            ("business_name", "Business Name", "TEXT", True),
            ("legal_name", "Legal Name", "TEXT", True),
            ("tax_id", "Tax ID", "TEXT", True),
            ("business_email", "Business Email", "EMAIL", False),
        ],
    ),
    (
        "Financials",
        [
            ("monthly_revenue", "Monthly Revenue", "NUMBER", True),
            ("bank_statements", "Bank Statements (3 months)", "BANK_STATEMENT", True),
        ],
    ),
]
SAMPLE_LEADS = [
    ("Grace", "Hopper", "grace@navy.example.com", "(206) 555-0101", "Compiler Co"),
    ("Alan", "Turing", "alan@bletchley.example.com", "+44 20 7946 0958", "Enigma Ltd"),
    ("Ada", "Lovelace", "ada@engine.example.com", "212-555-0188", "Analytical Engines"),
    ("Katherine", "Johnson", "kj@orbit.example.com", "757 555 0142", "Trajectory LLC"),
    ("Linus", "Torvalds", "linus@kernel.example.com", "503.555.0175", "Kernel Works"),
    ("Margaret", "Hamilton", "mh@apollo.example.com", "6175550123", "Apollo Software"),
    ("Dennis", "Ritchie", "dmr@bell.example.com", "+1 908 555 0111", "Bell Systems"),
    ("Barbara", "Liskov", "liskov@mit.example.com", "(617) 555-0199", "Substitution Inc"),
    ("Tim", "Berners-Lee", "tbl@web.example.com", "+33 6 12 34 56 78", "Hypertext SA"),
    ("Radia", "Perlman", "radia@spanning.example.com", "425-555-0166", "Spanning Tree"),
    ("Edsger", "Dijkstra", "ewd@paths.example.com", "+31 20 555 0100", "Shortest Paths BV"),
    ("Frances", "Allen", "fran@ibm.example.com", "914-555-0133", "Optimizers"),
]


class Command(BaseCommand):
    help = (
        "Create the demo workspace, or add what it is missing (never changes or deletes "
        "what exists). Prints how to sign in and a new API key, revoking earlier demo keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default=DEFAULT_WORKSPACE)
        parser.add_argument("--json", action="store_true", help="Print one JSON object")
        parser.add_argument(
            "--url",
            default=_default_url(),
            help="Where the app is served, for the sign-in hint (default: from HOST and "
            "PORT, as `make run` uses them)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        result = seed(options["workspace"])
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        owner = result["owner"]
        login = f"{options['url'].rstrip('/')}/accounts/login/"
        self.stdout.write(
            self.style.SUCCESS(f"Workspace “{result['workspace']['name']}” is ready.")
        )
        if owner["password"] is None:
            self.stdout.write(
                f"Sign in at {login} as {owner['email']} with the password you gave it "
                "(DEMO_PASSWORD only applies to demo users created now). Also /admin/."
            )
        else:
            self.stdout.write(
                f"Sign in at {login} as {owner['email']} with password {owner['password']} "
                "(also /admin/)."
            )
        self.stdout.write(
            f"API key (all scopes, shown once; earlier demo keys are now revoked): "
            f"{result['api_key']}"
        )
        self.stdout.write(
            f"x-customer-id: {result['workspace']['uuid']}   "
            f"x-account-id: {result['workspace']['account_id']}"
        )


def _default_url() -> str:
    """The address `make run` serves on: its HOST and PORT reach the command through the
    environment whenever they are overridden, and default to what the Makefile uses."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"  # listening everywhere: this machine reaches it locally
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@transaction.atomic
def seed(name: str) -> dict[str, Any]:
    """Create what the demo workspace lacks; return how to use it (the --json contract)."""
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    workspace, _ = Workspace.objects.get_or_create(name=name)
    domain = f"{slugify(name) or 'workspace'}.example.com"

    members: dict[str, Membership] = {}
    owner_password: str | None = password
    for handle, full_name, role in PEOPLE:
        email = f"{handle}@{domain}"
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=password,
                full_name=full_name,
                is_staff=role == Membership.Role.OWNER,
            )
        elif role == Membership.Role.OWNER and not user.check_password(password):
            owner_password = None  # changed since: only its owner knows it now
        members[handle], _ = Membership.objects.get_or_create(
            workspace=workspace,
            user=user,
            defaults={"role": role, "display_name": full_name},
        )
    owner = members["owner"]

    for position, (slug, stage_name, color, won, lost) in enumerate(STAGES):
        Stage.objects.get_or_create(
            workspace=workspace,
            slug=slug,
            defaults={
                "name": stage_name,
                "color": color,
                "position": position,
                "is_won": won,
                "is_lost": lost,
            },
        )
    for position, (slug, label, kind, choices) in enumerate(CUSTOM_FIELDS):
        CustomField.objects.get_or_create(
            workspace=workspace,
            slug=slug,
            defaults={"label": label, "field_type": kind, "choices": choices, "position": position},
        )

    def team(team_name: str, people: list[Membership], sources: tuple[str, ...]) -> Team:
        team, created = Team.objects.get_or_create(
            workspace=workspace, name=team_name, defaults={"created_by": owner.user}
        )
        if created:
            team.members.add(*people)
        for source_name in sources:
            if not team.lead_sources.filter(name=source_name).exists():
                LeadSource.objects.create(
                    workspace=workspace, team=team, name=source_name, created_by=owner.user
                )
        # A team has at most one active rotation, whatever it is called now.
        if not team.rotations.filter(status=Rotation.Status.ACTIVE).exists():
            rotation(team, f"{team_name} rotation", people)
        return team

    def rotation(team: Team | None, rotation_name: str, people: list[Membership]) -> None:
        rot = Rotation.objects.create(
            workspace=workspace, team=team, name=rotation_name, created_by=owner.user
        )
        RotationMember.objects.bulk_create(
            RotationMember(workspace=workspace, rotation=rot, membership=member, order=order)
            for order, member in enumerate(people)
        )

    inbound = team(
        "Inbound",
        [members["ava"], members["ben"], members["cleo"]],
        ("Website form", "Partner referrals"),
    )
    outbound = team("Outbound", [members["dan"], members["max"]], ())
    if not Rotation.objects.filter(
        workspace=workspace, team=None, name=Rotation.DEFAULT_NAME, status=Rotation.Status.ACTIVE
    ).exists():
        rotation(
            None,
            Rotation.DEFAULT_NAME,
            [members["ava"], members["ben"], members["cleo"], members["dan"]],
        )

    for group_pos, (group_name, items) in enumerate(CHECKLISTS):
        # Group names are not unique: the oldest one of that name is the demo's.
        group = (
            ChecklistGroup.objects.filter(workspace=workspace, name=group_name)
            .order_by("id")
            .first()
        ) or ChecklistGroup.objects.create(workspace=workspace, name=group_name, position=group_pos)
        for pos, (code, label, kind, required) in enumerate(items):
            ChecklistItem.objects.get_or_create(
                workspace=workspace,
                code=code,
                defaults={
                    "group": group,
                    "label": label,
                    "field_type": kind,
                    "is_required": required,
                    "position": pos,
                },
            )

    campaign = Campaign.objects.filter(workspace=workspace, name="Spring outreach").order_by(
        "id"
    ).first() or Campaign.objects.create(
        workspace=workspace,
        name="Spring outreach",
        timezone=workspace.default_timezone,
        variables=["customer_name", "email"],
        script=f"Hi {{{{customer_name}}}}, this is {{{{agent}}}} from {workspace.name}…",
        created_by=owner.user,
    )

    if not Lead.objects.for_workspace(workspace).exists():
        _sample_leads(workspace, owner)

    actor = Actor.command_line(owner.user)
    for old in workspace.api_keys.filter(
        Q(name=DEMO_KEY_NAME) | _OLD_DEMO_KEYS, revoked_at__isnull=True
    ):
        api_key_revoke(key=old, actor=actor)
    _, secret = api_key_issue(
        workspace=workspace, actor=actor, name=DEMO_KEY_NAME, scopes=list(ApiKey.Scope.values)
    )
    return {
        "workspace": {
            "uuid": str(workspace.uuid),
            "account_id": workspace.account_id,
            "name": workspace.name,
        },
        "api_key": secret,
        "owner": {"email": owner.user.email, "password": owner_password},
        "teams": [_team_summary(t) for t in (inbound, outbound)],
        "campaign_id": campaign.pk,
        "checklist_codes": list(
            ChecklistItem.objects.filter(workspace=workspace, lead=None)
            .order_by("group__position", "group_id", "position", "id")
            .values_list("code", flat=True)
        ),
        "stage_slugs": list(
            Stage.objects.filter(workspace=workspace)
            .order_by("position", "id")
            .values_list("slug", flat=True)
        ),
        "custom_field_slugs": list(
            CustomField.objects.filter(workspace=workspace)
            .order_by("position", "id")
            .values_list("slug", flat=True)
        ),
    }


def _team_summary(team: Team) -> dict[str, Any]:
    """The team as it is now: its sources, and who takes its leads, in turn order."""
    rotation = team.rotations.get(status=Rotation.Status.ACTIVE)
    return {
        "id": team.pk,
        "name": team.name,
        "lead_source_ids": list(team.lead_sources.order_by("id").values_list("id", flat=True)),
        "rotation_emails": list(
            rotation.members.filter(is_active=True)
            .order_by("order", "id")
            .values_list("membership__user__email", flat=True)
        ),
    }


def _sample_leads(workspace: Workspace, owner: Membership) -> None:
    rng = random.Random(42)
    stages = list(Stage.objects.filter(workspace=workspace))
    actor = Actor(user=owner.user, membership=owner, source="manual")
    for first, last, email, phone, company in SAMPLE_LEADS:
        lead_create(
            workspace=workspace,
            actor=actor,
            data={
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "company": company,
                "stage": rng.choice(stages),
                "source": "Demo data",
                "custom_fields": {"budget": rng.choice([5000, 12000, 40000])},
            },
            emit_events=False,
        )
