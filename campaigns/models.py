"""Calling campaigns, the leads enrolled in them and every call attempt."""

from django.db import models
from django.db.models import Q

from leads.models import ApiKey, Lead, Membership, User, Workspace
from leads.models.base import TimeStampedModel, choices_check
from leads.models.workspace import validate_timezone

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def default_allowed_days() -> list[str]:
    return WEEKDAYS[:5]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_PROGRESS = "in-progress", "In progress"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class Campaign(TimeStampedModel):
    Status = CampaignStatus

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    allowed_hours_start = models.TimeField(default="09:00")
    allowed_hours_end = models.TimeField(default="17:00")
    allowed_days = models.JSONField(default=default_allowed_days)
    max_calls_in_parallel = models.PositiveSmallIntegerField(default=3)
    max_retries = models.PositiveSmallIntegerField(default=3)
    retry_interval_minutes = models.PositiveIntegerField(default=60)
    retry_on_voicemail = models.BooleanField(default=True)
    retry_on_goal_incomplete = models.BooleanField(default=False)
    goal_completion_variable = models.CharField(max_length=100, blank=True)
    mark_complete_when_no_leads = models.BooleanField(default=False)
    variables = models.JSONField(default=list, blank=True, help_text="Declared variable names.")
    script = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", CampaignStatus, "campaigns_campaign_status_valid"),
            models.CheckConstraint(
                condition=Q(max_calls_in_parallel__gte=1, max_calls_in_parallel__lte=10),
                name="campaigns_campaign_parallel_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignLeadStatus(models.TextChoices):
    CREATED = "created", "Created"
    SCHEDULED = "scheduled", "Scheduled"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    RESCHEDULED = "rescheduled", "Rescheduled"
    REACHED_MAX_RETRIES = "reached-max-retries", "Reached max retries"
    BLACKLISTED = "blacklisted", "Blacklisted"


class CampaignLead(TimeStampedModel):
    """A phone number to call in a campaign, tied to a canonical lead. Secondary contacts
    are campaign leads of their own with a parent."""

    Status = CampaignLeadStatus

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="leads")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="campaign_entries")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="secondary_contacts",
    )
    phone = models.CharField(max_length=20, help_text="E.164")
    variables = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.CREATED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", CampaignLeadStatus, "campaigns_lead_status_valid"),
        ]
        indexes = [
            # The call queue: callable leads of a campaign by due time.
            models.Index(
                fields=["campaign", "status", "next_attempt_at"], name="campaigns_lead_queue"
            ),
            # Duplicate check: the same phone in the same campaign.
            models.Index(fields=["campaign", "phone"], name="campaigns_lead_phone"),
            # Autocalls list, newest first per workspace.
            models.Index(fields=["workspace", "-created_at"], name="campaigns_lead_ws_created"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} in {self.campaign_id}"


class CallAttemptOutcome(models.TextChoices):
    COMPLETED = "completed", "Completed"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    VOICEMAIL = "voicemail", "Voicemail"
    FAILED = "failed", "Failed"
    NOT_INTERESTED = "not_interested", "Not interested"
    OPTED_OUT = "opted_out", "Opted out"
    DO_NOT_CALL = "do_not_call", "Do not call"


class CallAttempt(TimeStampedModel):
    Outcome = CallAttemptOutcome

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign_lead = models.ForeignKey(
        CampaignLead, null=True, on_delete=models.SET_NULL, related_name="calls"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="calls")
    lead = models.ForeignKey(Lead, null=True, on_delete=models.SET_NULL, related_name="calls")
    agent = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    duration_seconds = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [choices_check("outcome", CallAttemptOutcome, "campaigns_call_outcome_valid")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.created_at:%Y-%m-%d %H:%M})"
