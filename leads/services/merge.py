"""Merging two leads that are the same person, and undoing it.

The survivor keeps its id and takes the values chosen per field; everything that hangs
off the other lead (timeline, checklist values, documents, campaign entries, calls…)
moves to the survivor; the other lead is archived and points at the survivor. The merge
is one MERGE entry on each lead's timeline, and the survivor's entry records exactly what
changed and moved, so lead_merge_undo can put everything back."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from leads.actors import Actor
from leads.models import ActionLog, CustomField, Lead, LeadSource, Membership, Stage, Team
from leads.services.events import lead_event_emit
from leads.services.leads import RELATED_FIELDS, lead_update

SURVIVOR = "survivor"
MERGED = "merged"
MERGE_EVENT = "lead_merged"
MERGED_INTO_EVENT = "lead_merged_into"
UNDO_EVENT = "lead_merge_undone"

# Fields a person chooses between, in the order the merge page shows them.
MERGE_FIELDS: list[tuple[str, str]] = [
    ("first_name", "First name"),
    ("middle_name", "Middle name"),
    ("last_name", "Last name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("job_title", "Job title"),
    ("website", "Website"),
    ("location", "Location"),
    ("timezone", "Time zone"),
    ("stage", "Stage"),
    ("assignee", "Assignee"),
    ("team", "Team"),
    ("lead_source", "Lead source"),
    ("source", "Source"),
    ("external_id", "External id"),
    ("score", "Score"),
    ("qualified", "Qualified"),
    ("notes", "Notes"),
]
CUSTOM_PREFIX = "custom_fields."


@dataclass(frozen=True)
class FieldChoice:
    """One field whose values differ between the two leads."""

    name: str
    label: str
    survivor_value: Any
    merged_value: Any
    default: str  # SURVIVOR or MERGED


@dataclass(frozen=True)
class RelatedMove:
    label: str  # plural
    moving: int
    staying: int  # rows the survivor already has an equivalent of (e.g. same checklist item)
    singular: str = ""

    @property
    def moving_label(self) -> str:
        return self.singular if self.moving == 1 and self.singular else self.label


def _is_empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _value(lead: Lead, name: str) -> Any:
    if name.startswith(CUSTOM_PREFIX):
        return (lead.custom_fields or {}).get(name[len(CUSTOM_PREFIX) :])
    if name == "phone":
        return lead.phone_e164
    return getattr(lead, name)


def merge_field_choices(survivor: Lead, merged: Lead) -> list[FieldChoice]:
    """Every field where the leads differ; the default keeps the survivor's value unless
    it is empty."""
    labels = {f.slug: f.label for f in CustomField.objects.filter(workspace=survivor.workspace)}
    names = list(MERGE_FIELDS)
    slugs = sorted(set(survivor.custom_fields or {}) | set(merged.custom_fields or {}))
    names += [(CUSTOM_PREFIX + slug, labels.get(slug, slug)) for slug in slugs]
    choices = []
    for name, label in names:
        mine, theirs = _value(survivor, name), _value(merged, name)
        if mine == theirs or (_is_empty(theirs) and _is_empty(mine)):
            continue
        default = MERGED if _is_empty(mine) else SURVIVOR
        choices.append(FieldChoice(name, label, mine, theirs, default))
    return choices


def _lead_relations() -> list[models.ForeignObjectRel]:
    """Every one-to-many or one-to-one relation from another table to Lead, except the
    merged_into link between leads themselves."""
    return [
        rel
        for rel in Lead._meta.related_objects
        if (rel.one_to_many or rel.one_to_one) and rel.related_model is not Lead
    ]


def _unique_sets(model: type[models.Model], fk_name: str) -> list[tuple[str, ...]]:
    """Field sets that must stay unique together with the lead link (the rest of each)."""
    sets: list[tuple[str, ...]] = []
    for constraint in model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        if (
            isinstance(constraint, models.UniqueConstraint)
            and fk_name in fields
            and constraint.condition is None
        ):
            sets.append(tuple(f for f in fields if f != fk_name))
    for together in model._meta.unique_together:
        if fk_name in together:
            sets.append(tuple(f for f in together if f != fk_name))
    return sets


def _movable(rel: models.ForeignObjectRel, survivor: Lead, merged: Lead) -> tuple[list[int], int]:
    """Ids of the merged lead's rows that can move to the survivor without breaking a
    uniqueness rule, and how many must stay."""
    model, fk_name = rel.related_model, rel.field.name
    manager = model._base_manager
    rows = manager.filter(**{fk_name: merged})
    if rel.one_to_one:
        ids = list(rows.values_list("pk", flat=True))
        if manager.filter(**{fk_name: survivor}).exists():
            return [], len(ids)
        return ids, 0
    unique_sets = _unique_sets(model, fk_name)
    if not unique_sets:
        return list(rows.values_list("pk", flat=True)), 0
    taken = {
        others: set(manager.filter(**{fk_name: survivor}).values_list(*others))
        for others in unique_sets
        if others
    }
    moving, staying = [], 0
    columns = sorted({f for others in unique_sets for f in others})
    for row in rows.values("pk", *columns):
        clash = any(tuple(row[f] for f in others) in taken[others] for others in taken)
        if clash:
            staying += 1
        else:
            moving.append(row["pk"])
    return moving, staying


def _label(rel: models.ForeignObjectRel, *, plural: bool = True) -> str:
    if rel.related_model is ActionLog:
        return "timeline entries" if plural else "timeline entry"
    meta = rel.related_model._meta
    return str(meta.verbose_name_plural if plural else meta.verbose_name)


def merge_related_preview(survivor: Lead, merged: Lead) -> list[RelatedMove]:
    """What would move from `merged` to `survivor`, per kind of record."""
    moves = []
    for rel in _lead_relations():
        moving, staying = _movable(rel, survivor, merged)
        if moving or staying:
            moves.append(RelatedMove(_label(rel), len(moving), staying, _label(rel, plural=False)))
    return moves


def _json(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _input_value(name: str, value: Any) -> Any:
    """A lead's value in the form lead_update accepts."""
    if value is None and name in ("email", "phone", "timezone"):
        return ""
    return value


def _lock_pair(first: Lead, second: Lead) -> tuple[Lead, Lead]:
    # Lock both rows in id order so two merges of the same pair never deadlock.
    locked = {
        lead.pk: lead
        for lead in Lead.objects.select_for_update()
        .filter(pk__in=sorted([first.pk, second.pk]))
        .order_by("pk")
    }
    return locked[first.pk], locked[second.pk]


@transaction.atomic
def lead_merge(
    *, survivor: Lead, merged: Lead, actor: Actor, choices: Mapping[str, str]
) -> ActionLog:
    """Merge `merged` into `survivor`. `choices` maps a field (see merge_field_choices)
    to SURVIVOR or MERGED; unlisted fields take their default. Returns the survivor's
    MERGE timeline entry."""
    if survivor.workspace_id != merged.workspace_id or survivor.pk == merged.pk:
        raise ValidationError("Pick two different leads of the same workspace.")
    survivor, merged = _lock_pair(survivor, merged)
    if survivor.merged_into_id or merged.merged_into_id:
        raise ValidationError("One of these leads was already merged into another lead.")
    unknown = set(choices) - {c.name for c in merge_field_choices(survivor, merged)}
    bad_values = {v for v in choices.values() if v not in (SURVIVOR, MERGED)}
    if bad_values:
        raise ValidationError("Choose which lead's value to keep for every field.")

    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for choice in merge_field_choices(survivor, merged):
        if choices.get(choice.name, choice.default) != MERGED:
            continue
        if choice.name.startswith(CUSTOM_PREFIX):
            custom[choice.name[len(CUSTOM_PREFIX) :]] = choice.merged_value
        else:
            data[choice.name] = _input_value(choice.name, choice.merged_value)
    if custom:
        data["custom_fields"] = custom
    survivor_tags = list(survivor.tags.values_list("name", flat=True))
    merged_tags = list(merged.tags.values_list("name", flat=True))
    if {t.lower() for t in merged_tags} - {t.lower() for t in survivor_tags}:
        data["tags"] = survivor_tags + merged_tags
    if merged.opted_out_at is not None and survivor.opted_out_at is None:
        # Consent is never lost in a merge: one opt-out covers the person.
        data["opted_out"] = True
        data["opt_out_channel"] = merged.opt_out_channel or "merge"

    def move_related(lead: Lead) -> dict[str, Any]:
        moved: dict[str, dict[str, Any]] = {}
        for rel in _lead_relations():
            ids, _ = _movable(rel, survivor, merged)
            if not ids:
                continue
            model, fk_name = rel.related_model, rel.field.name
            update: dict[str, Any] = {fk_name: survivor}
            if model is ActionLog:
                update["lead_pk"] = survivor.pk
            model._base_manager.filter(pk__in=ids).update(**update)
            moved[model._meta.label_lower] = {"field": fk_name, "ids": ids}
        return {
            "mergedLead": merged.pk,
            "mergedLeadName": str(merged),
            "choices": {k: v for k, v in choices.items() if k not in unknown},
            "moved": moved,
        }

    write = lead_update(
        lead=survivor,
        actor=actor,
        data=data,
        summary=f"Merged lead #{merged.pk} ({merged}) into this lead",
        event=MERGE_EVENT,
        log_type=ActionLog.Type.MERGE,
        after_save=move_related,
    )
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into", "updated_at"])
    lead_update(
        lead=merged,
        actor=actor,
        data={"archived": True},
        summary=f"Merged into lead #{survivor.pk} ({survivor})",
        event=MERGED_INTO_EVENT,
        log_type=ActionLog.Type.MERGE,
        after_save=lambda lead: {"survivor": survivor.pk, "mergeLog": write.log.pk},
    )
    lead_event_emit(
        lead=survivor,
        event_type="lead.merged",
        changes={"merged_lead": str(merged.uuid), **write.changes},
    )
    return write.log


def merge_undo_blocker(log: ActionLog) -> str:
    """Why this timeline entry cannot be undone as a merge ("" when it can)."""
    if log.type != ActionLog.Type.MERGE or log.event != MERGE_EVENT:
        return "This entry is not a merge of two leads."
    if not isinstance(log.input, dict) or "mergedLead" not in log.input:
        return "This merge came from an incoming duplicate and has no second lead to restore."
    if log.children.filter(event=UNDO_EVENT).exists():
        return "This merge was already undone."
    return ""


def _restore_value(workspace_id: int, name: str, value: Any) -> Any:
    """A value from the timeline's `previous` in the form lead_update accepts."""
    if name in RELATED_FIELDS:
        if value is None:
            return None
        model = {"team": Team, "lead_source": LeadSource, "stage": Stage, "assignee": Membership}[
            name
        ]
        return model.objects.filter(workspace_id=workspace_id, pk=value).first()
    return _input_value(name, value)


@transaction.atomic
def lead_merge_undo(*, log: ActionLog, actor: Actor) -> ActionLog:
    """Undo a merge: the other lead comes back (unarchived) with everything that moved,
    and the survivor gets back each value the merge changed — unless that value was
    changed again since, which is kept and listed in the undo entry."""
    log = ActionLog.objects.select_for_update().get(pk=log.pk)
    blocker = merge_undo_blocker(log)
    if blocker:
        raise ValidationError(blocker)
    survivor = Lead.objects.filter(pk=log.lead_id).first()
    merged = Lead.objects.filter(pk=log.input["mergedLead"], workspace_id=log.workspace_id).first()
    if survivor is None or merged is None:
        raise ValidationError("One of the two leads was deleted; this merge cannot be undone.")
    survivor, merged = _lock_pair(survivor, merged)
    if merged.merged_into_id != survivor.pk:
        raise ValidationError("The other lead is no longer merged into this one.")

    after = log.input.get("leadUpdates") or {}
    before = log.input.get("previous") or {}
    data: dict[str, Any] = {}
    kept: list[str] = []
    for name, merged_in in after.items():
        current = _json(survivor.phone_e164 if name == "phone" else getattr(survivor, name))
        if name == "tags":
            current = sorted(survivor.tags.values_list("name", flat=True))
        if name == "custom_fields":
            now_values = survivor.custom_fields or {}
            restore = {
                k: (before.get(name) or {}).get(k)
                for k, v in merged_in.items()
                if (before.get(name) or {}).get(k) != v
            }
            changed = [k for k in restore if now_values.get(k) != merged_in.get(k)]
            kept += [f"custom field {k}" for k in changed]
            restore = {k: v for k, v in restore.items() if k not in changed}
            if restore:
                data["custom_fields"] = restore
            continue
        if current != merged_in:
            kept.append(name)
            continue
        if name == "opted_out_at":
            data["opted_out"] = False
            if "status" in before:
                data["status"] = before["status"]
        elif name in ("opt_out_channel", "status") and "opted_out_at" in after:
            continue
        else:
            data[name] = _restore_value(log.workspace_id, name, before.get(name))

    def move_back(lead: Lead) -> dict[str, Any]:
        returned: dict[str, list[int]] = {}
        for label, entry in (log.input.get("moved") or {}).items():
            model = _model_by_label(label)
            if model is None:
                continue
            fk_name = entry["field"]
            ids = list(
                model._base_manager.filter(pk__in=entry["ids"], **{fk_name: survivor}).values_list(
                    "pk", flat=True
                )
            )
            update: dict[str, Any] = {fk_name: merged}
            if model is ActionLog:
                update["lead_pk"] = merged.pk
            model._base_manager.filter(pk__in=ids).update(**update)
            returned[label] = ids
        return {"undoes": log.pk, "mergedLead": merged.pk, "returned": returned, "kept": kept}

    summary = f"Undid the merge of lead #{merged.pk} ({merged})"
    if kept:
        summary += "; kept values changed since: " + ", ".join(kept)
    write = lead_update(
        lead=survivor,
        actor=actor,
        data=data,
        summary=summary,
        event=UNDO_EVENT,
        log_type=ActionLog.Type.MERGE,
        after_save=move_back,
    )
    ActionLog.objects.filter(pk=write.log.pk).update(parent=log)
    merged.merged_into = None
    merged.save(update_fields=["merged_into", "updated_at"])
    lead_update(
        lead=merged,
        actor=actor,
        data={"archived": False},
        summary=f"Restored: the merge into lead #{survivor.pk} ({survivor}) was undone",
        event=UNDO_EVENT,
        log_type=ActionLog.Type.MERGE,
    )
    write.log.parent = log
    return write.log


def _model_by_label(label: str) -> type[models.Model] | None:
    for rel in _lead_relations():
        if rel.related_model._meta.label_lower == label:
            return rel.related_model
    return None
