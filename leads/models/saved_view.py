"""Saved views: a member's named filters and sort order for the lead list."""

from django.db import models
from django.db.models.functions import Lower

from leads.models.base import TimeStampedModel
from leads.models.workspace import Membership, Workspace


class SavedViewQuerySet(models.QuerySet):
    def for_member(self, member: Membership) -> "SavedViewQuerySet":
        """The views one member saved in their current workspace, by name."""
        return self.filter(workspace=member.workspace, membership=member).order_by(
            Lower("name"), "id"
        )


class SavedView(TimeStampedModel):
    """A lead-list query string (filters, search and sort) saved under a name. Belongs to
    one membership, so the same person keeps separate views in each workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(
        max_length=2000, blank=True, help_text="The lead list's query string, without '?'."
    )

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "membership", Lower("name"), name="leads_savedview_name_per_member"
            ),
        ]

    def __str__(self) -> str:
        return self.name
