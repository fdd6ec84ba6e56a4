"""Checklist templates (groups and items), each lead's values, and documents."""

import uuid

from django.db import models
from django.db.models import Q

from leads.models import Lead, Workspace
from leads.models.base import TimeStampedModel, choices_check


class ChecklistGroup(TimeStampedModel):
    """A titled set of checklist items. `conditions` is a JSON Schema the lead's data
    document must satisfy for the group to apply to that lead (empty: always applies)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="checklist_groups"
    )
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ChecklistItemQuerySet(models.QuerySet):
    def for_lead(self, lead: Lead) -> "ChecklistItemQuerySet":
        """Every item on a lead's checklist: the workspace's templates and the lead's own."""
        return self.filter(workspace_id=lead.workspace_id).filter(
            Q(lead__isnull=True) | Q(lead=lead)
        )

    def templates(self, workspace: Workspace) -> "ChecklistItemQuerySet":
        """Items every lead of the workspace has (not one-off items)."""
        return self.filter(workspace=workspace, lead__isnull=True)


class ChecklistItemFieldType(models.TextChoices):
    TEXT = "TEXT", "Text"
    NUMBER = "NUMBER", "Number"
    DATE = "DATE", "Date"
    EMAIL = "EMAIL", "Email"
    PHONE = "PHONE", "Phone"
    EIN = "EIN", "EIN"
    SELECT = "SELECT", "One of a list"
    ADDRESS = "ADDRESS", "Address"
    BOOLEAN = "BOOLEAN", "Yes / no"
    FILE = "FILE", "File"
    BANK_STATEMENT = "BANK_STATEMENT", "Bank statement"
    ID = "ID", "Identity document"
    TAX_RETURN = "TAX_RETURN", "Tax return"


class ChecklistItem(TimeStampedModel):
    """Something to collect from a lead. Belongs to a group (a template item) or to one
    lead only (a one-off requirement)."""

    FieldType = ChecklistItemFieldType

    FILE_TYPES = frozenset({"FILE", "BANK_STATEMENT", "ID", "TAX_RETURN"})

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="checklist_items"
    )
    group = models.ForeignKey(
        ChecklistGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="own_checklist_items",
        help_text="Set for a one-off item that only this lead has.",
    )
    code = models.CharField(max_length=100)
    label = models.CharField(max_length=255)
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    is_required = models.BooleanField(default=True)
    config = models.JSONField(null=True, blank=True)
    conditions = models.JSONField(null=True, blank=True)
    validation_rules = models.JSONField(null=True, blank=True)
    help_text = models.TextField(blank=True)
    agent_instructions = models.TextField(blank=True)
    client_instructions = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "code"], name="checklists_item_code_per_ws"
            ),
            choices_check("field_type", ChecklistItemFieldType, "checklists_item_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"

    @property
    def is_file(self) -> bool:
        return self.field_type in self.FILE_TYPES


class LeadChecklistItemStatus(models.TextChoices):
    TODO = "TODO", "To do"
    COMPLETED = "COMPLETED", "Completed"
    INVALID = "INVALID", "Invalid"
    SKIPPED = "SKIPPED", "Skipped"
    NEEDS_REVIEW = "NEEDS_REVIEW", "Needs review"


class LeadChecklistItemSource(models.TextChoices):
    AGENT = "agent", "AI agent"
    IMPORTED = "imported", "API or import"
    MANUAL = "manual", "Staff"
    PORTAL = "portal", "Customer portal"


class LeadChecklistItem(TimeStampedModel):
    """A lead's value and status for one checklist item."""

    Status = LeadChecklistItemStatus

    Source = LeadChecklistItemSource

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A lead's values are found through the unique (lead, item) index; nothing reads values
    # by workspace alone. No single-column indexes for either (each costs every insert).
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="checklist_values", db_index=False
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="values")
    value = models.JSONField(null=True, blank=True)
    alternate_values = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TODO)
    validation_error = models.TextField(blank=True)
    item_override = models.JSONField(null=True, blank=True)
    auto_skipped = models.BooleanField(
        default=False, help_text="Skipped because the lead was marked completed."
    )
    source = models.CharField(max_length=16, choices=Source.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "item"], name="checklists_value_per_lead"),
            choices_check("status", LeadChecklistItemStatus, "checklists_value_status_valid"),
            models.CheckConstraint(
                condition=Q(source="") | Q(source__in=LeadChecklistItemSource.values),
                name="checklists_value_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code}={self.value!r} ({self.status})"


class DocumentQuerySet(models.QuerySet):
    def for_lead(self, lead: Lead) -> "DocumentQuerySet":
        """A lead's documents, newest first, with the checklist item each one is for."""
        return (
            self.filter(lead=lead)
            .select_related("checklist_value__item")
            .order_by("-created_at", "-id")
        )


def document_upload_to(instance: "Document", filename: str) -> str:
    return f"documents/{instance.workspace_id}/{instance.uuid}/{filename}"


class Document(TimeStampedModel):
    """A file a lead sent, optionally for one checklist item."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="documents")
    checklist_value = models.ForeignKey(
        LeadChecklistItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    file = models.FileField(upload_to=document_upload_to, max_length=500)
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=127, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    document_type = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename
