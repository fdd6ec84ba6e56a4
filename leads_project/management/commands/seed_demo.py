"""Demo data: a workspace with members, teams, routing, stages, custom fields, checklists,
a campaign and some leads. Safe to run again: nothing is duplicated."""

import json
import os
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.text import slugify

from campaigns.models import Campaign
from checklists.models import ChecklistGroup, ChecklistItem
from leads.actors import Actor
from leads.models import (
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
from leads.services.api_keys import api_key_create
from leads.services.leads import lead_create

DEFAULT_WORKSPACE = "Demo Sales"
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "leadbook-demo-pass")

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
    help = "Create (or refresh) a demo workspace. Prints how to sign in and a new API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default=DEFAULT_WORKSPACE)
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args: object, **options: Any) -> None:
        result = seed(options["workspace"])
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            self.style.SUCCESS(f"Workspace “{result['workspace']['name']}” is ready.")
        )
        self.stdout.write(
            f"Sign in at http://127.0.0.1:8000/accounts/login/ as {result['owner']['email']} "
            f"with password {result['owner']['password']} (also /admin/)."
        )
        self.stdout.write(f"API key (all scopes, shown once): {result['api_key']}")
        self.stdout.write(
            f"x-customer-id: {result['workspace']['uuid']}   "
            f"x-account-id: {result['workspace']['account_id']}"
        )


@transaction.atomic
def seed(name: str) -> dict[str, Any]:
    workspace, _ = Workspace.objects.get_or_create(name=name)
    domain = f"{slugify(name) or 'workspace'}.example.com"

    members: dict[str, Membership] = {}
    for handle, full_name, role in PEOPLE:
        email = f"{handle}@{domain}"
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, full_name=full_name)
        user.full_name = full_name
        user.is_staff = role == Membership.Role.OWNER
        user.set_password(DEMO_PASSWORD)
        user.save()
        member, _ = Membership.objects.update_or_create(
            workspace=workspace,
            user=user,
            defaults={"role": role, "display_name": full_name, "is_active": True},
        )
        members[handle] = member
    owner = members["owner"]

    for position, (slug, stage_name, color, won, lost) in enumerate(STAGES):
        Stage.objects.update_or_create(
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
        CustomField.objects.update_or_create(
            workspace=workspace,
            slug=slug,
            defaults={"label": label, "field_type": kind, "choices": choices, "position": position},
        )

    inbound, _ = Team.objects.get_or_create(workspace=workspace, name="Inbound")
    outbound, _ = Team.objects.get_or_create(workspace=workspace, name="Outbound")
    inbound_people = [members["ava"], members["ben"], members["cleo"]]
    outbound_people = [members["dan"], members["max"]]
    inbound.members.set(inbound_people)
    outbound.members.set(outbound_people)
    for source_name in ("Website form", "Partner referrals"):
        LeadSource.objects.get_or_create(workspace=workspace, team=inbound, name=source_name)

    def rotation(team: Team | None, rotation_name: str, people: list[Membership]) -> Rotation:
        rot = Rotation.objects.filter(
            workspace=workspace, team=team, name=rotation_name, status=Rotation.Status.ACTIVE
        ).first()
        if rot is None:
            rot = Rotation.objects.create(
                workspace=workspace, team=team, name=rotation_name, created_by=owner.user
            )
        rot.members.exclude(membership__in=people).delete()
        for order, member in enumerate(people):
            RotationMember.objects.update_or_create(
                rotation=rot,
                membership=member,
                defaults={"workspace": workspace, "order": order, "weight": 1, "is_active": True},
            )
        return rot

    rotation(inbound, "Inbound rotation", inbound_people)
    rotation(outbound, "Outbound rotation", outbound_people)
    rotation(
        None,
        Rotation.DEFAULT_NAME,
        [members["ava"], members["ben"], members["cleo"], members["dan"]],
    )

    codes: list[str] = []
    for group_pos, (group_name, items) in enumerate(CHECKLISTS):
        group, _ = ChecklistGroup.objects.update_or_create(
            workspace=workspace, name=group_name, defaults={"position": group_pos}
        )
        for pos, (code, label, kind, required) in enumerate(items):
            ChecklistItem.objects.update_or_create(
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
            codes.append(code)

    campaign, _ = Campaign.objects.get_or_create(
        workspace=workspace,
        name="Spring outreach",
        defaults={
            "timezone": workspace.default_timezone,
            "variables": ["customer_name", "email"],
            "script": "Hi {{customer_name}}, this is {{agent}} from Demo Sales…",
            "created_by": owner.user,
        },
    )

    if not Lead.objects.for_workspace(workspace).exists():
        _sample_leads(workspace, owner)

    _, secret = api_key_create(
        workspace=workspace,
        name=f"Demo key {workspace.api_keys.count() + 1}",
        created_by=owner.user,
    )
    return {
        "workspace": {
            "uuid": str(workspace.uuid),
            "account_id": workspace.account_id,
            "name": workspace.name,
        },
        "api_key": secret,
        "owner": {"email": owner.user.email, "password": DEMO_PASSWORD},
        "teams": [
            {
                "id": team.pk,
                "name": team.name,
                "lead_source_ids": list(
                    team.lead_sources.order_by("id").values_list("id", flat=True)
                ),
                "rotation_emails": [
                    m.membership.user.email
                    for m in team.rotations.get(status=Rotation.Status.ACTIVE)
                    .members.select_related("membership__user")
                    .order_by("order", "id")
                ],
            }
            for team in (inbound, outbound)
        ],
        "campaign_id": campaign.pk,
        "checklist_codes": codes,
        "stage_slugs": [s[0] for s in STAGES],
        "custom_field_slugs": [c[0] for c in CUSTOM_FIELDS],
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
