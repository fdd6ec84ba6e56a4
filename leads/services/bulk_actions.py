"""Bulk actions on a selection of leads from the staff list: all or nothing, one timeline
entry per lead, through the same services as a single change."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from leads.actors import Actor
from leads.models import Lead, Membership
from leads.services.assignment import lead_assign, lead_assign_next_in_rotation
from leads.services.leads import lead_update

# A bulk action changes at most this many leads at once (a few pages of the list).
BULK_LIMIT = 500


def _check_size(leads: Sequence[Lead]) -> None:
    if not leads:
        raise ValidationError("Select at least one lead.")
    if len(leads) > BULK_LIMIT:
        raise ValidationError(f"Select at most {BULK_LIMIT} leads at a time.")


@transaction.atomic
def lead_bulk_update(
    *, leads: Sequence[Lead], actor: Actor, data: Mapping[str, Any], summary: str
) -> int:
    """Apply the same change to every lead; returns how many actually changed."""
    _check_size(leads)
    changed = 0
    for lead in leads:
        write = lead_update(lead=lead, actor=actor, data=data, summary=summary)
        changed += bool(write.changes)
    return changed


@transaction.atomic
def lead_bulk_assign(*, leads: Sequence[Lead], actor: Actor, member: Membership | None) -> int:
    """Give every lead to one member (None: unassign)."""
    _check_size(leads)
    return sum(
        bool(lead_assign(lead=lead, actor=actor, member=member, note="bulk action").changes)
        for lead in leads
    )


@transaction.atomic
def lead_bulk_assign_next(*, leads: Sequence[Lead], actor: Actor) -> int:
    """Hand each lead to the next member in its rotation, one turn per lead."""
    _check_size(leads)
    return sum(bool(lead_assign_next_in_rotation(lead=lead, actor=actor).changes) for lead in leads)


@transaction.atomic
def lead_bulk_tag(*, leads: Sequence[Lead], actor: Actor, names: Sequence[str]) -> int:
    """Add tags (created on first use) to every lead, keeping the tags it has."""
    _check_size(leads)
    wanted = [n.strip() for n in names if n.strip()]
    if not wanted:
        raise ValidationError({"tags": "Name at least one tag."})
    changed = 0
    for lead in leads:
        current = list(lead.tags.values_list("name", flat=True))
        write = lead_update(
            lead=lead,
            actor=actor,
            data={"tags": current + wanted},
            summary="Tagged " + ", ".join(wanted),
        )
        changed += bool(write.changes)
    return changed
