"""Reassigning a lead: to a named member, or to whoever is next in the rotation."""

from django.core.exceptions import ValidationError
from django.db import transaction

from leads.actors import Actor
from leads.models import Lead, Membership
from leads.services.leads import LeadWrite, lead_update
from leads.services.routing import route_new_lead


@transaction.atomic
def lead_assign(
    *, lead: Lead, actor: Actor, member: Membership | None, note: str = ""
) -> LeadWrite:
    """Give the lead to `member` (None: unassign); the timeline says who did it and why."""
    reason = f"Reassigned by {actor.label}"
    if note.strip():
        reason += f": {note.strip()}"
    summary = f"Assigned to {member.name}" if member else "Unassigned"
    return lead_update(
        lead=lead,
        actor=actor,
        data={"assignee": member},
        summary=summary,
        assignment_reason=reason,
    )


@transaction.atomic
def lead_assign_next_in_rotation(*, lead: Lead, actor: Actor) -> LeadWrite:
    """Give the lead to the next member of its team's rotation (else the default one),
    taking that turn; the timeline names the rotation and the turn."""
    pick = route_new_lead(workspace=lead.workspace, team=lead.team)
    if pick is None:
        raise ValidationError(
            {"assignee": "No rotation has anyone taking leads right now for this lead's team."}
        )
    return lead_update(
        lead=lead,
        actor=actor,
        data={"assignee": pick.member},
        summary=f"Assigned to {pick.member.name} (next in rotation)",
        assignment_reason=f"{pick.reason}; requested by {actor.label}",
        rotation_pick=pick,
    )
