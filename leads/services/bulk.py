"""Create-or-merge for a batch of rows (imports, MEGA bulk): lead_upsert's behaviour, row
by row, in a bounded number of queries however many rows there are."""

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog, Lead, Workspace
from leads.services.inserts import bulk_insert, bulk_update, new_instance
from leads.services.leads import (
    _apply,
    _cancel_messages_for_status,
    _log_input,
    _set_tags,
    custom_field_definitions,
    merge_values,
)
from leads.services.matching import email_match_key, match_lock_many
from leads.services.phones import phone_normalize
from leads.services.routing import RotationPick, route_new_leads
from leads.services.timeline import actionlog_record, change_type

# Columns a merge may touch besides the named fields: the match keys and the inferred
# time zone follow email, phone and timezone.
_DERIVED = {
    "email": ["email_normalized"],
    "phone": ["phone_last10"],
    "timezone": ["timezone_inferred"],
}
_NOT_COLUMNS = {"tags"}


@dataclass
class BulkRowResult:
    """What happened to one row. `lead` is unsaved for a dry run's would-be creates."""

    outcome: str  # created | updated | skipped | failed
    lead: Lead | None = None
    matched_by: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    ignored_custom_fields: list[str] = field(default_factory=list)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    pick: RotationPick | None = None
    tags: list | None = None


def _keys(workspace: Workspace, data: Mapping[str, Any]) -> tuple[str, str, str]:
    """The row's email match key, last ten phone digits (the indexed lookup) and E.164
    number (what a phone match must share: the same last ten digits in another country
    are another person); ValidationError for an unreadable phone."""
    email = data.get("email") if isinstance(data.get("email"), str) else ""
    phone = data.get("phone") if isinstance(data.get("phone"), str) else ""
    last10 = e164 = ""
    if phone and phone.strip():
        try:
            info = phone_normalize(phone, region=workspace.default_region)
        except ValidationError as err:
            raise ValidationError({"phone": err.messages}) from None
        last10, e164 = info.last10, info.e164
    return email_match_key(email), last10, e164


@transaction.atomic
def lead_bulk_upsert(
    *,
    workspace: Workspace,
    actor: Actor,
    rows: Sequence[Mapping[str, Any]],
    on_duplicate: str = "update",
    dry_run: bool = False,
    log_extra: Mapping[str, Any] | None = None,
    create_defaults: Mapping[str, Any] | None = None,
) -> list[BulkRowResult]:
    """lead_upsert for every row, in order, as if sent one by one: a row matching an
    existing lead (or an earlier row) by email or last ten phone digits is merged into
    it, or skipped with on_duplicate="skip"; with on_duplicate="create" every row makes a
    new lead. The rest are created and routed. A row that fails validation fails alone.
    Unknown custom fields are ignored and reported. Bulk leads queue no webhooks (imports
    are inert). dry_run writes nothing. `log_extra` goes into every timeline entry's
    input (e.g. the import it came from); `create_defaults` are values a created lead
    gets unless its row says otherwise (never applied to a lead a row merges into)."""
    if on_duplicate not in ("update", "skip", "create"):
        raise ValueError(f"on_duplicate must be update, skip or create, not {on_duplicate!r}")
    matching = on_duplicate != "create"
    definitions = custom_field_definitions(workspace)
    results: list[BulkRowResult] = []
    keys: list[tuple[str, str, str] | None] = []
    for data in rows:
        try:
            keys.append(_keys(workspace, data))
            results.append(BulkRowResult(outcome="pending"))
        except ValidationError as err:
            keys.append(None)
            results.append(BulkRowResult(outcome="failed", errors=err.message_dict))

    email_keys = {k[0] for k in keys if k and k[0]} if matching else set()
    phone_keys = {k[1] for k in keys if k and k[1]} if matching else set()
    if not dry_run:
        match_lock_many(workspace, email_keys=email_keys, phone_keys=phone_keys)
    # A lead merged into another is a tombstone: duplicates go to the survivor, as in
    # lead_find_match.
    existing = Lead.objects.matching_any(
        workspace, email_keys=email_keys, phone_keys=phone_keys
    ).order_by("created_at", "id")
    if not dry_run:
        existing = existing.select_for_update(of=("self",))
    # The current state of every lead the batch touches, by uuid; the oldest lead per key.
    leads: dict[Any, Lead] = {}
    by_email: dict[str, Any] = {}
    by_phone: dict[str, Any] = {}

    def remember(lead: Lead) -> None:
        leads[lead.uuid] = lead
        if lead.email_normalized:
            by_email.setdefault(lead.email_normalized, lead.uuid)
        if lead.phone_last10:
            by_phone.setdefault(lead.phone_e164, lead.uuid)

    for lead in existing:
        remember(lead)
    touched: dict[Any, set[str]] = defaultdict(set)  # existing lead uuid -> changed fields
    created: list[Any] = []

    for data, key, result in zip(rows, keys, results, strict=True):
        if key is None:
            continue
        email_key, _, phone_key = key
        match_uuid, matched_by = None, None
        if not matching:
            pass
        elif email_key and email_key in by_email:
            match_uuid, matched_by = by_email[email_key], "email"
        elif phone_key and phone_key in by_phone:
            match_uuid, matched_by = by_phone[phone_key], "phone"
        try:
            if match_uuid is not None:
                result.matched_by = matched_by
                if on_duplicate == "skip":
                    result.outcome, result.lead = "skipped", leads[match_uuid]
                    continue
                # Work on a copy: a row that fails must leave the lead as it was.
                lead = copy.copy(leads[match_uuid])
                lead.custom_fields = dict(lead.custom_fields or {})
                changes, tags, unknown = _apply(
                    lead,
                    merge_values(lead, data),
                    workspace=workspace,
                    creating=False,
                    ignore_unknown_custom_fields=True,
                    custom_fields=definitions,
                )
                result.outcome = "updated"
                if lead.pk is not None:
                    touched[lead.uuid].update(changes)
            else:
                lead = new_instance(
                    Lead,
                    {
                        "workspace": workspace,
                        "created_by": actor.created_by_user,
                        "created_by_key": actor.api_key,
                    },
                )
                if actor.is_api and "source" not in data:
                    lead.source = "api"
                changes, tags, unknown = _apply(
                    lead,
                    {**create_defaults, **data} if create_defaults else data,
                    workspace=workspace,
                    creating=True,
                    ignore_unknown_custom_fields=True,
                    custom_fields=definitions,
                )
                result.outcome = "created"
                created.append(lead.uuid)
        except ValidationError as err:
            result.outcome, result.errors = "failed", err.message_dict
            continue
        result.lead, result.changes, result.tags = lead, changes, tags
        result.ignored_custom_fields = unknown
        remember(lead)

    # Rows merged into a lead share its final state.
    for result in results:
        if result.lead is not None:
            result.lead = leads[result.lead.uuid]
    if dry_run:
        return results
    _write(workspace, actor, results, leads, created, touched, dict(log_extra or {}))
    return results


def _write(
    workspace: Workspace,
    actor: Actor,
    results: list[BulkRowResult],
    leads: dict[Any, Lead],
    created: list[Any],
    touched: dict[Any, set[str]],
    log_extra: dict[str, Any],
) -> None:
    """The batch's writes: new leads routed and inserted together, merged leads updated
    together, then every row's timeline entry in one insert."""
    now = timezone.now()
    creating_rows = {r.lead.uuid: r for r in results if r.outcome == "created"}
    by_team: dict[Any, list[Lead]] = defaultdict(list)
    for uuid in created:
        lead = leads[uuid]
        if lead.assignee_id is None and "assignee" not in creating_rows[uuid].changes:
            by_team[lead.team_id].append(lead)
    for new_leads in by_team.values():
        picks = route_new_leads(workspace=workspace, team=new_leads[0].team, count=len(new_leads))
        for lead, pick in zip(new_leads, picks, strict=False):
            lead.assignee = pick.member
            row = creating_rows[lead.uuid]
            row.pick = pick
            row.changes["assignee"] = {"from": None, "to": pick.member.pk}

    new_leads = [leads[uuid] for uuid in created]
    if new_leads:
        bulk_insert(new_leads)
        if any(lead.pk is None for lead in new_leads):  # backends without RETURNING
            ids = dict(
                Lead.objects.filter(uuid__in=created).values_list("uuid", "pk"),
            )
            for lead in new_leads:
                lead.pk = ids[lead.uuid]
    if touched:
        fields = {"updated_at"}
        for names in touched.values():
            for name in names - _NOT_COLUMNS:
                fields.add(name)
                fields.update(_DERIVED.get(name, []))
        changed = [leads[uuid] for uuid, names in touched.items() if names]
        for lead in changed:
            lead.updated_at = now
        if changed:
            bulk_update(changed, sorted(fields))
    # New leads' tags in one insert; a merged lead's tags replace its current ones.
    through = Lead.tags.through
    links = []
    for result in results:
        if result.outcome == "created" and result.tags:
            links += [through(lead_id=result.lead.pk, tag_id=tag.pk) for tag in result.tags]
            result.changes["tags"] = {"from": [], "to": sorted(t.name for t in result.tags)}
    through.objects.bulk_create(links, ignore_conflicts=True)
    for result in results:
        if result.outcome == "updated" and result.tags is not None:
            _set_tags(result.lead, result.tags, result.changes, creating=False)
        if result.outcome == "updated" and "status" in result.changes:
            _cancel_messages_for_status(result.lead, result.changes)

    logs: list[ActionLog] = []
    for result in results:
        if result.outcome == "created":
            logs.append(
                actionlog_record(
                    workspace=workspace,
                    actor=actor,
                    lead=result.lead,
                    type=change_type(actor),
                    event="lead_created",
                    summary="Lead created",
                    input=_log_input(
                        "lead_created", actor, result.changes, {"bulk": True, **log_extra}
                    ),
                    save=False,
                )
            )
            if result.lead.assignee_id is not None:
                logs.append(_assignment_entry(workspace, actor, result))
        elif result.outcome == "updated":
            logs.append(
                actionlog_record(
                    workspace=workspace,
                    actor=actor,
                    lead=result.lead,
                    type=ActionLog.Type.MERGE,
                    event="lead_merged",
                    summary=f"Merged an incoming lead (matched by {result.matched_by})",
                    input=_log_input(
                        "lead_merged", actor, result.changes, {"bulk": True, **log_extra}
                    ),
                    save=False,
                )
            )
    bulk_insert(logs, with_ids=False)


def _assignment_entry(workspace: Workspace, actor: Actor, result: BulkRowResult) -> ActionLog:
    lead, pick = result.lead, result.pick
    reason = pick.reason if pick else f"Assigned by {actor.label} when the lead was created"
    return actionlog_record(
        workspace=workspace,
        actor=actor,
        lead=lead,
        type=ActionLog.Type.ASSIGNMENT,
        event="lead_assigned",
        summary=f"Assigned to {lead.assignee.name}",
        description=reason,
        input={
            "assignee": lead.assignee_id,
            "assigneeEmail": lead.assignee.email,
            "rotation": pick.rotation.pk if pick else None,
            "turn": pick.turn if pick else None,
            "reason": reason,
        },
        save=False,
    )
