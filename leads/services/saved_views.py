"""A member's saved lead-list views."""

from django.db import transaction
from django.db.models.functions import Lower

from leads.models import Membership, SavedView


@transaction.atomic
def saved_view_save(*, member: Membership, name: str, query: str) -> SavedView:
    """Save the list's query under a name; saving again under the same name (any case)
    replaces it."""
    name = name.strip()
    existing = (
        SavedView.objects.filter(membership=member)
        .annotate(lower=Lower("name"))
        .filter(lower=name.lower())
        .first()
    )
    if existing is not None:
        existing.name, existing.query = name, query
        existing.save(update_fields=["name", "query", "updated_at"])
        return existing
    return SavedView.objects.create(
        workspace=member.workspace, membership=member, name=name, query=query
    )


@transaction.atomic
def saved_view_delete(*, view: SavedView) -> None:
    """Forget a saved view."""
    view.delete()
