"""Teams, lead sources and rotations: the settings that decide where a new lead goes,
and the checks that keep a lead's team, source and people inside its workspace.

Every write records a SETTINGS entry in the workspace audit trail."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from leads.actors import Actor
from leads.models import (
    ActionLog,
    LeadSource,
    Membership,
    Rotation,
    RotationMember,
    Team,
    User,
    Workspace,
)
from leads.services.routing import RotationPick, rotation_cycle, rotation_pick, rotation_preview
from leads.services.timeline import actionlog_record

MAX_NAME_LENGTH = 120
MAX_WEIGHT = 100


# --- people ---------------------------------------------------------------------------


def member_by_email(*, workspace: Workspace, email: Any, field: str) -> Membership:
    """The active member of the workspace with this email; a ValidationError on `field`
    otherwise (another workspace's member is unknown here, exactly like a stranger)."""
    if not isinstance(email, str) or not email.strip():
        raise ValidationError({field: "Give the email address of a member of this account."})
    member = (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, user__email__iexact=email.strip())
        .first()
    )
    if member is None:
        raise ValidationError({field: f"“{email.strip()}” is not a member of this account."})
    if not (member.is_active and member.user.is_active):
        raise ValidationError({field: f"“{member.email}” is not an active member of this account."})
    return member


def members_by_email(
    *, workspace: Workspace, emails: Sequence[str], field: str
) -> dict[str, Membership]:
    """Active members by lower-cased email, in one query; every unknown or inactive
    address is listed in one ValidationError on `field`."""
    wanted = sorted({e.strip().lower() for e in emails})
    found = {
        m.lower_email: m
        for m in Membership.objects.select_related("user")
        .annotate(lower_email=Lower("user__email"))
        .filter(workspace=workspace, lower_email__in=wanted)
    }
    problems = []
    for email in wanted:
        member = found.get(email)
        if member is None:
            problems.append(f"“{email}” is not a member of this account.")
        elif not (member.is_active and member.user.is_active):
            problems.append(f"“{email}” is not an active member of this account.")
    if problems:
        raise ValidationError({field: problems})
    return found


def user_for_created_by(*, workspace: Workspace, email: Any) -> User:
    """createdBy on a new lead: the user behind an active member of the workspace."""
    return member_by_email(workspace=workspace, email=email, field="created_by").user


# --- where a lead belongs ---------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    team: Team | None
    lead_source: LeadSource | None


def _team_in(workspace: Workspace, team_id: Any, field: str = "team") -> Team:
    team = Team.objects.filter(workspace=workspace, pk=team_id).first()
    if team is None:
        raise ValidationError({field: f"Team {team_id} does not exist in this account."})
    return team


def lead_placement_resolve(
    *,
    workspace: Workspace,
    data: Mapping[str, Any],
    current: Placement | None = None,
    enforce: bool = True,
) -> Placement:
    """The team and lead source a lead will have, checked in the order the Pulse API
    documents: a team is required when the account has active teams, a lead source when
    that team has active sources (both unless `enforce` is off); the team and source must
    exist in the workspace, be active, and the source must belong to the team (or to no
    team). `data` holds `team` / `lead_source` ids when the caller sent them; `current`
    is the lead's placement on an update (None on create)."""
    creating = current is None
    current = current or Placement(team=None, lead_source=None)
    sent_team, sent_source = "team" in data, "lead_source" in data
    if not creating and not (sent_team or sent_source):
        return current

    team_id = data.get("team") if sent_team else (current.team.pk if current.team else None)
    if (
        team_id is None
        and enforce
        and Team.objects.filter(workspace=workspace, is_active=True).exists()
    ):
        raise ValidationError(
            "team ID is required when teams exist in the account", code="team_required"
        )
    team = None
    if team_id is not None:
        team = current.team if current.team and current.team.pk == team_id else None
        team = team or _team_in(workspace, team_id)
        if not team.is_active and (sent_team or creating):
            raise ValidationError({"team": f"Team {team.pk} (“{team.name}”) is inactive."})

    source_id = (
        data.get("lead_source")
        if sent_source
        else (current.lead_source.pk if current.lead_source else None)
    )
    if (
        source_id is None
        and enforce
        and team is not None
        and team.lead_sources.filter(is_active=True).exists()
    ):
        raise ValidationError(
            "lead source ID is required when the team has lead sources",
            code="lead_source_required",
        )
    source = None
    if source_id is not None:
        source = LeadSource.objects.filter(workspace=workspace, pk=source_id).first()
        if source is None:
            raise ValidationError(
                {"lead_source": f"Lead source {source_id} does not exist in this account."}
            )
        if not source.is_active and (sent_source or creating):
            raise ValidationError(
                {"lead_source": f"Lead source {source.pk} (“{source.name}”) is inactive."}
            )
        if source.team_id is not None and source.team_id != (team.pk if team else None):
            where = f"team {team.pk}" if team else "a lead without a team"
            raise ValidationError(
                {
                    "lead_source": (
                        f"Lead source {source.pk} belongs to team {source.team_id}, not to {where}."
                    )
                }
            )
    return Placement(team=team, lead_source=source)


# --- teams ------------------------------------------------------------------------------


def _clean_name(value: Any, *, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: "A name is required."})
    name = value.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError({field: f"Use at most {MAX_NAME_LENGTH} characters."})
    return name


def _settings_log(
    *, workspace: Workspace, actor: Actor, event: str, summary: str, data: dict[str, Any]
) -> None:
    actionlog_record(
        workspace=workspace,
        actor=actor,
        type=ActionLog.Type.SETTINGS,
        event=event,
        summary=summary,
        input=data,
    )


def _check_team_name_free(workspace: Workspace, name: str, exclude: int | None = None) -> None:
    clash = Team.objects.filter(workspace=workspace, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": f"A team named “{name}” already exists."})


def _save_unique(instance: Team | Rotation, error: ValidationError) -> None:
    """Save under a savepoint: a unique constraint lost to a concurrent request becomes
    the same clear error the pre-check gives, and the outer transaction survives."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise error from None


@transaction.atomic
def team_create(
    *,
    workspace: Workspace,
    actor: Actor,
    name: Any,
    is_active: bool = True,
    member_emails: Sequence[str] | None = None,
) -> Team:
    """A new team, optionally with members (active members of the workspace, by email)."""
    name = _clean_name(name)
    _check_team_name_free(workspace, name)
    members = (
        list(members_by_email(workspace=workspace, emails=member_emails, field="members").values())
        if member_emails
        else []
    )
    team = Team(
        workspace=workspace,
        name=name,
        is_active=is_active,
        created_by=actor.created_by_user,
        updated_by=actor.created_by_user,
    )
    _save_unique(team, ValidationError({"name": f"A team named “{name}” already exists."}))
    team.members.set(members)
    _settings_log(
        workspace=workspace,
        actor=actor,
        event="team_created",
        summary=f"Team “{name}” created",
        data={"teamId": team.pk, "name": name, "active": is_active, "members": member_emails},
    )
    return team


@transaction.atomic
def team_update(
    *, team: Team, actor: Actor, data: Mapping[str, Any], member_emails: Sequence[str] | None
) -> Team:
    """Change a team's name, active flag and (when given) its whole member list."""
    changes: dict[str, Any] = {}
    if "name" in data:
        name = _clean_name(data["name"])
        if name != team.name:
            _check_team_name_free(team.workspace, name, exclude=team.pk)
            changes["name"] = name
            team.name = name
    if "is_active" in data and bool(data["is_active"]) != team.is_active:
        team.is_active = bool(data["is_active"])
        changes["active"] = team.is_active
    if member_emails is not None:
        members = members_by_email(
            workspace=team.workspace, emails=member_emails, field="members"
        ).values()
        team.members.set(list(members))
        changes["members"] = sorted(m.email for m in members)
    team.updated_by = actor.created_by_user
    _save_unique(team, ValidationError({"name": f"A team named “{team.name}” already exists."}))
    _settings_log(
        workspace=team.workspace,
        actor=actor,
        event="team_updated",
        summary=f"Team “{team.name}” updated",
        data={"teamId": team.pk, "changes": changes},
    )
    return team


# --- lead sources -----------------------------------------------------------------------


@transaction.atomic
def lead_source_create(
    *,
    workspace: Workspace,
    actor: Actor,
    name: Any,
    is_active: bool = True,
    team_id: int | None = None,
) -> LeadSource:
    """A new lead source, for one team or (no team) for the whole workspace."""
    name = _clean_name(name)
    team = _team_in(workspace, team_id) if team_id is not None else None
    source = LeadSource.objects.create(
        workspace=workspace,
        team=team,
        name=name,
        is_active=is_active,
        created_by=actor.created_by_user,
        updated_by=actor.created_by_user,
    )
    _settings_log(
        workspace=workspace,
        actor=actor,
        event="lead_source_created",
        summary=f"Lead source “{name}” created",
        data={"leadSourceId": source.pk, "name": name, "teamId": team_id, "active": is_active},
    )
    return source


@transaction.atomic
def lead_source_update(*, source: LeadSource, actor: Actor, data: Mapping[str, Any]) -> LeadSource:
    """Rename, (de)activate or move a lead source to another team (or to none)."""
    changes: dict[str, Any] = {}
    if "name" in data:
        source.name = _clean_name(data["name"])
        changes["name"] = source.name
    if "is_active" in data:
        source.is_active = bool(data["is_active"])
        changes["active"] = source.is_active
    if "team" in data:
        team_id = data["team"]
        source.team = _team_in(source.workspace, team_id) if team_id is not None else None
        changes["teamId"] = team_id
    source.updated_by = actor.created_by_user
    source.save()
    _settings_log(
        workspace=source.workspace,
        actor=actor,
        event="lead_source_updated",
        summary=f"Lead source “{source.name}” updated",
        data={"leadSourceId": source.pk, "changes": changes},
    )
    return source


# --- rotations --------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationSeat:
    """One member's place in a rotation as a caller describes it."""

    email: str
    weight: int = 1


def rotation_seats_parse(entries: Sequence[Any]) -> list[RotationSeat]:
    """Members in turn order from a list of emails and/or {email, weight} objects. An
    email listed several times gets one seat whose weight is the number of listings
    (so the expanded turn list a rotation shows can be sent back unchanged)."""
    if not isinstance(entries, list | tuple):
        raise ValidationError({"rotation_members": "Send a list of member emails."})
    weights: dict[str, int] = {}
    errors: list[str] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            email, weight = entry, 1
        elif isinstance(entry, Mapping):
            email, weight = entry.get("email"), entry.get("weight", 1)
        else:
            errors.append(f"Item {index}: send an email or an object with “email”.")
            continue
        if not isinstance(email, str) or not email.strip():
            errors.append(f"Item {index}: an email is required.")
            continue
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            errors.append(f"Item {index}: weight must be a whole number of at least 1.")
            continue
        key = email.strip().lower()
        weights[key] = weights.get(key, 0) + weight
    for email, weight in weights.items():
        if weight > MAX_WEIGHT:
            errors.append(f"“{email}” has weight {weight}; the most is {MAX_WEIGHT}.")
    if errors:
        raise ValidationError({"rotation_members": errors})
    return [RotationSeat(email=e, weight=w) for e, w in weights.items()]


ROTATION_STATUS_MESSAGE = "Status is required and must be one of active, archived, queued"


def _check_status(status: Any, *, field: str | None = "status") -> None:
    """A rotation status is exactly one of its values; anything else (null, "", a list,
    an object) is the one documented error, on `field` or (None) for the whole request."""
    if isinstance(status, str) and status in Rotation.Status.values:
        return
    if field is None:
        raise ValidationError(ROTATION_STATUS_MESSAGE, code="invalid_status")
    raise ValidationError({field: ROTATION_STATUS_MESSAGE})


def _normalize_rotation_name(name: str, team: Team | None, *, kept: str | None = None) -> str:
    """The name a rotation of `team` may have. Leads without a team only ever use the
    rotation named "default", so any other team-less rotation could never route: it is
    refused, unless it is a team-less rotation made before this rule keeping its name
    (`kept`)."""
    if name.lower() == Rotation.DEFAULT_NAME:
        if team is not None:
            raise ValidationError(
                {
                    "name": "“default” names the account-wide fallback rotation; "
                    "it cannot belong to a team."
                }
            )
        return Rotation.DEFAULT_NAME
    if team is None and name != kept:
        raise ValidationError(
            {
                "team": "A rotation belongs to a team, or is the account's “default” "
                "rotation: choose a team, or name it “default”."
            }
        )
    return name


def _check_active_slot(rotation: Rotation) -> ValidationError | None:
    """The error for a second active rotation of a team, or a second active default."""
    if rotation.status != Rotation.Status.ACTIVE:
        return None
    others = Rotation.objects.filter(
        workspace=rotation.workspace, status=Rotation.Status.ACTIVE
    ).exclude(pk=rotation.pk)
    if rotation.team_id is not None:
        clash = others.filter(team_id=rotation.team_id).first()
        if clash is not None:
            return ValidationError(
                f"Team {rotation.team_id} already has an active rotation ({clash.pk}); "
                "archive or queue it first.",
                code="rotation_conflict",
            )
    elif rotation.is_default:
        clash = others.filter(team__isnull=True, name=Rotation.DEFAULT_NAME).first()
        if clash is not None:
            return ValidationError(
                f"The account already has an active default rotation ({clash.pk}); "
                "archive or queue it first.",
                code="rotation_conflict",
            )
    return None


def _save_rotation(rotation: Rotation) -> None:
    error = _check_active_slot(rotation)
    if error is not None:
        raise error
    _save_unique(
        rotation,
        ValidationError(
            "Another active rotation was saved for the same team (or as the default) "
            "at the same moment; try again.",
            code="rotation_conflict",
        ),
    )


def _set_seats(rotation: Rotation, seats: Sequence[RotationSeat]) -> None:
    """Make the rotation's member rows match `seats` (order and weight), in bulk."""
    members = members_by_email(
        workspace=rotation.workspace, emails=[s.email for s in seats], field="rotation_members"
    )
    existing = {row.membership_id: row for row in rotation.members.all()}
    changed: list[RotationMember] = []
    added: list[RotationMember] = []
    for order, seat in enumerate(seats):
        membership = members[seat.email]
        row = existing.pop(membership.pk, None)
        if row is None:
            added.append(
                RotationMember(
                    workspace=rotation.workspace,
                    rotation=rotation,
                    membership=membership,
                    order=order,
                    weight=seat.weight,
                )
            )
        else:
            row.order, row.weight = order, seat.weight
            changed.append(row)
    if existing:
        RotationMember.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    if changed:
        RotationMember.objects.bulk_update(changed, ["order", "weight"])
    if added:
        RotationMember.objects.bulk_create(added)


def rotation_cycle_length(rotation: Rotation) -> int:
    return len(rotation_cycle(list(rotation.members.all())))


@transaction.atomic
def rotation_create(
    *,
    workspace: Workspace,
    actor: Actor,
    name: Any,
    team_id: int | None = None,
    status: str = Rotation.Status.ACTIVE,
    seats: Sequence[RotationSeat] = (),
) -> Rotation:
    """A new rotation: for one team, or named "default" as the account-wide fallback.
    A team (and the account) has at most one active rotation at a time."""
    team = _team_in(workspace, team_id) if team_id is not None else None
    name = _normalize_rotation_name(_clean_name(name), team)
    _check_status(status)
    rotation = Rotation(
        workspace=workspace,
        team=team,
        name=name,
        status=status,
        created_by=actor.created_by_user,
        updated_by=actor.created_by_user,
    )
    _save_rotation(rotation)
    _set_seats(rotation, seats)
    _settings_log(
        workspace=workspace,
        actor=actor,
        event="rotation_created",
        summary=f"Rotation “{name}” created",
        data={
            "rotationId": rotation.pk,
            "name": name,
            "teamId": team_id,
            "status": status,
            "members": [{"email": s.email, "weight": s.weight} for s in seats],
        },
    )
    return rotation


@transaction.atomic
def rotation_update(
    *,
    rotation: Rotation,
    actor: Actor,
    data: Mapping[str, Any],
    seats: Sequence[RotationSeat] | None = None,
) -> Rotation:
    """Rename, move to another team, change status, replace the members (in turn order,
    with weights) or set the pointer. Without a new pointer the next turn stays where it
    was in the cycle (wrapped to the new cycle's length)."""
    rotation = Rotation.objects.select_for_update().get(pk=rotation.pk)
    changes: dict[str, Any] = {}
    teamless_name = rotation.name if rotation.team_id is None else None
    if "team" in data:
        team_id = data["team"]
        rotation.team = _team_in(rotation.workspace, team_id) if team_id is not None else None
        changes["teamId"] = team_id
    if "name" in data or "team" in data:
        rotation.name = _normalize_rotation_name(
            _clean_name(data.get("name", rotation.name)), rotation.team, kept=teamless_name
        )
        changes["name"] = rotation.name
    if "status" in data:
        _check_status(data["status"])
        rotation.status = data["status"]
        changes["status"] = rotation.status
    rotation.updated_by = actor.created_by_user
    _save_rotation(rotation)
    if seats is not None:
        _set_seats(rotation, seats)
        changes["members"] = [{"email": s.email, "weight": s.weight} for s in seats]
    length = rotation_cycle_length(rotation)
    if "position" in data:
        position = data["position"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise ValidationError({"rotation_position": "Send a whole number of at least 0."})
        if length and position >= length:
            raise ValidationError(
                {"rotation_position": f"The rotation has {length} turns: use 0 to {length - 1}."}
            )
        rotation.position = position
        changes["currentPosition"] = position
    elif length:
        rotation.position %= length
    rotation.save(update_fields=["position", "updated_at"])
    _settings_log(
        workspace=rotation.workspace,
        actor=actor,
        event="rotation_updated",
        summary=f"Rotation “{rotation.name}” updated",
        data={"rotationId": rotation.pk, "changes": changes},
    )
    return rotation


@transaction.atomic
def rotation_status_set(*, rotation: Rotation, actor: Actor, status: Any) -> Rotation:
    """active: hands out turns; queued: set up, waiting to be switched on; archived:
    kept for history, never used."""
    _check_status(status, field=None)
    return rotation_update(rotation=rotation, actor=actor, data={"status": status})


@transaction.atomic
def rotation_delete(*, rotation: Rotation, actor: Actor) -> None:
    """Delete a rotation and its member list for good (its audit entries stay)."""
    _settings_log(
        workspace=rotation.workspace,
        actor=actor,
        event="rotation_deleted",
        summary=f"Rotation “{rotation.name}” deleted",
        data={"rotationId": rotation.pk, "name": rotation.name, "teamId": rotation.team_id},
    )
    rotation.delete()


@dataclass(frozen=True)
class RotationTurn:
    pick: RotationPick
    next_member: Membership | None


@transaction.atomic
def rotation_turn_take(*, rotation: Rotation) -> RotationTurn:
    """Hand the next turn of an active rotation to whoever asks (Pulse's next-user):
    the pointer advances atomically, exactly as when a new lead is routed."""
    if rotation.status != Rotation.Status.ACTIVE:
        raise ValidationError(
            f"Rotation {rotation.pk} is {rotation.status}; only an active rotation hands out "
            "turns.",
            code="rotation_inactive",
        )
    pick = rotation_pick(rotation=rotation)
    if pick is None:
        raise ValidationError(
            f"Nobody in rotation {rotation.pk} is taking leads right now.",
            code="rotation_empty",
        )
    upcoming = rotation_preview(pick.rotation, 1)
    return RotationTurn(pick=pick, next_member=upcoming[0] if upcoming else None)


@transaction.atomic
def rotation_member_availability_set(
    *, seat: RotationMember, actor: Actor, is_active: bool
) -> RotationMember:
    """Take a member out of a rotation's turns for now (holiday, out of office) or put
    them back; their place, weight and the rotation's pointer stay as they are, so they
    pick up exactly where the cycle is when they return."""
    seat = (
        RotationMember.objects.select_for_update(of=("self",))
        .select_related("rotation__workspace", "membership__user")
        .get(pk=seat.pk)
    )
    if seat.is_active == is_active:
        return seat
    seat.is_active = is_active
    seat.save(update_fields=["is_active"])
    name = seat.membership.name
    _settings_log(
        workspace=seat.rotation.workspace,
        actor=actor,
        event="rotation_member_availability",
        summary=(
            f"{name} takes leads again in rotation “{seat.rotation.name}”"
            if is_active
            else f"{name} is away from rotation “{seat.rotation.name}”"
        ),
        data={
            "rotationId": seat.rotation_id,
            "member": seat.membership.email,
            "takingLeads": is_active,
        },
    )
    return seat
