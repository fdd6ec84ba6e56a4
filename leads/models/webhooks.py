"""Outgoing webhooks: endpoints and the delivery outbox."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from leads.models.base import TimeStampedModel, choices_check
from leads.models.workspace import User, Workspace


class WebhookEndpointQuerySet(models.QuerySet):
    def live(self) -> "WebhookEndpointQuerySet":
        """Endpoints not deleted (active or paused)."""
        return self.filter(deleted_at__isnull=True)

    def subscribed(self, workspace: Workspace, event_type: str) -> list["WebhookEndpoint"]:
        """Active endpoints of a workspace that want this event."""
        return [
            e
            for e in self.live().filter(workspace=workspace, is_active=True)
            if event_type in (e.event_types or [])
        ]


class WebhookEndpointPayloadFormat(models.TextChoices):
    STANDARD = "standard", "Leadbook"
    MEGA = "mega", "MEGA"
    OMNI = "omni", "OmniAI"


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives signed lead events."""

    PayloadFormat = WebhookEndpointPayloadFormat

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)
    payload_format = models.CharField(
        max_length=16, choices=PayloadFormat.choices, default=PayloadFormat.STANDARD
    )
    secret = models.CharField(max_length=128, editable=False)
    previous_secret = models.CharField(max_length=128, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    timeout_seconds = models.PositiveSmallIntegerField(default=10)
    retry_attempts = models.PositiveSmallIntegerField(default=5)
    description = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check(
                "payload_format", WebhookEndpointPayloadFormat, "leads_webhook_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1, timeout_seconds__lte=60),
                name="leads_webhook_timeout_range",
            ),
            models.CheckConstraint(
                condition=Q(retry_attempts__lte=10), name="leads_webhook_retries_range"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Gave up"


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction that caused it, sent after."""

    Status = WebhookDeliveryStatus

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # Served by the unique (endpoint, event_id) index.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=64)
    body = models.TextField(help_text="The exact JSON sent, so retries are byte-identical.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_response_body = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", WebhookDeliveryStatus, "leads_delivery_status_valid"),
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="leads_delivery_event_per_endpoint"
            ),
        ]
        indexes = [
            # The dispatcher: pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="leads_delivery_due",
            ),
            # An endpoint's delivery log, newest first (settings page: its latest
            # delivery, and the log's keyset pages).
            models.Index(fields=["endpoint", "-created_at"], name="leads_delivery_endpoint_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
