"""Who gets a new lead: teams, lead sources and rotations."""

from django.db import models
from django.db.models import Q

from leads.models.base import TimeStampedModel, choices_check
from leads.models.workspace import Membership, User, Workspace


class Team(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    members = models.ManyToManyField(Membership, blank=True, related_name="teams")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="leads_team_name_per_ws"),
        ]

    def __str__(self) -> str:
        return self.name


class LeadSource(TimeStampedModel):
    """Where leads come from; a source may belong to one team."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="lead_sources")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="lead_sources"
    )
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RotationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"
    QUEUED = "queued", "Queued"


class Rotation(TimeStampedModel):
    """An ordered, weighted list of members taking turns at new leads.

    A rotation belongs to a team, or (team empty, named "default") is the workspace's
    fallback. `position` points at the next turn in the cycle; see rotation_pick.
    """

    DEFAULT_NAME = "default"

    Status = RotationStatus

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rotations")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="rotations"
    )
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            choices_check("status", RotationStatus, "leads_rotation_status_valid"),
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(status="active", team__isnull=False),
                name="leads_rotation_one_active_per_team",
            ),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(status="active", team__isnull=True, name="default"),
                name="leads_rotation_one_default_per_ws",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.team_id is None and self.name == self.DEFAULT_NAME


class RotationMember(models.Model):
    """One member's place in a rotation: their order, weight (turns per cycle) and whether
    they are taking leads right now (off for holidays or out of office)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="rotations")
    order = models.PositiveIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "membership"], name="leads_rotationmember_unique"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100), name="leads_rotationmember_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.name} x{self.weight}"
