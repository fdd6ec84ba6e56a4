"""Calling campaigns, the leads enrolled in them and every call attempt."""

import datetime
import zoneinfo

from django.db import models
from django.db.models import Count, F, Q

from leads.models import ApiKey, Lead, Membership, User, Workspace
from leads.models.base import TimeStampedModel, choices_check
from leads.models.workspace import validate_timezone

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def default_allowed_days() -> list[str]:
    return WEEKDAYS[:5]


def zone_or_none(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA zone called `name`, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_PROGRESS = "in-progress", "In progress"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class CampaignQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> "CampaignQuerySet":
        """Campaigns of one workspace."""
        return self.filter(workspace=workspace)

    def with_progress(self) -> "CampaignQuerySet":
        """Each campaign with its number of campaign leads and how many are finished
        (completed, reached max retries or blacklisted)."""
        return self.annotate(
            lead_total=Count("leads"),
            lead_done=Count("leads", filter=Q(leads__status__in=FINAL_STATUSES)),
        )


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

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", CampaignStatus, "campaigns_campaign_status_valid"),
            models.CheckConstraint(
                condition=Q(max_calls_in_parallel__gte=1, max_calls_in_parallel__lte=10),
                name="campaigns_campaign_parallel_range",
            ),
            # Windows do not wrap past midnight: calling at night is what they prevent.
            models.CheckConstraint(
                condition=Q(allowed_hours_end__gt=F("allowed_hours_start")),
                name="campaigns_campaign_hours_order",
            ),
            models.CheckConstraint(
                condition=Q(max_retries__lte=10), name="campaigns_campaign_retries_range"
            ),
            models.CheckConstraint(
                condition=Q(retry_interval_minutes__gte=1),
                name="campaigns_campaign_retry_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def max_attempts(self) -> int:
        """The first call plus max_retries retries."""
        return self.max_retries + 1

    @property
    def days_label(self) -> str:
        """The calling days as people say them: "Every day", "Mon to Fri", "Mon, Wed, Fri"."""
        days = [d for d in WEEKDAYS if d in (self.allowed_days or [])]
        if days == WEEKDAYS:
            return "Every day"
        if days == WEEKDAYS[:5]:
            return "Mon to Fri"
        return ", ".join(d[:3].capitalize() for d in days) or "No day"

    @property
    def hours(self) -> tuple[datetime.time, datetime.time]:
        """The allowed hours as times (an unsaved campaign may still hold "09:00")."""
        field = self._meta.get_field("allowed_hours_start")
        return field.to_python(self.allowed_hours_start), field.to_python(self.allowed_hours_end)

    def window_open(self, zone_name: str, now: datetime.datetime) -> bool:
        """Whether `now`, read as wall-clock time in `zone_name` (the campaign's own zone
        when empty or unknown), is inside the allowed hours of an allowed day."""
        zone = zone_or_none(zone_name) or zone_or_none(self.timezone) or datetime.UTC
        local = now.astimezone(zone)
        if WEEKDAYS[local.weekday()] not in (self.allowed_days or []):
            return False
        start, end = self.hours
        return start <= local.time() < end


class CampaignLeadStatus(models.TextChoices):
    CREATED = "created", "Created"
    SCHEDULED = "scheduled", "Scheduled"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    RESCHEDULED = "rescheduled", "Rescheduled"
    REACHED_MAX_RETRIES = "reached-max-retries", "Reached max retries"
    BLACKLISTED = "blacklisted", "Blacklisted"


# Waiting for a call; PROCESSING is being called; the rest are final.
WAITING_STATUSES = (
    CampaignLeadStatus.CREATED,
    CampaignLeadStatus.SCHEDULED,
    CampaignLeadStatus.RESCHEDULED,
)
FINAL_STATUSES = (
    CampaignLeadStatus.COMPLETED,
    CampaignLeadStatus.REACHED_MAX_RETRIES,
    CampaignLeadStatus.BLACKLISTED,
)


class CampaignLeadQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> "CampaignLeadQuerySet":
        """Campaign leads of one workspace."""
        return self.filter(workspace=workspace)

    def reachable(self) -> "CampaignLeadQuerySet":
        """Numbers whose person has not opted out of contact."""
        return self.filter(lead__opted_out_at__isnull=True)

    def waiting(self, now: datetime.datetime) -> "CampaignLeadQuerySet":
        """Waiting for a call, or held by a claim that has run out."""
        return self.filter(
            Q(status__in=WAITING_STATUSES)
            | Q(status=CampaignLeadStatus.PROCESSING, claimed_until__lt=now)
        )

    def left_to_call(self) -> "CampaignLeadQuerySet":
        """Everything a campaign still has to do: waiting or being called, reachable and
        under the retry limit (whether or not the calling window is open)."""
        return (
            self.filter(Q(status__in=WAITING_STATUSES) | Q(status=CampaignLeadStatus.PROCESSING))
            .reachable()
            .filter(attempts__lt=F("campaign__max_retries") + 1)
        )

    def processing(self, now: datetime.datetime) -> "CampaignLeadQuerySet":
        """Being called now (a claim that ran out no longer counts)."""
        return self.filter(status=CampaignLeadStatus.PROCESSING).exclude(claimed_until__lt=now)

    def due(self, now: datetime.datetime) -> "CampaignLeadQuerySet":
        """Waiting, reachable, under the retry limit, and due (next attempt passed)."""
        return (
            self.waiting(now)
            .reachable()
            .filter(attempts__lt=F("campaign__max_retries") + 1)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        )

    def in_window(self, campaign: "Campaign", now: datetime.datetime) -> "CampaignLeadQuerySet":
        """Those whose own local time (the lead's time zone, else the campaign's) is inside
        the campaign's allowed hours and days. One small query finds the time zones in play;
        the filter itself stays in SQL."""
        zones = set(self.values_list("lead__timezone", flat=True).distinct().order_by())
        open_zones = [z for z in zones if zone_or_none(z) and campaign.window_open(z, now)]
        condition = Q(lead__timezone__in=open_zones)
        if campaign.window_open("", now):
            # Leads without a usable zone of their own are called on the campaign's clock.
            unusable = [z for z in zones if not zone_or_none(z)]
            condition |= Q(lead__timezone__in=unusable)
        return self.filter(condition)

    def count_by_status(self) -> dict[str, int]:
        """How many campaign leads are in each status (one grouped query)."""
        rows = self.order_by().values_list("status").annotate(n=Count("id"))
        return dict(rows)

    def queue_order(self) -> "CampaignLeadQuerySet":
        """Longest overdue first; never-scheduled rows first of all."""
        return self.order_by(F("next_attempt_at").asc(nulls_first=True), "id")


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

    objects = CampaignLeadQuerySet.as_manager()

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
            # Autocalls list, newest first per workspace (ORDER BY created_at DESC, id DESC:
            # both columns, or SQLite sorts every row of the workspace for each page).
            models.Index(fields=["workspace", "created_at", "id"], name="campaigns_lead_ws_new"),
            # Autocalls list filtered by campaign_id, newest first.
            models.Index(
                fields=["campaign", "created_at", "id"], name="campaigns_lead_campaign_new"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} in {self.campaign_id}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def last_outcome_label(self) -> str:
        """The last call's outcome as people say it ("No answer")."""
        if self.last_outcome in CallAttemptOutcome.values:
            return CallAttemptOutcome(self.last_outcome).label
        return self.last_outcome

    @property
    def effective_timezone(self) -> str:
        """The clock the calling window is read on: the lead's zone, else the campaign's."""
        zone = self.lead.timezone
        return zone if zone_or_none(zone) else self.campaign.timezone


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
