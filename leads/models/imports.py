"""Lead imports from CSV and XLSX files: the job and what happened to each row."""

import uuid

from django.db import models

from leads.models.base import TimeStampedModel, choices_check
from leads.models.lead import Lead
from leads.models.workspace import Membership, Workspace


def import_upload_path(job: "ImportJob", filename: str) -> str:
    """Uploaded files are stored under a random name (the original name is kept in the
    row): a person's file name never becomes a path on our disk."""
    suffix = ".xlsx" if job.file_format == ImportFileFormat.XLSX else ".csv"
    return f"imports/{job.workspace_id}/{uuid.uuid4().hex}{suffix}"


class ImportJobStatus(models.TextChoices):
    DRAFT = "draft", "Waiting for column mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Stopped"
    REVERTING = "reverting", "Reverting"
    REVERTED = "reverted", "Reverted"


class ImportDuplicatePolicy(models.TextChoices):
    UPDATE = "update", "Update the existing lead"
    SKIP = "skip", "Skip the row"
    CREATE = "create", "Create a new lead anyway"


class ImportFileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


# A worker is busy with the job in these states (the progress bar polls).
ACTIVE_STATUSES = (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING, ImportJobStatus.REVERTING)


class ImportJobQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> "ImportJobQuerySet":
        """Imports of one workspace, newest first."""
        return self.filter(workspace=workspace).order_by("-created_at", "-id")

    def mappings(self, workspace: Workspace) -> "ImportJobQuerySet":
        """Recent imports whose column mapping was chosen, newest first: what the mapping
        page remembers."""
        return self.for_workspace(workspace).exclude(status=ImportJobStatus.DRAFT)


class ImportJob(TimeStampedModel):
    """One uploaded file on its way into the lead table: where it is, how its columns map
    to lead fields, what to do with duplicates, and how far the import got.

    Rows are processed in batches; each batch and the counters below are committed
    together, so `processed_rows` is exactly where a restarted worker picks up."""

    Status = ImportJobStatus
    DuplicatePolicy = ImportDuplicatePolicy
    FileFormat = ImportFileFormat

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    file = models.FileField(upload_to=import_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8, choices=FileFormat.choices)
    file_size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=32, blank=True, help_text="CSV only.")
    delimiter = models.CharField(max_length=1, blank=True, help_text="CSV only.")
    headers = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0, help_text="Data rows, header excluded.")
    mapping = models.JSONField(
        default=dict, blank=True, help_text="Column index (as text) -> lead field."
    )
    on_duplicate = models.CharField(
        max_length=8, choices=DuplicatePolicy.choices, default=DuplicatePolicy.UPDATE
    )
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # What a revert did: leads deleted, leads restored, and leads left alone because
    # someone changed them after the import.
    reverted_rows = models.PositiveIntegerField(default=0)
    revert_deleted = models.PositiveIntegerField(default=0)
    revert_restored = models.PositiveIntegerField(default=0)
    revert_kept = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", ImportJobStatus, "leads_importjob_status_valid"),
            choices_check(
                "on_duplicate", ImportDuplicatePolicy, "leads_importjob_on_duplicate_valid"
            ),
            choices_check("file_format", ImportFileFormat, "leads_importjob_format_valid"),
        ]
        indexes = [
            # The imports page: a workspace's imports, newest first.
            models.Index(fields=["workspace", "-created_at"], name="leads_importjob_ws_recent"),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.original_name})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        """How far the import (or its revert) is, 0-100."""
        if self.status == ImportJobStatus.REVERTING:
            done, total = self.reverted_rows, self.created_count + self.updated_count
        else:
            done, total = self.processed_rows, self.total_rows
        if self.status in (ImportJobStatus.COMPLETED, ImportJobStatus.REVERTED):
            return 100
        if not total:
            return 0
        return min(100, int(done * 100 / total))

    @property
    def can_revert(self) -> bool:
        return self.status in (ImportJobStatus.COMPLETED, ImportJobStatus.FAILED) and bool(
            self.created_count or self.updated_count
        )


class ImportRowOutcome(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class ImportRow(models.Model):
    """What one row of an import did: the lead it created or updated (with the values it
    replaced, so a revert can restore them), or why it was skipped or failed (with the
    row's cells, for the error report)."""

    Outcome = ImportRowOutcome

    workspace = models.ForeignKey(
        # Every read goes through the job (job, row_number): no index of its own, which
        # keeps a million-row import's inserts cheaper.
        Workspace,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(help_text="As in the spreadsheet: the header is 1.")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # A plain reference, not a constraint: leads are deleted without touching import
    # history, and a revert checks that the lead still exists.
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    matched_by = models.CharField(max_length=8, blank=True)
    errors = models.JSONField(null=True, blank=True)
    values = models.JSONField(null=True, blank=True, help_text="The row's cells (failed/skipped).")
    changes = models.JSONField(null=True, blank=True, help_text="Fields updated: from/to.")

    class Meta:
        ordering = ["job", "row_number"]
        constraints = [
            choices_check("outcome", ImportRowOutcome, "leads_importrow_outcome_valid"),
            # Also the index behind the error report and the revert (rows of a job in order).
            models.UniqueConstraint(fields=["job", "row_number"], name="leads_importrow_job_row"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.get_outcome_display()}"
