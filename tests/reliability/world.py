"""A small, realistic workspace for the reliability tests: two workspaces, every kind of
object the API and the staff pages name by id, and a credential of every kind.

Everything of workspace B carries "bravo" and of A "acme" (the matrix greps answers for
the other one); what an agent of A must not see — a lead assigned to a colleague, its
messages, a colleague's import — carries "<prefix>-colleague"."""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.authentication import session_create
from campaigns.models import Campaign, CampaignLead
from checklists.models import ChecklistItem, Document, LeadChecklistItem
from checklists.services import document_upload, lead_update_with_checklist
from leads.actors import Actor
from leads.models import (
    ActionLog,
    ApiKey,
    ImportJob,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    RotationMember,
    SavedView,
    Stage,
    Team,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from leads.services.api_keys import api_key_create
from leads.services.imports import import_job_create
from leads.services.leads import lead_create
from leads.services.messages import draft_create, followup_schedule
from tests.conftest import make_member, make_rotation

ALL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Ids that name something an agent may not touch when it is a colleague's (a lead
# assigned to someone else, its messages and timeline, someone else's import).
COLLEAGUE_IDS = ("lead_pk", "log", "draft", "followup", "import_job")


def csv_upload(name: str, prefix: str) -> SimpleUploadedFile:
    """A two-row CSV as the import page receives it."""
    data = f"First name,Email\n{prefix}-imported,imported@{prefix}.test\n".encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


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
    # The lead page: a checklist item with a value and a document, a pending follow-up
    # and a draft awaiting approval.
    item: ChecklistItem
    checklist_value: LeadChecklistItem
    document: Document
    followup: ActionLog
    draft: ActionLog
    # Routing, keys and webhooks settings: the agent's seat in the rotation, a key to
    # revoke, a delivery to send again.
    seat: RotationMember
    spare_key: ApiKey
    delivery: WebhookDelivery
    # Imports (agents may import here): a draft uploaded by the agent.
    import_job: ImportJob
    # The call queue: the campaign runs and the agent holds the twin's number.
    queue_entry: CampaignLead
    # What the agent must not see: the owner's lead (same phone as `lead`, so it is a
    # possible duplicate of it), its messages and timeline, and the owner's import.
    colleague_lead: Lead
    colleague_log: ActionLog
    colleague_followup: ActionLog
    colleague_draft: ActionLog
    colleague_import: ImportJob
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
            "stage": self.stage.pk,
            "campaign": self.campaign.pk,
            "campaign_lead": self.campaign_lead.pk,
            "webhook": f"wh_{self.webhook.uuid}",
            "saved_view": self.saved_view.pk,
            "log": self.log.pk,
            "member": self.agent.pk,
            "item": self.item.pk,
            "item_uuid": str(self.item.uuid),
            "followup": self.followup.pk,
            "draft": self.draft.pk,
            "seat": self.seat.pk,
            "api_key": self.spare_key.pk,
            "webhook_pk": self.webhook.pk,
            "delivery": self.delivery.pk,
            "import_job": self.import_job.pk,
            "queue_entry": self.queue_entry.pk,
        }

    @property
    def colleague_ids(self) -> dict[str, Any]:
        """The same names, where an agent's colleague's objects replace the lead, its
        messages and timeline, and the import."""
        return self.ids | {
            "lead_pk": self.colleague_lead.pk,
            "log": self.colleague_log.pk,
            "draft": self.colleague_draft.pk,
            "followup": self.colleague_followup.pk,
            "import_job": self.colleague_import.pk,
        }


def build_tenant(name: str, prefix: str) -> Tenant:
    workspace = Workspace.objects.create(
        name=name,
        rate_limit_per_minute=10**6,
        rate_limit_per_hour=10**7,
        bulk_rate_limit_per_minute=10**6,
        agents_can_import=True,
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
    colleague_lead = lead_create(
        workspace=workspace,
        actor=actor,
        data={
            "first_name": f"{prefix}-colleague",
            "email": f"colleague@{prefix}.test",
            "phone": "+12065550100",
            "assignee": owner,
        },
        route=False,
    ).lead
    now = timezone.now()
    campaign = Campaign.objects.create(
        workspace=workspace,
        name=f"{name} campaign",
        status=Campaign.Status.IN_PROGRESS,
        timezone="America/New_York",
        allowed_hours_start="00:00",
        allowed_hours_end="23:59",
        allowed_days=ALL_DAYS,
    )
    campaign_lead = CampaignLead.objects.create(
        workspace=workspace, campaign=campaign, lead=lead, phone="+12065550100"
    )
    queue_entry = CampaignLead.objects.create(
        workspace=workspace,
        campaign=campaign,
        lead=twin,
        phone="+12065550101",
        status=CampaignLead.Status.PROCESSING,
        claimed_by=agent,
        claimed_until=now + datetime.timedelta(days=1),
    )
    item = ChecklistItem.objects.create(workspace=workspace, code="tax_id", label="Tax ID")
    lead_update_with_checklist(
        lead=lead,
        actor=actor,
        data={},
        checklist_updates=[{"code": "tax_id", "value": f"{prefix}-12-3456789"}],
    )
    checklist_value = LeadChecklistItem.objects.get(lead=lead, item=item)
    document = document_upload(
        lead=lead,
        actor=actor,
        files=[SimpleUploadedFile(f"{prefix}-form.pdf", b"%PDF-1.4 world")],
    ).documents[0]
    later = now + datetime.timedelta(days=1)

    def messages(of: Lead, text: str) -> tuple[ActionLog, ActionLog]:
        followup = followup_schedule(
            lead=of, actor=actor, channel="EMAIL", body=f"{text} follow-up", scheduled_at=later
        )
        return followup, draft_create(lead=of, actor=actor, channel="EMAIL", body=f"{text} draft")

    followup, draft = messages(lead, f"{prefix}-lead")
    colleague_followup, colleague_draft = messages(colleague_lead, f"{prefix}-colleague")
    webhook = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=f"https://hooks.{prefix}.example.com/leads",
        event_types=["lead.created"],
        payload_format=WebhookEndpoint.PayloadFormat.MEGA,
        secret="mega_whsec_" + "A" * 43,
    )
    delivery = WebhookDelivery.objects.create(
        workspace=workspace,
        endpoint=webhook,
        event_type="lead.created",
        body=json.dumps({"type": "lead.created", "data": {"firstName": f"{prefix}-lead"}}),
        status=WebhookDelivery.Status.FAILED,
        attempts=6,
        last_status_code=500,
    )
    saved_view = SavedView.objects.create(
        workspace=workspace, membership=viewer, name="Mine", query="q=x"
    )
    log = ActionLog.objects.filter(lead=lead).order_by("pk").first()
    colleague_log = ActionLog.objects.filter(lead=colleague_lead).order_by("pk").first()
    key = api_key_create(workspace=workspace, name=f"{name} key", created_by=owner.user)[1]
    spare_key = api_key_create(workspace=workspace, name=f"{name} spare key")[0]
    import_job = import_job_create(
        workspace=workspace, member=agent, upload=csv_upload(f"{prefix}-leads.csv", prefix)
    )
    colleague_import = import_job_create(
        workspace=workspace, member=owner, upload=csv_upload(f"{prefix}-colleague.csv", prefix)
    )
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
        item=item,
        checklist_value=checklist_value,
        document=document,
        followup=followup,
        draft=draft,
        seat=rotation.members.get(membership=agent),
        spare_key=spare_key,
        delivery=delivery,
        import_job=import_job,
        queue_entry=queue_entry,
        colleague_lead=colleague_lead,
        colleague_log=colleague_log,
        colleague_followup=colleague_followup,
        colleague_draft=colleague_draft,
        colleague_import=colleague_import,
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
    webhooks_only = api_key_create(
        workspace=workspace, name="webhooks only", scopes=[ApiKey.Scope.WEBHOOKS_MANAGE]
    )[1]
    return {
        "own key": tenant.key,
        "revoked key": revoked_secret,
        "read-only key": read_only,
        "webhooks-only key": webhooks_only,
        "owner session": session_create(workspace=workspace, user=owner.user, membership=owner)[1],
        "agent session": session_create(
            workspace=workspace, user=tenant.agent.user, membership=tenant.agent
        )[1],
        "viewer session": session_create(
            workspace=workspace, user=tenant.viewer.user, membership=tenant.viewer
        )[1],
    }
