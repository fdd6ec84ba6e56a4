"""A lead's checklist: reading it whole, applying updates by code, the side effects of a
lead's status on it, one-off items, documents, and completion.

Lead creates and updates that carry checklist updates go through
lead_create_with_checklist / lead_update_with_checklist, which compose the lead services so
that one request still writes exactly one timeline entry (its input lists the lead's
changed fields and the checklist updates) and queues its events in order: lead.created or
lead.updated first, then lead.completed."""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename, slugify

from checklists.models import ChecklistGroup, ChecklistItem, Document, LeadChecklistItem
from checklists.rules import condition_holds, config_check, is_blank, schema_check, value_check
from leads.actors import Actor
from leads.models import ActionLog, Lead, Workspace
from leads.services.events import lead_event_emit
from leads.services.leads import LeadWrite, lead_create, lead_update
from leads.services.timeline import actionlog_record, change_type

Status = LeadChecklistItem.Status
DONE_STATUSES = frozenset({Status.COMPLETED, Status.NEEDS_REVIEW})
UNFINISHED_STATUSES = frozenset({Status.TODO, Status.INVALID})
_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
# Lead columns a condition can test, by their canonical names.
DOCUMENT_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "company",
    "website",
    "timezone",
    "status",
    "source",
    "source_platform",
    "source_type",
    "external_id",
    "assignee_type",
    "job_title",
    "location",
    "number_of_employees",
    "monthly_transaction_volume",
    "current_payment_processor",
    "score",
    "qualified",
    "is_test",
)


# --- reading ------------------------------------------------------------------------


@dataclass
class ChecklistEntry:
    """One item on a lead's checklist and the lead's value for it (None: never touched)."""

    item: ChecklistItem
    row: LeadChecklistItem | None

    @property
    def status(self) -> str:
        return self.row.status if self.row is not None else Status.TODO

    @property
    def value(self) -> Any:
        return self.row.value if self.row is not None else None


@dataclass
class ChecklistSection:
    """A group (None for items outside any group: one-off items and ungrouped templates)."""

    group: ChecklistGroup | None
    entries: list[ChecklistEntry]


class LeadChecklist:
    """A lead's whole checklist in memory: a fixed number of queries whatever its size."""

    def __init__(
        self,
        lead: Lead,
        items: list[ChecklistItem],
        rows: Iterable[LeadChecklistItem],
        documents: dict[int, list[Document]] | None = None,
    ) -> None:
        self.lead = lead
        self.items = items
        self.rows: dict[int, LeadChecklistItem] = {r.item_id: r for r in rows}
        by_pk = {i.pk: i for i in items}
        for row in self.rows.values():
            if row.item_id in by_pk:  # reuse the loaded item: no query per row
                row.item = by_pk[row.item_id]
        self.documents = documents
        self._document: dict[str, Any] | None = None

    @classmethod
    def load(cls, lead: Lead, *, with_documents: bool = False) -> "LeadChecklist":
        """Items (templates + this lead's own), the lead's values and, when asked, the
        documents attached to them."""
        items = list(
            ChecklistItem.objects.for_lead(lead)
            .select_related("group")
            .order_by("group__position", "group_id", "position", "id")
        )
        rows = list(LeadChecklistItem.objects.filter(lead=lead))
        documents = None
        if with_documents:
            documents = {}
            for doc in Document.objects.filter(lead=lead, checklist_value__isnull=False).order_by(
                "-created_at", "-id"
            ):
                documents.setdefault(doc.checklist_value_id, []).append(doc)
        return cls(lead, items, rows, documents)

    def row(self, item: ChecklistItem) -> LeadChecklistItem | None:
        return self.rows.get(item.pk)

    def documents_for(self, row: LeadChecklistItem | None) -> list[Document]:
        if row is None or self.documents is None:
            return []
        return self.documents.get(row.pk, [])

    def data_document(self) -> dict[str, Any]:
        """What conditions are evaluated against: the lead's fields (canonical names, empty
        ones left out, plus phone, opted_out, tags in lower case and custom_fields) and
        every checklist value by code. A checklist code wins over a lead field of the
        same name."""
        if self._document is None:
            lead = self.lead
            doc: dict[str, Any] = {}
            for name in DOCUMENT_FIELDS:
                value = getattr(lead, name)
                if value not in ("", None):
                    doc[name] = value
            if lead.phone:
                doc["phone"] = lead.phone_e164
            doc["opted_out"] = lead.opted_out_at is not None
            # Tags match case-insensitively everywhere, so conditions see them lower-cased.
            doc["tags"] = sorted(t.name.lower() for t in lead.tags.all()) if lead.pk else []
            doc["custom_fields"] = dict(lead.custom_fields or {})
            for item in self.items:
                row = self.rows.get(item.pk)
                if row is not None and not is_blank(row.value):
                    doc[item.code] = row.value
            self._document = doc
        return self._document

    def changed(self) -> None:
        """Values changed: conditions must be evaluated again."""
        self._document = None

    def _needs_document(self) -> bool:
        return any(
            i.conditions not in (None, {}) or (i.group and i.group.conditions not in (None, {}))
            for i in self.items
        )

    def applicable(self, item: ChecklistItem) -> bool:
        """False when the item's group's condition or its own does not hold for the lead."""
        if not self._needs_document():
            return True
        doc = self.data_document()
        if item.group is not None and not condition_holds(item.group.conditions, doc):
            return False
        return condition_holds(item.conditions, doc)

    def sections(self) -> list[ChecklistSection]:
        """The applicable items, grouped; groups in order, then the items outside groups."""
        by_group: dict[int | None, ChecklistSection] = {}
        for item in self.items:
            if not self.applicable(item):
                continue
            section = by_group.get(item.group_id)
            if section is None:
                section = by_group[item.group_id] = ChecklistSection(item.group, [])
            section.entries.append(ChecklistEntry(item, self.row(item)))
        ordered = [s for key, s in by_group.items() if key is not None]
        if None in by_group:
            ordered.append(by_group[None])
        return ordered

    def entries(self) -> list[ChecklistEntry]:
        return [e for s in self.sections() for e in s.entries]

    def required_entries(self) -> list[ChecklistEntry]:
        return [e for e in self.entries() if e.item.is_required]

    def is_complete(self) -> bool:
        """Every required, applicable item is COMPLETED or NEEDS_REVIEW (and there is at
        least one: a lead with nothing to collect is not "complete")."""
        required = self.required_entries()
        return bool(required) and all(e.status in DONE_STATUSES for e in required)


def lead_checklist(lead: Lead) -> LeadChecklist:
    """A lead's checklist with documents, for display."""
    return LeadChecklist.load(lead, with_documents=True)


def checklist_change_payload(row: LeadChecklistItem, docs: Sequence[Document] = ()) -> dict:
    """A changed value as lead.updated webhooks carry it (canonical names)."""
    return {
        "checklist_item_id": str(row.item.uuid),
        "checklist_item_code": row.item.code,
        "value": row.value,
        "alternate_values": row.alternate_values,
        "status": row.status,
        "updated_at": row.updated_at,
        "documents": [
            {
                "document_id": str(d.uuid),
                "external_id": d.external_id or None,
                "filename": d.filename,
                "mime_type": d.mime_type,
                "size": d.size,
            }
            for d in docs
        ],
    }


# --- applying updates -----------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistUpdate:
    """One validated update: the item, the value when one was sent, the status if any."""

    item: ChecklistItem
    has_value: bool = False
    value: Any = None
    status: str | None = None


def checklist_updates_resolve(
    *, workspace: Workspace, lead: Lead | None, updates: Sequence[Mapping[str, Any]]
) -> list[ChecklistUpdate]:
    """Check updates before anything is written: every code must name an item of this
    lead's checklist and every status must be one of the enum. Raises one
    ValidationError listing every problem (the whole request is refused)."""
    if not updates:
        return []
    errors: list[str] = []
    codes: list[str] = []
    for n, update in enumerate(updates):
        if not isinstance(update, Mapping):
            errors.append(f"Item {n}: must be an object with a code.")
            continue
        code = update.get("code")
        if not isinstance(code, str) or not code.strip():
            errors.append(f"Item {n}: code is required.")
            continue
        codes.append(code.strip())
        status = update.get("status")
        if status is not None and status not in Status.values:
            errors.append(
                f"Item {n}: “{status}” is not a checklist status ({', '.join(Status.values)})."
            )
    scope = Q(lead__isnull=True) | Q(lead=lead) if lead is not None else Q(lead__isnull=True)
    items = {
        i.code: i
        for i in ChecklistItem.objects.filter(workspace=workspace, code__in=codes)
        .filter(scope)
        .select_related("group")
    }
    unknown = sorted({c for c in codes if c not in items})
    if unknown:
        errors.append("Unknown checklist item code: " + ", ".join(f"“{c}”" for c in unknown) + ".")
    if errors:
        raise ValidationError({"checklist_items": errors})
    return [
        ChecklistUpdate(
            item=items[u["code"].strip()],
            has_value="value" in u,
            value=u.get("value"),
            status=u.get("status"),
        )
        for u in updates
    ]


def _row_for(checklist: LeadChecklist, item: ChecklistItem) -> LeadChecklistItem:
    row = checklist.row(item)
    if row is None:
        lead = checklist.lead
        row = LeadChecklistItem(
            workspace_id=lead.workspace_id, lead=lead, item=item, status=Status.TODO
        )
        row._state.adding = True
        checklist.rows[item.pk] = row
    return row


def _source(actor: Actor) -> str:
    return {
        "api": LeadChecklistItem.Source.IMPORTED,
        "import": LeadChecklistItem.Source.IMPORTED,
        "manual": LeadChecklistItem.Source.MANUAL,
        "portal": LeadChecklistItem.Source.PORTAL,
        "agent": LeadChecklistItem.Source.AGENT,
    }.get(actor.source, "")


def _snapshot(row: LeadChecklistItem) -> tuple:
    return (row.value, row.status, row.validation_error, row.auto_skipped)


def _save_rows(rows: Iterable[LeadChecklistItem]) -> list[LeadChecklistItem]:
    """Insert the new rows and update the changed ones: two queries whatever the count."""
    now = timezone.now()
    new, old = [], []
    for row in {id(r): r for r in rows}.values():
        row.updated_at = now
        (new if row.pk is None else old).append(row)
    if new:
        LeadChecklistItem.objects.bulk_create(new)
    if old:
        LeadChecklistItem.objects.bulk_update(
            old, ["value", "status", "validation_error", "auto_skipped", "source", "updated_at"]
        )
    return new + old


@dataclass
class ChecklistApplied:
    """What checklist_apply did: the log entries and the rows it changed."""

    entries: list[dict[str, Any]]
    changed: list[LeadChecklistItem]
    checklist: LeadChecklist


def checklist_apply(
    *,
    lead: Lead,
    updates: Sequence[ChecklistUpdate],
    actor: Actor,
    checklist: LeadChecklist | None = None,
) -> ChecklistApplied:
    """Apply resolved updates, in order. A value is checked against its field type and
    the item's validation rules: when it fails it is stored with status INVALID and the
    reason, and its entry says success: false. A value without a status completes the
    item; a status without a value changes only the status."""
    checklist = checklist or LeadChecklist.load(lead)
    region = lead.workspace.default_region
    source = _source(actor)
    entries: list[dict[str, Any]] = []
    changed: dict[int, LeadChecklistItem] = {}
    for update in updates:
        row = _row_for(checklist, update.item)
        before = _snapshot(row) if row.pk is not None else None
        error = ""
        if update.has_value:
            row.value, error = value_check(update.item, update.value, region=region)
            if error:
                row.status = Status.INVALID
            elif update.status:
                row.status = update.status
            else:
                row.status = Status.COMPLETED if row.value is not None else Status.TODO
            row.validation_error = error
        elif update.status:
            row.status = update.status
            if update.status != Status.INVALID:
                row.validation_error = ""
        if update.has_value or update.status:
            row.auto_skipped = False
            row.source = source
        if before != _snapshot(row):
            changed[update.item.pk] = row
        entry: dict[str, Any] = {
            "code": update.item.code,
            "value": row.value,
            "status": row.status,
            "success": not error,
        }
        if error:
            entry["error"] = error
        entries.append(entry)
    _save_rows(changed.values())
    checklist.changed()
    return ChecklistApplied(entries=entries, changed=list(changed.values()), checklist=checklist)


def checklist_auto_skip(*, checklist: LeadChecklist) -> list[LeadChecklistItem]:
    """A lead marked COMPLETED: every required, applicable item still TODO or INVALID is
    SKIPPED, remembering that it was done automatically."""
    rows = []
    for entry in checklist.required_entries():
        if entry.status in UNFINISHED_STATUSES:
            row = _row_for(checklist, entry.item)
            row.status = Status.SKIPPED
            row.auto_skipped = True
            rows.append(row)
    saved = _save_rows(rows)
    checklist.changed()
    return saved


def checklist_undo_auto_skips(*, checklist: LeadChecklist) -> list[LeadChecklistItem]:
    """A lead reopened: items skipped by an earlier COMPLETED go back to what they were
    (INVALID when their value had failed validation, else TODO)."""
    rows = []
    for row in checklist.rows.values():
        if row.auto_skipped and row.status == Status.SKIPPED:
            row.status = Status.INVALID if row.validation_error else Status.TODO
            row.auto_skipped = False
            rows.append(row)
    saved = _save_rows(rows)
    checklist.changed()
    return saved


def checklist_mark_completed(*, checklist: LeadChecklist) -> bool:
    """Stamp Lead.completed_at the first time the checklist is complete. True only for
    the call that stamped it, so lead.completed is queued once per lead, ever."""
    lead = checklist.lead
    if lead.completed_at is not None or not checklist.is_complete():
        return False
    now = timezone.now()
    stamped = Lead.objects.filter(pk=lead.pk, completed_at__isnull=True).update(completed_at=now)
    if stamped:
        lead.completed_at = now
    return bool(stamped)


# --- lead writes with checklist updates ------------------------------------------------


@dataclass
class ChecklistLeadWrite:
    """A lead create or update with its checklist side: what the API renders."""

    write: LeadWrite
    checklist_updates: list[dict[str, Any]]
    changed_rows: list[LeadChecklistItem] = field(default_factory=list)
    completed: bool = False

    @property
    def lead(self) -> Lead:
        return self.write.lead


def _emit_after(
    lead: Lead,
    event: str,
    changes: dict[str, Any] | None,
    rows: Sequence[LeadChecklistItem],
    completed: bool,
    documents: dict[int, list[Document]] | None = None,
) -> None:
    """Queue the request's events in order: what changed, then lead.completed."""
    payload = dict(changes or {})
    if rows:
        payload["checklist_items"] = [
            checklist_change_payload(r, (documents or {}).get(r.pk, ())) for r in rows
        ]
    if event == "lead.created" or payload:
        lead_event_emit(lead=lead, event_type=event, changes=payload)
    if completed:
        lead_event_emit(lead=lead, event_type="lead.completed")


@transaction.atomic
def lead_create_with_checklist(
    *,
    workspace: Workspace,
    actor: Actor,
    data: Mapping[str, Any],
    checklist_updates: Sequence[Mapping[str, Any]] = (),
    route: bool = True,
) -> ChecklistLeadWrite:
    """Create a lead and apply checklist updates by code, in one transaction with one
    timeline entry; queue lead.created, then lead.completed if the checklist is done."""
    updates = checklist_updates_resolve(workspace=workspace, lead=None, updates=checklist_updates)
    outcome: dict[str, Any] = {}

    def apply(lead: Lead) -> dict[str, Any]:
        checklist = LeadChecklist.load(lead)
        applied = checklist_apply(lead=lead, updates=updates, actor=actor, checklist=checklist)
        outcome["applied"] = applied
        outcome["completed"] = checklist_mark_completed(checklist=checklist)
        extra: dict[str, Any] = {"checklistUpdates": applied.entries}
        if outcome["completed"]:
            extra["leadCompleted"] = True
        return extra

    write = lead_create(
        workspace=workspace,
        actor=actor,
        data=data,
        route=route,
        emit_events=False,
        after_save=apply,
    )
    applied: ChecklistApplied = outcome["applied"]
    _emit_after(write.lead, "lead.created", None, (), outcome["completed"])
    return ChecklistLeadWrite(
        write=write,
        checklist_updates=applied.entries,
        changed_rows=applied.changed,
        completed=outcome["completed"],
    )


@transaction.atomic
def lead_update_with_checklist(
    *,
    lead: Lead,
    actor: Actor,
    data: Mapping[str, Any],
    checklist_updates: Sequence[Mapping[str, Any]] = (),
    summary: str = "Lead updated",
) -> ChecklistLeadWrite:
    """Change only the given fields and checklist items, in one transaction with one
    timeline entry (titled `summary`). A status brings its checklist side effects:
    COMPLETED skips the unfinished required items, IN_PROGRESS undoes those skips (opt-out
    and not-interested message cancellation come from lead_update)."""
    updates = checklist_updates_resolve(
        workspace=lead.workspace, lead=lead, updates=checklist_updates
    )
    status = data.get("status")
    outcome: dict[str, Any] = {}

    def apply(saved: Lead) -> dict[str, Any]:
        checklist = LeadChecklist.load(saved)
        applied = checklist_apply(lead=saved, updates=updates, actor=actor, checklist=checklist)
        extra: dict[str, Any] = {"checklistUpdates": applied.entries}
        rows = {r.pk: r for r in applied.changed}
        if status == Lead.Status.COMPLETED:
            skipped = checklist_auto_skip(checklist=checklist)
            rows.update({r.pk: r for r in skipped})
            if skipped:
                extra["autoSkipped"] = [r.item.code for r in skipped]
        elif status == Lead.Status.IN_PROGRESS:
            reopened = checklist_undo_auto_skips(checklist=checklist)
            rows.update({r.pk: r for r in reopened})
            if reopened:
                extra["autoSkipsUndone"] = [r.item.code for r in reopened]
        if rows:
            # The lead changed even when none of its own columns did.
            saved.save(update_fields=["updated_at"])
        outcome["rows"] = list(rows.values())
        outcome["entries"] = applied.entries
        outcome["completed"] = checklist_mark_completed(checklist=checklist)
        if outcome["completed"]:
            extra["leadCompleted"] = True
        return extra

    write = lead_update(
        lead=lead, actor=actor, data=data, emit_events=False, after_save=apply, summary=summary
    )
    _emit_after(write.lead, "lead.updated", write.changes, outcome["rows"], outcome["completed"])
    return ChecklistLeadWrite(
        write=write,
        checklist_updates=outcome["entries"],
        changed_rows=outcome["rows"],
        completed=outcome["completed"],
    )


def lead_status_set(
    *, lead: Lead, actor: Actor, status: str, summary: str = "Lead updated"
) -> ChecklistLeadWrite:
    """Change a lead's status with its checklist and message side effects (for the staff
    pages; the API reaches the same through lead_update_with_checklist)."""
    return lead_update_with_checklist(
        lead=lead, actor=actor, data={"status": status}, summary=summary
    )


# --- one-off items ----------------------------------------------------------------------


def _code_from_label(label: str) -> str:
    return (slugify(label).replace("-", "_").upper() or "ITEM")[:90]


@transaction.atomic
def checklist_item_add(
    *,
    lead: Lead,
    actor: Actor,
    label: str,
    field_type: str,
    code: str = "",
    is_required: bool = True,
    config: dict[str, Any] | None = None,
    validation_rules: dict[str, Any] | None = None,
    agent_instructions: str = "",
    client_instructions: str = "",
    help_text: str = "",
) -> ChecklistItem:
    """Add a requirement to one lead only (the workspace's templates do not change). The
    code is generated from the label when not given (UTILITY_BILL, UTILITY_BILL_2, …);
    a given code must not be used yet in the workspace."""
    label = (label or "").strip()
    errors: dict[str, str] = {}
    if not label:
        errors["label"] = "This field is required."
    elif len(label) > 255:
        errors["label"] = "At most 255 characters."
    if field_type not in ChecklistItem.FieldType.values:
        errors["field_type"] = (
            f"“{field_type}” is not a field type ({', '.join(ChecklistItem.FieldType.values)})."
        )
    code = (code or "").strip()
    if code and not _CODE_RE.fullmatch(code):
        errors["code"] = "Use letters, digits, _ . or - (at most 100 characters)."
    if errors:
        raise ValidationError(errors)
    config_check(field_type, config)
    schema_check(validation_rules, name="validation_rules")
    workspace = lead.workspace
    taken = ChecklistItem.objects.filter(workspace=workspace)
    if code:
        if taken.filter(code=code).exists():
            raise ValidationError({"code": f"The code “{code}” is already used."})
        candidates: Iterable[str] = [code]
    else:
        base = _code_from_label(label)
        used = set(taken.filter(code__startswith=base).values_list("code", flat=True))
        numbered = (f"{base}_{n}" for n in range(2, 1000))
        candidates = (c for c in (base, *numbered) if c not in used)
    item = None
    for candidate in candidates:
        try:
            with transaction.atomic():
                item = ChecklistItem.objects.create(
                    workspace=workspace,
                    lead=lead,
                    code=candidate,
                    label=label,
                    field_type=field_type,
                    is_required=is_required,
                    config=config or None,
                    validation_rules=validation_rules or None,
                    agent_instructions=agent_instructions or "",
                    client_instructions=client_instructions or "",
                    help_text=help_text or "",
                )
            break
        except IntegrityError:
            if code:  # taken by a concurrent request
                raise ValidationError({"code": f"The code “{code}” is already used."}) from None
    if item is None:
        raise ValidationError({"code": "Could not find a free code; give one explicitly."})
    actionlog_record(
        workspace=workspace,
        actor=actor,
        lead=lead,
        type=change_type(actor),
        event="checklist_item_added",
        summary=f"Checklist item added: {label}"[:255],
        input={
            "eventType": "checklist_item_added",
            "source": actor.source,
            "checklistItem": {
                "code": item.code,
                "label": item.label,
                "fieldType": item.field_type,
                "isRequired": item.is_required,
            },
        },
    )
    return item


# --- documents ----------------------------------------------------------------------------

_URL_SALT = "leadbook.checklists.document-url"


def document_url_token(document: Document) -> str:
    """A signed, timestamped token naming the document (valid DOCUMENT_URL_MAX_AGE)."""
    return signing.dumps(str(document.uuid), salt=_URL_SALT, compress=False)


def document_signed_path(document: Document) -> str:
    """The download path for a document; whoever holds it may download for an hour."""
    return reverse("checklists:document-download", args=[document_url_token(document)])


def document_from_token(token: str) -> Document | None:
    """The document a signed token names, or None when it is forged or expired."""
    try:
        value = signing.loads(token, salt=_URL_SALT, max_age=settings.DOCUMENT_URL_MAX_AGE)
        return Document.objects.filter(uuid=uuid.UUID(str(value))).first()
    except (signing.BadSignature, ValueError, TypeError):
        return None


def checklist_target_resolve(
    lead: Lead, target_id: str
) -> tuple[ChecklistItem, LeadChecklistItem | None]:
    """The checklist item an upload is for, named by the lead checklist item's id or by
    the checklist item's id (for an item the lead has not touched yet)."""
    try:
        key = uuid.UUID(str(target_id))
    except ValueError:
        key = None
    row = (
        LeadChecklistItem.objects.filter(lead=lead, uuid=key).select_related("item").first()
        if key
        else None
    )
    if row is not None:
        return row.item, row
    item = ChecklistItem.objects.for_lead(lead).filter(uuid=key).first() if key else None
    if item is None:
        raise ValidationError({"lead_checklist_item_id": "No such checklist item on this lead."})
    return item, LeadChecklistItem.objects.filter(lead=lead, item=item).first()


@dataclass
class DocumentUpload:
    documents: list[Document]
    log: ActionLog
    row: LeadChecklistItem | None
    completed: bool


@transaction.atomic
def document_upload(
    *,
    lead: Lead,
    actor: Actor,
    files: Sequence[UploadedFile],
    metadata: Sequence[Mapping[str, Any] | None] = (),
    target_id: str | None = None,
    max_files: int = 10,
) -> DocumentUpload:
    """Store files for a lead (default storage), optionally for one checklist item, which
    then awaits review (NEEDS_REVIEW counts toward completion). One DOCUMENT_UPLOAD
    timeline entry lists them. Files already stored are removed again if this service
    fails part-way (storage is not transactional)."""
    if not files:
        raise ValidationError({"files": "Send at least one file."})
    if len(files) > max_files:
        raise ValidationError({"files": f"At most {max_files} files per request."})
    limit = settings.DOCUMENT_MAX_BYTES
    too_big = [f.name for f in files if f.size > limit]
    if too_big:
        raise ValidationError(
            {"files": f"Larger than the limit of {limit} bytes: {', '.join(too_big)}."}
        )
    # Serialize with other writes to this lead (its checklist rows, completion).
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    item, row = (None, None)
    if target_id:
        item, row = checklist_target_resolve(lead, target_id)
    if item is not None and row is None:
        row = LeadChecklistItem(
            workspace_id=lead.workspace_id, lead=lead, item=item, status=Status.TODO
        )
    if row is not None and row.status in (UNFINISHED_STATUSES | {Status.SKIPPED}):
        row.status = Status.NEEDS_REVIEW
        row.validation_error = ""
        row.auto_skipped = False
        row.source = _source(actor)
        _save_rows([row])
    stored: list[Document] = []
    try:
        for n, upload in enumerate(files):
            meta = dict(metadata[n] or {}) if n < len(metadata) else {}
            filename = str(meta.get("name") or upload.name or "document")[:255]
            document = Document(
                workspace_id=lead.workspace_id,
                lead=lead,
                checklist_value=row,
                filename=filename,
                mime_type=(getattr(upload, "content_type", "") or "")[:127],
                size=upload.size,
                document_type=item.field_type if item is not None else "",
                external_id=str(meta.get("externalId") or "")[:255],
                metadata=meta,
            )
            document.file.save(get_valid_filename(filename) or "document", upload, save=False)
            stored.append(document)
            document.save()
        checklist = LeadChecklist.load(lead)
        completed = checklist_mark_completed(checklist=checklist)
        log_input: dict[str, Any] = {
            "eventType": "document_upload",
            "source": actor.source,
            "documents": [
                {"id": str(d.uuid), "filename": d.filename, "size": d.size, "mimeType": d.mime_type}
                for d in stored
            ],
        }
        if row is not None:
            log_input["checklistUpdates"] = [
                {"code": item.code, "value": row.value, "status": row.status, "success": True}
            ]
        if completed:
            log_input["leadCompleted"] = True
        count = len(stored)
        log = actionlog_record(
            workspace=lead.workspace,
            actor=actor,
            lead=lead,
            type=ActionLog.Type.DOCUMENT_UPLOAD,
            event="document_upload",
            summary=f"Uploaded {count} document{'s' if count != 1 else ''}",
            input=log_input,
        )
        lead.save(update_fields=["updated_at"])
    except BaseException:
        for document in stored:
            document.file.delete(save=False)
        raise
    _emit_after(
        lead,
        "lead.updated",
        None,
        [row] if row is not None else [],
        completed,
        documents={row.pk: stored} if row is not None else None,
    )
    return DocumentUpload(documents=stored, log=log, row=row, completed=completed)
