"""A small, realistic workspace for the reliability tests: two workspaces, every kind of
object the API and the staff pages name by id, and a credential of every kind."""

from dataclasses import dataclass, field
from typing import Any

from api.authentication import session_create
from campaigns.models import Campaign, CampaignLead
from checklists.models import ChecklistItem
from leads.actors import Actor
from leads.models import (
    ActionLog,
    ApiKey,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    SavedView,
    Stage,
    Team,
    WebhookEndpoint,
    Workspace,
)
from leads.services.api_keys import api_key_create
from leads.services.leads import lead_create
from tests.conftest import make_member, make_rotation

ALL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass
class Tenant:
    """One workspace and everything in it that a URL can name."""

    workspace: Workspace
    owner: Membership
    agent: Membership
    viewer: Membership
    key: str
    team: Team
    source: LeadSource
    rotation: Rotation
    stage: Stage
    lead: Lead
    twin: Lead  # shares the lead's email: a merge candidate
    campaign: Campaign
    campaign_lead: CampaignLead
    webhook: WebhookEndpoint
    saved_view: SavedView
    log: ActionLog
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, Any]:
        """Every id a URL of the API or the staff pages may carry, by the name it has."""
        return {
            "lead_uuid": str(self.lead.uuid),
            "lead_pk": self.lead.pk,
            "twin_pk": self.twin.pk,
            "team": self.team.pk,
            "source": self.source.pk,
            "rotation": self.rotation.pk,
            "campaign": self.campaign.pk,
            "campaign_lead": self.campaign_lead.pk,
            "webhook": f"wh_{self.webhook.uuid}",
            "saved_view": self.saved_view.pk,
            "log": self.log.pk,
        }


def build_tenant(name: str, prefix: str) -> Tenant:
    workspace = Workspace.objects.create(
        name=name,
        rate_limit_per_minute=10**6,
        rate_limit_per_hour=10**7,
        bulk_rate_limit_per_minute=10**6,
    )
    owner = make_member(workspace, f"owner@{prefix}.test", Membership.Role.OWNER, f"{name} Owner")
    agent = make_member(workspace, f"agent@{prefix}.test", Membership.Role.AGENT, f"{name} Agent")
    viewer = make_member(workspace, f"viewer@{prefix}.test", Membership.Role.VIEWER)
    team = Team.objects.create(workspace=workspace, name=f"{name} team")
    team.members.add(owner, agent)
    source = LeadSource.objects.create(workspace=workspace, team=team, name=f"{name} web")
    rotation = make_rotation(workspace, [owner, agent], team=team)
    stage = Stage.objects.create(workspace=workspace, slug="new", name="New", position=0)
    actor = Actor(user=owner.user, membership=owner, source="manual")
    lead = lead_create(
        workspace=workspace,
        actor=actor,
        data={
            "first_name": f"{prefix}-lead",
            "email": f"lead@{prefix}.test",
            "phone": "+12065550100",
            "stage": stage,
            "team": team,
            "lead_source": source,
        },
        route=False,
    ).lead
    twin = lead_create(
        workspace=workspace,
        actor=actor,
        data={"first_name": f"{prefix}-twin", "email": f"lead@{prefix}.test"},
        route=False,
    ).lead
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=f"{name} campaign",
        timezone="America/New_York",
        allowed_hours_start="00:00",
        allowed_hours_end="23:59",
        allowed_days=ALL_DAYS,
    )
    campaign_lead = CampaignLead.objects.create(
        workspace=workspace, campaign=campaign, lead=lead, phone="+12065550100"
    )
    ChecklistItem.objects.create(workspace=workspace, code="tax_id", label="Tax ID")
    webhook = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=f"https://hooks.{prefix}.example.com/leads",
        event_types=["lead.created"],
        payload_format=WebhookEndpoint.PayloadFormat.MEGA,
        secret="mega_whsec_" + "A" * 43,
    )
    saved_view = SavedView.objects.create(
        workspace=workspace, membership=viewer, name="Mine", query="q=x"
    )
    log = ActionLog.objects.filter(lead=lead).order_by("pk").first()
    key = api_key_create(workspace=workspace, name=f"{name} key", created_by=owner.user)[1]
    tenant = Tenant(
        workspace=workspace,
        owner=owner,
        agent=agent,
        viewer=viewer,
        key=key,
        team=team,
        source=source,
        rotation=rotation,
        stage=stage,
        lead=lead,
        twin=twin,
        campaign=campaign,
        campaign_lead=campaign_lead,
        webhook=webhook,
        saved_view=saved_view,
        log=log,
    )
    tenant.keys = credentials(tenant)
    return tenant


def credentials(tenant: Tenant) -> dict[str, str]:
    """A secret of every kind for this workspace, by the name the matrix uses."""
    workspace, owner = tenant.workspace, tenant.owner
    revoked, revoked_secret = api_key_create(workspace=workspace, name="revoked")
    revoked.revoke()
    read_only = api_key_create(
        workspace=workspace, name="read only", scopes=[ApiKey.Scope.LEADS_READ]
    )[1]
    return {
        "own key": tenant.key,
        "revoked key": revoked_secret,
        "key without the scope": read_only,
        "owner session": session_create(workspace=workspace, user=owner.user, membership=owner)[1],
        "agent session": session_create(
            workspace=workspace, user=tenant.agent.user, membership=tenant.agent
        )[1],
        "viewer session": session_create(
            workspace=workspace, user=tenant.viewer.user, membership=tenant.viewer
        )[1],
    }
