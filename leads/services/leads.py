"""Creating, changing and merging leads. Every family, the staff pages and imports come
through here, so a lead means the same thing whichever door it came in by."""

import datetime
import math
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from leads.actors import Actor
from leads.models import (
    ActionLog,
    CustomField,
    Lead,
    LeadSource,
    Membership,
    Stage,
    Tag,
    Team,
    User,
    Workspace,
)
from leads.services.events import lead_event_emit
from leads.services.matching import email_match_key, lead_find_match, match_lock
from leads.services.phones import phone_match_key, phone_normalize
from leads.services.routing import RotationPick, route_new_lead
from leads.services.timeline import actionlog_record, change_type

# Plain columns a caller may set; everything else below has its own rules.
PLAIN_FIELDS = frozenset(
    {
        "first_name",
        "middle_name",
        "last_name",
        "company",
        "website",
        "job_title",
        "position",
        "location",
        "buying_role",
        "branch",
        "products_services_sold",
        "number_of_employees",
        "current_payment_processor",
        "monthly_transaction_volume",
        "interested_in_switching",
        "process_stage",
        "application_id",
        "external_id",
        "external_portal_link",
        "source",
        "source_platform",
        "source_type",
        "lead_line",
        "img_src",
        "notes",
        "activity_summary",
        "score",
        "qualified",
        "is_test",
        "assignee_type",
        "last_contacted_at",
        "submitted_at",
    }
)
RELATED_FIELDS = {"team": Team, "lead_source": LeadSource, "stage": Stage, "assignee": Membership}
SPECIAL_FIELDS = frozenset(
    {
        "email",
        "phone",
        "timezone",
        "status",
        "custom_fields",
        "tags",
        "opted_out",
        "opt_out_channel",
        "email_verified",
        "phone_verified",
        "archived",
    }
)
WRITABLE_FIELDS = PLAIN_FIELDS | SPECIAL_FIELDS | frozenset(RELATED_FIELDS)


@dataclass
class LeadWrite:
    """What a create or update did: the lead, its timeline entry and the field diff."""

    lead: Lead
    log: ActionLog | None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    assignment: RotationPick | None = None
    created: bool = False

    @property
    def new_values(self) -> dict[str, Any]:
        return {name: diff["to"] for name, diff in self.changes.items()}


def _json_value(value: Any) -> Any:
    """A value as the timeline stores it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "as_e164"):
        return value.as_e164
    return value


def custom_field_definitions(workspace: Workspace) -> dict[str, CustomField]:
    """The workspace's custom fields by slug (fetch once for a batch)."""
    return {f.slug: f for f in CustomField.objects.filter(workspace=workspace)}


def _validate_custom_fields(
    workspace: Workspace,
    values: Mapping[str, Any],
    *,
    ignore_unknown: bool,
    definitions: Mapping[str, CustomField] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Check values against the workspace's field definitions. Returns the accepted values
    and the unknown slugs (an error unless ignore_unknown)."""
    if not isinstance(values, Mapping):
        raise ValidationError({"custom_fields": "Custom fields must be an object of slug: value."})
    if definitions is None:
        definitions = custom_field_definitions(workspace)
    accepted: dict[str, Any] = {}
    unknown: list[str] = []
    errors: list[str] = []
    for slug, value in values.items():
        definition = definitions.get(slug)
        if definition is None:
            unknown.append(slug)
            continue
        if value is None:
            accepted[slug] = None
            continue
        kind = definition.field_type
        ok = True
        if kind == CustomField.Type.TEXT:
            ok = isinstance(value, str)
        elif kind == CustomField.Type.NUMBER:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if isinstance(value, float) and not math.isfinite(value):
                # JSON's 1e400 parses to infinity, which PostgreSQL's jsonb refuses.
                errors.append(f"“{slug}” must be a finite number, not {value}.")
                continue
        elif kind == CustomField.Type.BOOLEAN:
            ok = isinstance(value, bool)
        elif kind == CustomField.Type.DATE:
            try:
                datetime.date.fromisoformat(str(value))
            except ValueError:
                ok = False
        elif kind == CustomField.Type.SELECT:
            ok = value in (definition.choices or [])
        if not ok:
            expected = {
                "text": "text",
                "number": "a number",
                "boolean": "true or false",
                "date": "a date (YYYY-MM-DD)",
                "select": "one of " + ", ".join(map(str, definition.choices or [])),
            }[kind]
            errors.append(f"“{slug}” must be {expected}.")
            continue
        accepted[slug] = value
    if unknown and not ignore_unknown:
        errors.append("Unknown custom field: " + ", ".join(f"“{s}”" for s in unknown) + ".")
    if errors:
        raise ValidationError({"custom_fields": errors})
    return accepted, unknown


def tags_resolve(workspace: Workspace, names: Iterable[str]) -> list[Tag]:
    """Tags by name, case-insensitively, creating the ones used for the first time."""
    wanted: dict[str, str] = {}
    for raw in names:
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationError({"tags": "Tags must be non-empty strings."})
        name = raw.strip()[:64]
        wanted.setdefault(name.lower(), name)
    if not wanted:
        return []

    def fetch() -> dict[str, Tag]:
        # Python's lower() and the database's LOWER() disagree beyond ASCII (SQLite folds
        # ASCII only): match either way, and key by Python's.
        found: dict[str, Tag] = {}
        for tag in (
            Tag.objects.filter(workspace=workspace)
            .annotate(lower_name=Lower("name"))
            .filter(Q(lower_name__in=list(wanted)) | Q(name__in=list(wanted.values())))
        ):
            found.setdefault(tag.name.lower(), tag)
        return found

    existing = fetch()
    missing = [Tag(workspace=workspace, name=wanted[k]) for k in wanted if k not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = fetch()
    for key in [k for k in wanted if k not in existing]:
        # Refused by the unique index: a tag the database already folds to the same name.
        existing[key] = (
            Tag.objects.filter(workspace=workspace)
            .annotate(lower_name=Lower("name"))
            .get(lower_name=Lower(Value(wanted[key])))
        )
    return [existing[k] for k in wanted]


def _check_related(workspace: Workspace, name: str, value: Any) -> Any:
    model = RELATED_FIELDS[name]
    if value is None:
        return None
    if not isinstance(value, model) or value.workspace_id != workspace.pk:
        raise ValidationError({name: f"Unknown {name.replace('_', ' ')}."})
    if name == "assignee" and not value.is_active:
        raise ValidationError({"assignee": f"{value.name} is not an active member."})
    if name == "lead_source" and not value.is_active:
        raise ValidationError({"lead_source": f"Lead source “{value.name}” is inactive."})
    return value


def _apply(
    lead: Lead,
    data: Mapping[str, Any],
    *,
    workspace: Workspace,
    creating: bool,
    ignore_unknown_custom_fields: bool = False,
    custom_fields: Mapping[str, CustomField] | None = None,
) -> tuple[dict[str, dict[str, Any]], list[Tag] | None, list[str]]:
    """Validate `data` and set it on `lead` (unsaved). Returns the diff, the new tag list
    (None: unchanged) and unknown custom-field slugs. Raises ValidationError with every
    problem at once, keyed by field."""
    unknown_fields = set(data) - WRITABLE_FIELDS
    if unknown_fields:
        raise ValueError(f"lead fields not writable: {sorted(unknown_fields)}")
    errors: dict[str, list[str]] = {}
    changes: dict[str, dict[str, Any]] = {}
    now = timezone.now()

    def fail(name: str, err: ValidationError) -> None:
        errors.setdefault(name, []).extend(err.messages)

    def set_value(name: str, value: Any, stored: Any = None) -> None:
        """Set a field, noting the change; `stored` is what the field holds when that
        is not `value` itself (a parsed phone number for its E.164 text)."""
        old = getattr(lead, name)
        if name == "phone":
            old = lead.phone_e164
        if old != value:
            changes[name] = {"from": _json_value(old), "to": _json_value(value)}
        setattr(lead, name, value if stored is None else stored)

    for name in sorted(PLAIN_FIELDS & set(data)):
        value = data[name]
        model_field = Lead._meta.get_field(name)
        is_text = isinstance(model_field, models.CharField | models.TextField)
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            value = "" if is_text else None
            if value is None and not model_field.null:
                fail(name, ValidationError("This field cannot be empty."))
                continue
        else:
            try:
                value = model_field.clean(value, lead)
            except ValidationError as err:
                fail(name, err)
                continue
        set_value(name, value)

    for name in set(RELATED_FIELDS) & set(data):
        try:
            set_value(name, _check_related(workspace, name, data[name]))
        except ValidationError as err:
            errors.update({k: list(v) for k, v in err.message_dict.items()})
    source = lead.lead_source if "lead_source" in data and not errors else None
    if source is not None and source.team_id is not None:
        # A team's lead source brings the lead to that team (and so to its rotation).
        if lead.team_id is None:
            set_value("team", source.team)
        elif lead.team_id != source.team_id:
            fail(
                "lead_source",
                ValidationError(f"Lead source “{source.name}” belongs to another team."),
            )

    if "email" in data:
        email = (data["email"] or "").strip()
        try:
            if email:
                Lead._meta.get_field("email").clean(email, lead)
            set_value("email", email)
            lead.email_normalized = email_match_key(email)
        except ValidationError as err:
            fail("email", err)

    phone_zone = ""
    if "phone" in data:
        raw = (data["phone"] or "").strip() if isinstance(data["phone"], str) else data["phone"]
        if raw in ("", None):
            set_value("phone", "")
            lead.phone_last10 = ""
        elif not isinstance(raw, str):
            fail("phone", ValidationError("Enter the phone number as text."))
        else:
            try:
                info = phone_normalize(raw, region=workspace.default_region)
                set_value("phone", info.e164, stored=info.phone_number())
                lead.phone_last10 = info.last10
                phone_zone = info.timezone
            except ValidationError as err:
                fail("phone", err)

    if "timezone" in data:
        zone = (data["timezone"] or "").strip()
        if zone and zone not in zoneinfo.available_timezones():
            fail("timezone", ValidationError(f"“{zone}” is not an IANA time zone."))
        else:
            set_value("timezone", zone)
            lead.timezone_inferred = False
    elif phone_zone and (creating or lead.timezone_inferred or not lead.timezone):
        set_value("timezone", phone_zone)
        lead.timezone_inferred = True

    new_tags = None
    if "tags" in data:
        if not isinstance(data["tags"], list | tuple):
            fail("tags", ValidationError("Tags must be a list of names."))
        else:
            try:
                new_tags = tags_resolve(workspace, data["tags"])
            except ValidationError as err:
                errors.update({k: list(v) for k, v in err.message_dict.items()})

    unknown_slugs: list[str] = []
    if "custom_fields" in data and data["custom_fields"] is not None:
        try:
            accepted, unknown_slugs = _validate_custom_fields(
                workspace,
                data["custom_fields"],
                ignore_unknown=ignore_unknown_custom_fields,
                definitions=custom_fields,
            )
            merged = {**(lead.custom_fields or {}), **accepted}
            set_value("custom_fields", merged)
        except ValidationError as err:
            errors.update({k: list(v) for k, v in err.message_dict.items()})

    opted_out = data.get("opted_out")
    status = data.get("status")
    if status is not None and status not in Lead.Status.values:
        fail("status", ValidationError(f"“{status}” is not a lead status."))
        status = None
    if (
        opted_out is not None
        and status is not None
        and opted_out != (status == Lead.Status.OPTED_OUT)
    ):
        fail("status", ValidationError("Status and opt-out disagree."))
    if (
        status not in (None, Lead.Status.OPTED_OUT)
        and opted_out is None
        and lead.opted_out_at is not None
    ):
        fail(
            "status",
            ValidationError(
                "This lead opted out. Opt them back in explicitly before changing the status."
            ),
        )
    if status == Lead.Status.OPTED_OUT:
        opted_out = True
    if opted_out is True:
        if lead.opted_out_at is None:
            set_value("opted_out_at", now)
            set_value("opt_out_channel", (data.get("opt_out_channel") or "api")[:32])
        set_value("status", Lead.Status.OPTED_OUT)
    elif opted_out is False:
        set_value("opted_out_at", None)
        set_value("opt_out_channel", "")
        if lead.status == Lead.Status.OPTED_OUT:
            set_value("status", status or Lead.Status.IN_PROGRESS)
    if status is not None and status != Lead.Status.OPTED_OUT and "status" not in errors:
        set_value("status", status)

    for flag, column in (
        ("email_verified", "email_verified_at"),
        ("phone_verified", "phone_verified_at"),
    ):
        if flag in data:
            if data[flag] and getattr(lead, column) is None:
                set_value(column, now)
            elif data[flag] is False:
                set_value(column, None)
    if "archived" in data:
        if data["archived"] and lead.archived_at is None:
            set_value("archived_at", now)
        elif not data["archived"]:
            set_value("archived_at", None)

    if errors:
        raise ValidationError(errors)
    return changes, new_tags, unknown_slugs


def _set_tags(
    lead: Lead, tags: list[Tag], changes: dict[str, dict[str, Any]], *, creating: bool
) -> None:
    before = [] if creating else sorted(lead.tags.values_list("name", flat=True))
    lead.tags.set(tags)
    after = sorted(t.name for t in tags)
    if [b.lower() for b in before] != [a.lower() for a in after]:
        changes["tags"] = {"from": before, "to": after}


def _cancel_messages_for_status(lead: Lead, changes: dict[str, dict[str, Any]]) -> None:
    """Opting out cancels every message not yet sent; not interested stops follow-ups."""
    new_status = changes.get("status", {}).get("to")
    if new_status == Lead.Status.OPTED_OUT:
        ActionLog.objects.messages().filter(
            lead=lead,
            status__in=[ActionLog.Status.PENDING, ActionLog.Status.AWAITING_APPROVAL],
        ).update(status=ActionLog.Status.CANCELLED, error="Lead opted out")
    elif new_status == Lead.Status.NOT_INTERESTED:
        ActionLog.objects.filter(
            lead=lead, type=ActionLog.Type.FOLLOW_UP_MESSAGE, status=ActionLog.Status.PENDING
        ).update(status=ActionLog.Status.CANCELLED, error="Lead not interested")


def _assignment_log(lead: Lead, actor: Actor, pick: RotationPick | None, reason: str) -> None:
    actionlog_record(
        workspace=lead.workspace,
        actor=actor,
        lead=lead,
        type=ActionLog.Type.ASSIGNMENT,
        event="lead_assigned",
        summary=f"Assigned to {lead.assignee.name}" if lead.assignee else "Unassigned",
        description=reason,
        input={
            "assignee": lead.assignee_id,
            "assigneeEmail": lead.assignee.email if lead.assignee else None,
            "rotation": pick.rotation.pk if pick else None,
            "turn": pick.turn if pick else None,
            "reason": reason,
        },
    )


def _log_input(
    event: str, actor: Actor, changes: dict[str, dict[str, Any]], extra: dict | None
) -> dict:
    data: dict[str, Any] = {
        "eventType": event,
        "source": actor.source,
        "leadUpdates": {k: v["to"] for k, v in changes.items()},
        "previous": {k: v["from"] for k, v in changes.items()},
    }
    if extra:
        data.update(extra)
    return data


@transaction.atomic
def lead_create(
    *,
    workspace: Workspace,
    actor: Actor,
    data: Mapping[str, Any],
    route: bool = True,
    emit_events: bool = True,
    after_save: Callable[[Lead], dict[str, Any] | None] | None = None,
    summary: str = "Lead created",
    ignore_unknown_custom_fields: bool = False,
    created_by: User | None = None,
) -> LeadWrite:
    """Create a lead: validate and normalize, route it to a member when nobody is named,
    write one timeline entry with every field set, and queue lead.created. `created_by`
    names someone else than the actor as the lead's creator (Pulse's createdBy)."""
    lead = Lead(
        workspace=workspace,
        created_by=created_by or actor.created_by_user,
        created_by_key=actor.api_key,
    )
    if actor.is_api and "source" not in data:
        lead.source = "api"
    changes, tags, _ = _apply(
        lead,
        data,
        workspace=workspace,
        creating=True,
        ignore_unknown_custom_fields=ignore_unknown_custom_fields,
    )
    pick = None
    if route and lead.assignee_id is None and "assignee" not in data:
        pick = route_new_lead(workspace=workspace, team=lead.team)
        if pick is not None:
            lead.assignee = pick.member
            changes["assignee"] = {"from": None, "to": pick.member.pk}
    lead.save()
    if tags is not None:
        _set_tags(lead, tags, changes, creating=True)
    extra = after_save(lead) if after_save else None
    log = actionlog_record(
        workspace=workspace,
        actor=actor,
        lead=lead,
        type=change_type(actor),
        event="lead_created",
        summary=summary,
        input=_log_input("lead_created", actor, changes, extra),
    )
    if lead.assignee_id is not None:
        reason = pick.reason if pick else f"Assigned by {actor.label} when the lead was created"
        _assignment_log(lead, actor, pick, reason)
    if emit_events:
        lead_event_emit(lead=lead, event_type="lead.created")
    return LeadWrite(lead=lead, log=log, changes=changes, assignment=pick, created=True)


@transaction.atomic
def lead_update(
    *,
    lead: Lead,
    actor: Actor,
    data: Mapping[str, Any],
    emit_events: bool = True,
    after_save: Callable[[Lead], dict[str, Any] | None] | None = None,
    summary: str | None = None,
    event: str | None = None,
    log_type: str | None = None,
    ignore_unknown_custom_fields: bool = False,
    assignment_reason: str = "",
    rotation_pick: RotationPick | None = None,
) -> LeadWrite:
    """Change only the given fields, in one transaction, with one timeline entry listing
    the fields whose value actually changed; queue lead.updated with just those.
    Without an `event` the entry is lead_archived / lead_unarchived when the update
    (un)archives the lead, else lead_updated; `summary` defaults to match.
    `assignment_reason` (and the `rotation_pick` behind it) explain a new assignee."""
    workspace = lead.workspace
    # Work on the committed row, locked: two updates of one lead apply one after the other.
    lead.refresh_from_db(from_queryset=Lead.objects.select_for_update())
    old_assignee = lead.assignee_id
    changes, tags, _ = _apply(
        lead,
        data,
        workspace=workspace,
        creating=False,
        ignore_unknown_custom_fields=ignore_unknown_custom_fields,
    )
    if changes:
        lead.save()
        _cancel_messages_for_status(lead, changes)
    if tags is not None:
        _set_tags(lead, tags, changes, creating=False)
        if "tags" in changes and not set(changes) - {"tags"}:
            lead.save(update_fields=["updated_at"])
    if event is None:
        # Integrations watch the audit log for archiving: an update that (un)archives is
        # recorded as that, its entry holding the whole diff (one entry per update).
        archived = changes.get("archived_at")
        event = "lead_updated"
        if archived is not None:
            event = "lead_archived" if archived["to"] else "lead_unarchived"
    if summary is None:
        summary = event.replace("_", " ").capitalize()  # "Lead archived"
    extra = after_save(lead) if after_save else None
    log = actionlog_record(
        workspace=workspace,
        actor=actor,
        lead=lead,
        type=log_type or change_type(actor),
        event=event,
        summary=summary,
        input=_log_input(event, actor, changes, extra),
    )
    if "assignee" in changes and lead.assignee_id != old_assignee:
        reason = assignment_reason or f"Reassigned by {actor.label}"
        _assignment_log(lead, actor, rotation_pick, reason)
    if emit_events and changes:
        lead_event_emit(lead=lead, event_type="lead.updated", changes=changes)
    return LeadWrite(lead=lead, log=log, changes=changes, assignment=rotation_pick)


# A person's name, part by part (Lead.full_name joins them).
NAME_PARTS = ("first_name", "middle_name", "last_name")


def merge_values(lead: Lead, data: Mapping[str, Any]) -> dict[str, Any]:
    """What an incoming duplicate changes on the lead it matched: its non-empty values win,
    custom fields merge key by key, and nothing is blanked, except that a whole name
    comes whole: when the incoming data names a person (a non-empty first name and a last
    name, even an empty one, as a full name split in two gives), every name part is
    replaced, those not sent with empty. A source with only a first-name column changes
    only the first name."""
    merged: dict[str, Any] = {}
    for name, value in data.items():
        if value in (None, "", [], {}):
            continue
        merged[name] = value
    first = data.get("first_name")
    if isinstance(first, str) and first.strip() and "last_name" in data:
        # Keeping the old last name would store a name nobody sent ("Bob" merged into
        # "Alice Smith" must not give "Bob Smith").
        for part in NAME_PARTS:
            merged[part] = data.get(part) or ""
    return merged


@dataclass
class UpsertResult:
    write: LeadWrite | None
    outcome: str  # created | updated | skipped
    matched_by: str | None
    lead: Lead


@transaction.atomic
def lead_upsert(
    *,
    workspace: Workspace,
    actor: Actor,
    data: Mapping[str, Any],
    on_duplicate: str = "update",
    emit_events: bool = True,
    ignore_unknown_custom_fields: bool = False,
    route: bool = True,
) -> UpsertResult:
    """Create a lead, or merge it into the lead with the same email or phone.

    on_duplicate: "update" merges (non-empty incoming values win), "skip" leaves the match
    alone, "create" always creates. Concurrent calls for the same email or phone are
    serialized, so fifty simultaneous pushes of one person give one lead."""
    email = (data.get("email") or "").strip() if isinstance(data.get("email"), str) else ""
    phone = data.get("phone") if isinstance(data.get("phone"), str) else ""
    phone_e164 = ""
    if phone:
        try:
            phone_e164 = phone_normalize(phone, region=workspace.default_region).e164
        except ValidationError as err:
            raise ValidationError({"phone": err.messages}) from None
    if on_duplicate != "create":
        match_lock(
            workspace, email_key=email_match_key(email), phone_key=phone_match_key(phone_e164)
        )
        match, matched_by = lead_find_match(workspace, email=email, phone_e164=phone_e164)
        if match is not None:
            if on_duplicate == "skip":
                return UpsertResult(
                    write=None, outcome="skipped", matched_by=matched_by, lead=match
                )
            write = lead_update(
                lead=match,
                actor=actor,
                data=merge_values(match, data),
                emit_events=False,
                summary=f"Merged an incoming lead (matched by {matched_by})",
                event="lead_merged",
                log_type=ActionLog.Type.MERGE,
                ignore_unknown_custom_fields=ignore_unknown_custom_fields,
            )
            if emit_events:
                lead_event_emit(
                    lead=match,
                    event_type="lead.merged",
                    changes={"matched_by": matched_by, **write.changes},
                )
                if write.changes:
                    lead_event_emit(lead=match, event_type="lead.updated", changes=write.changes)
            return UpsertResult(write=write, outcome="updated", matched_by=matched_by, lead=match)
    write = lead_create(
        workspace=workspace,
        actor=actor,
        data=data,
        emit_events=emit_events,
        ignore_unknown_custom_fields=ignore_unknown_custom_fields,
        route=route,
    )
    return UpsertResult(write=write, outcome="created", matched_by=None, lead=write.lead)


def lead_matching(
    lead: Lead, *, limit: int = 50, among: models.QuerySet | None = None
) -> list[Lead]:
    """Other leads of the workspace sharing this lead's phone or email, newest first
    (test leads neither match nor are matched); only those in `among` when given (the
    leads a member may see)."""
    if lead.is_test:
        return []
    leads = among if among is not None else Lead.objects.all()
    return list(
        leads.matching(lead.workspace, email_key=lead.email_normalized, phone_e164=lead.phone_e164)
        .exclude(pk=lead.pk)
        .exclude(is_test=True)
        .select_related("assignee__user", "stage")
        .order_by("-created_at", "-id")[:limit]
    )


@transaction.atomic
def lead_delete(*, lead: Lead, actor: Actor) -> ActionLog:
    """Delete a lead for good. Its timeline survives it (ActionLog.lead becomes NULL and
    lead_pk keeps the id), closed by a lead_deleted entry naming what was removed."""
    log = actionlog_record(
        workspace=lead.workspace,
        actor=actor,
        lead=lead,
        type=change_type(actor),
        event="lead_deleted",
        summary="Lead deleted",
        input={
            "eventType": "lead_deleted",
            "source": actor.source,
            "name": lead.full_name,
            "email": lead.email,
            "phone": lead.phone_e164,
        },
    )
    lead.delete()
    return log
