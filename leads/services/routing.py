"""Picking who gets a new lead: weighted round-robin over a rotation's members."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leads.models import Membership, Rotation, RotationMember, Team, Workspace


@dataclass(frozen=True)
class RotationPick:
    member: Membership
    rotation: Rotation
    turn: int  # 1-based slot in the cycle that was used
    cycle_length: int
    skipped: tuple[str, ...]  # names of members passed over because they were away

    @property
    def reason(self) -> str:
        text = f"Next in rotation “{self.rotation.name}” (turn {self.turn} of {self.cycle_length})"
        if self.skipped:
            text += "; skipped " + ", ".join(self.skipped) + " (not taking leads)"
        return text


def rotation_cycle(members: list[RotationMember]) -> list[RotationMember]:
    """The turns of one full cycle: every member appears `weight` times, spread out
    (smooth weighted round-robin), in the members' order when weights are equal."""
    total = sum(m.weight for m in members)
    current = [0] * len(members)
    cycle: list[RotationMember] = []
    for _ in range(total):
        for i, m in enumerate(members):
            current[i] += m.weight
        best = max(range(len(members)), key=lambda i: (current[i], -i))
        current[best] -= total
        cycle.append(members[best])
    return cycle


def _takes_leads(member: RotationMember) -> bool:
    return member.is_active and member.membership.is_active


def rotation_preview(
    rotation: Rotation, count: int = 5, *, members: list[RotationMember] | None = None
) -> list[Membership]:
    """Who the next `count` leads would go to, without taking any turn. `members` are the
    rotation's member rows in order when the caller has them loaded already."""
    if members is None:
        members = list(rotation.members.select_related("membership__user"))
    cycle = rotation_cycle(members)
    if not cycle or not any(_takes_leads(m) for m in cycle):
        return []
    result: list[Membership] = []
    pos = rotation.position % len(cycle)
    while len(result) < count:
        m = cycle[pos]
        if _takes_leads(m):
            result.append(m.membership)
        pos = (pos + 1) % len(cycle)
    return result


@transaction.atomic
def rotation_pick_many(*, rotation: Rotation, count: int) -> list[RotationPick]:
    """Take the next `count` turns of a rotation at once (bulk imports): one row lock and
    one update however many leads, with exactly the turns `count` single picks would
    give. Empty when nobody is taking leads."""
    locked = Rotation.objects.select_for_update().get(pk=rotation.pk)
    cycle = rotation_cycle(list(locked.members.select_related("membership__user")))
    if not cycle or count <= 0:
        return []
    picks: list[RotationPick] = []
    skipped: list[str] = []
    slot = locked.position % len(cycle)
    steps = 0
    while len(picks) < count:
        if steps >= len(cycle) and not picks:
            return []  # a whole cycle and nobody takes leads: leave the position alone
        candidate = cycle[slot]
        if _takes_leads(candidate):
            picks.append(
                RotationPick(
                    member=candidate.membership,
                    rotation=locked,
                    turn=slot + 1,
                    cycle_length=len(cycle),
                    skipped=tuple(dict.fromkeys(skipped)),
                )
            )
            skipped = []
        else:
            skipped.append(candidate.membership.name)
        slot = (slot + 1) % len(cycle)
        steps += 1
    Rotation.objects.filter(pk=locked.pk).update(position=slot, updated_at=timezone.now())
    locked.position = rotation.position = slot
    return picks


def rotation_pick(*, rotation: Rotation) -> RotationPick | None:
    """Take the next turn of a rotation. Locks the rotation row until the surrounding
    transaction ends, so concurrent creates queue up and no turn is handed out twice; a
    rolled-back create gives its turn back. Returns None when nobody is taking leads."""
    picks = rotation_pick_many(rotation=rotation, count=1)
    return picks[0] if picks else None


def rotation_for(workspace: Workspace, team: Team | None) -> list[Rotation]:
    """Rotations to try for a new lead, in order: the team's active one, then the
    workspace's default (one query)."""
    condition = Q(team__isnull=True, name=Rotation.DEFAULT_NAME)
    if team is not None:
        condition |= Q(team=team)
    rotations = Rotation.objects.filter(
        condition, workspace=workspace, status=Rotation.Status.ACTIVE
    )
    # The team's rotation first (team_id set), then the default.
    return sorted(rotations, key=lambda r: r.team_id is None)


def route_new_lead(*, workspace: Workspace, team: Team | None) -> RotationPick | None:
    """The member a new lead goes to when nobody was named: the team's rotation, else
    the default rotation, else nobody."""
    for rotation in rotation_for(workspace, team):
        pick = rotation_pick(rotation=rotation)
        if pick is not None:
            return pick
    return None


def route_new_leads(*, workspace: Workspace, team: Team | None, count: int) -> list[RotationPick]:
    """Members for `count` new leads of one team (or none) at once, in rotation order:
    the team's rotation, else the default rotation, else nobody (empty list)."""
    for rotation in rotation_for(workspace, team):
        picks = rotation_pick_many(rotation=rotation, count=count)
        if picks:
            return picks
    return []
