from leads.models.imports import ImportJob, ImportRow
from leads.models.lead import CustomField, Lead, LeadQuerySet, Stage, Tag
from leads.models.routing import LeadSource, Rotation, RotationMember, Team
from leads.models.saved_view import SavedView
from leads.models.timeline import ActionLog
from leads.models.webhooks import WebhookDelivery, WebhookEndpoint
from leads.models.workspace import ApiKey, Membership, User, Workspace

__all__ = [
    "ActionLog",
    "ApiKey",
    "CustomField",
    "ImportJob",
    "ImportRow",
    "Lead",
    "LeadQuerySet",
    "LeadSource",
    "Membership",
    "Rotation",
    "RotationMember",
    "SavedView",
    "Stage",
    "Tag",
    "Team",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Workspace",
]
