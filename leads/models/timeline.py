"""ActionLog: a lead's timeline and the workspace's audit trail, one table."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from leads.models.base import choices_check
from leads.models.lead import Lead
from leads.models.workspace import ApiKey, User, Workspace


class ActionLogQuerySet(models.QuerySet):
    def for_lead(self, lead: Lead) -> "ActionLogQuerySet":
        """A lead's timeline, newest first."""
        return self.filter(lead=lead).order_by("-created_at", "-id")

    def messages(self) -> "ActionLogQuerySet":
        """Outbound messages and follow-ups."""
        return self.filter(type__in=[ActionLog.Type.MESSAGE, ActionLog.Type.FOLLOW_UP_MESSAGE])


class ActionLogType(models.TextChoices):
    API_ACTIVITY = "API_ACTIVITY", "API activity"
    MANUAL_UPDATE = "MANUAL_UPDATE", "Manual update"
    MESSAGE = "MESSAGE", "Message"
    FOLLOW_UP_MESSAGE = "FOLLOW_UP_MESSAGE", "Follow-up message"
    TOOL_CALL = "TOOL_CALL", "Tool call"
    SYSTEM_NOTE = "SYSTEM_NOTE", "System note"
    DOCUMENT_UPLOAD = "DOCUMENT_UPLOAD", "Document upload"
    CALL = "CALL", "Call"
    ASSIGNMENT = "ASSIGNMENT", "Assignment"
    MERGE = "MERGE", "Merge"
    IMPORT = "IMPORT", "Import"
    CUSTOM = "CUSTOM", "Custom activity"
    SETTINGS = "SETTINGS", "Settings change"


class ActionLogStatus(models.TextChoices):
    COMPLETED = "COMPLETED", "Completed"
    PENDING = "PENDING", "Pending"
    CANCELLED = "CANCELLED", "Cancelled"
    AWAITING_APPROVAL = "AWAITING_APPROVAL", "Awaiting approval"
    FAILED = "FAILED", "Failed"


class ActionLogChannel(models.TextChoices):
    NONE = "", "None"
    EMAIL = "EMAIL", "Email"
    SMS = "SMS", "SMS"


class ActionLogDirection(models.TextChoices):
    NONE = "", "None"
    INBOUND = "INBOUND", "Inbound"
    OUTBOUND = "OUTBOUND", "Outbound"


class ActionLog(models.Model):
    """Something that happened to a lead or in a workspace, with who did it and how.

    Survives the deletion of its lead (lead becomes NULL, lead_pk keeps the id)."""

    Type = ActionLogType

    Status = ActionLogStatus

    Channel = ActionLogChannel

    Direction = ActionLogDirection

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Served by leads_actionlog_ws_time and leads_actionlog_lead_time, which start with
    # these columns: no single-column indexes (each index costs every insert).
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="action_logs", db_index=False
    )
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_logs",
        db_index=False,
    )
    lead_pk = models.BigIntegerField(null=True, blank=True, help_text="Kept after deletion.")
    type = models.CharField(max_length=32, choices=Type.choices)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.COMPLETED)
    event = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        db_index=False,  # see leads_actionlog_parent (partial: only entries with a parent)
    )

    # Messages (type MESSAGE / FOLLOW_UP_MESSAGE)
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)

    # Who and how
    actor_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    request_method = models.CharField(max_length=8, blank=True)
    request_path = models.CharField(max_length=500, blank=True)
    request_ip = models.GenericIPAddressField(null=True, blank=True)
    request_headers = models.JSONField(null=True, blank=True)

    scheduled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ActionLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("type", ActionLogType, "leads_actionlog_type_valid"),
            choices_check("status", ActionLogStatus, "leads_actionlog_status_valid"),
            choices_check("channel", ActionLogChannel, "leads_actionlog_channel_valid"),
            choices_check("direction", ActionLogDirection, "leads_actionlog_direction_valid"),
        ]
        indexes = [
            # A lead's timeline, newest first (lead detail, OmniAI actionLogs, Pulse auditLog).
            models.Index(fields=["lead", "-created_at"], name="leads_actionlog_lead_time"),
            # The workspace audit trail page and its date filter.
            models.Index(fields=["workspace", "-created_at"], name="leads_actionlog_ws_time"),
            # Follow-ups of an entry (rare: only entries with a parent are indexed).
            models.Index(
                fields=["parent"], condition=Q(parent__isnull=False), name="leads_actionlog_parent"
            ),
            # The message sender: pending messages that are due.
            models.Index(
                fields=["scheduled_at"],
                condition=Q(status="PENDING"),
                name="leads_actionlog_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.summary}"
