"""Importing leads from a file: upload, map, preview, run in the background, report,
revert.

A file becomes an ImportJob (draft) when it is uploaded and passes every limit. Once its
columns are mapped the job is queued; a worker streams the rows and sends them, a batch
at a time, through lead_bulk_upsert — the same validation, duplicate matching, routing
and timeline as every other way in. Each batch, its per-row results and the job's
counters commit together, so a worker that dies leaves the job exactly where the last
batch ended and another picks it up there (imports_resume_stale). A revert deletes the
leads the import created and puts back the fields it changed, except where someone has
changed them since."""

import contextlib
import csv
import io
import itertools
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leads.actors import Actor
from leads.models import (
    ActionLog,
    ImportJob,
    ImportRow,
    Lead,
    LeadSource,
    Membership,
    Stage,
    Team,
    Workspace,
)
from leads.models.imports import ACTIVE_STATUSES
from leads.services.bulk import lead_bulk_upsert
from leads.services.import_files import ENCODING_CHOICES, data_rows, iter_file_rows, sniff_file
from leads.services.import_mapping import (
    FIELD_LABELS,
    ImportRefs,
    guess_mapping,
    mapping_problems,
    remembered_mapping,
    row_to_data,
    valid_targets,
)
from leads.services.inserts import copy_values
from leads.services.leads import custom_field_definitions, lead_update
from leads.services.phones import phone_normalize
from leads.services.timeline import actionlog_record

logger = logging.getLogger("leadbook.imports")

Status = ImportJob.Status
Outcome = ImportRow.Outcome
PREVIEW_ROWS = 20
_RELATED = {"stage": Stage, "team": Team, "lead_source": LeadSource, "assignee": Membership}


# --- Who may import ---------------------------------------------------------------------


def member_can_import(member: Membership) -> bool:
    """Owners, admins and managers may import; agents when the workspace allows it;
    viewers never."""
    role = member.role
    if role in (Membership.Role.OWNER, Membership.Role.ADMIN, Membership.Role.MANAGER):
        return True
    return role == Membership.Role.AGENT and member.workspace.agents_can_import


@transaction.atomic
def workspace_import_access_set(*, workspace: Workspace, actor: Actor, agents: bool) -> bool:
    """Let agents import (or stop them); owners and admins decide. Returns whether it
    changed."""
    member = actor.membership
    if member is None or not member.manages_settings:
        raise PermissionDenied("Only owners and admins change who may import.")
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if locked.agents_can_import == agents:
        return False
    locked.agents_can_import = agents
    locked.save(update_fields=["agents_can_import", "updated_at"])
    workspace.agents_can_import = agents
    actionlog_record(
        workspace=workspace,
        actor=actor,
        type=ActionLog.Type.SETTINGS,
        event="import_access_changed",
        summary="Agents may now import leads" if agents else "Agents may no longer import leads",
        input={"agentsCanImport": agents},
    )
    return True


def create_defaults(job: ImportJob) -> dict[str, Any]:
    """What every lead an import creates gets unless its row says otherwise: the import
    as its source type and, for an agent's import, the agent as assignee (agents work
    the leads they bring in, as when they create one by hand)."""
    defaults: dict[str, Any] = {"source_type": Lead.SourceType.IMPORT}
    member = job.created_by
    if member is not None and member.role == Membership.Role.AGENT:
        defaults["assignee"] = member
    return defaults


def import_actor(job: ImportJob) -> Actor:
    """The person who started the import (timeline entries are of type IMPORT)."""
    member = job.created_by
    return Actor(user=member.user if member else None, membership=member, source="import")


# --- Upload, mapping, preview ------------------------------------------------------------


def import_job_create(
    *, workspace: Workspace, member: Membership | None, upload: File
) -> ImportJob:
    """Check an uploaded file against the limits and keep it as a draft import, with a
    first mapping of its columns (remembered from earlier imports, else guessed)."""
    name = (getattr(upload, "name", "") or "import.csv").rsplit("/", 1)[-1][:255]
    stream = getattr(upload, "file", upload)
    info = sniff_file(stream, name=name)
    mapping = guess_mapping(
        info.headers,
        custom_fields=custom_field_definitions(workspace).values(),
        remembered=remembered_mapping(workspace),
    )
    job = ImportJob(
        workspace=workspace,
        created_by=member,
        original_name=name,
        file_format=info.file_format,
        file_size=getattr(upload, "size", 0) or 0,
        encoding=info.encoding,
        delimiter=info.delimiter,
        headers=info.headers,
        total_rows=info.total_rows,
        mapping=mapping,
    )
    stream.seek(0)
    job.file.save(name, File(stream), save=False)
    try:
        with transaction.atomic():
            job.save()
    except Exception:
        job.file.delete(save=False)
        raise
    return job


def _stream(job: ImportJob) -> IO[bytes]:
    """The stored file, opened for reading (the storage's own file object: the readers
    wrap it in a text decoder and seek in it)."""
    job.file.open("rb")
    inner = job.file.file
    return getattr(inner, "file", inner)


def import_sample(job: ImportJob, *, limit: int = 3) -> list[list[str]]:
    """The first rows of the file as text (for the mapping page)."""
    stream = _stream(job)
    try:
        with contextlib.closing(
            data_rows(
                stream, file_format=job.file_format, encoding=job.encoding, delimiter=job.delimiter
            )
        ) as rows:
            return [cells for _, cells in itertools.islice(rows, limit)]
    finally:
        job.file.close()


@transaction.atomic
def import_job_reread(*, job: ImportJob, encoding: str) -> ImportJob:
    """Read a draft CSV again in another text encoding (when the guess was wrong)."""
    if job.status != Status.DRAFT or job.file_format != ImportJob.FileFormat.CSV:
        raise ValidationError({"encoding": ["Only a CSV file waiting for its mapping."]})
    if encoding not in dict(ENCODING_CHOICES):
        raise ValidationError({"encoding": [f"“{encoding}” is not an encoding we read."]})
    stream = _stream(job)
    try:
        with contextlib.closing(
            iter_file_rows(stream, file_format="csv", encoding=encoding, delimiter=job.delimiter)
        ) as rows:
            header = next((row for row in rows if any(row)), [])
    finally:
        job.file.close()
    job.encoding = encoding
    job.headers = [cell or f"Column {i + 1}" for i, cell in enumerate(header)][: len(job.headers)]
    job.save(update_fields=["encoding", "headers", "updated_at"])
    return job


@dataclass
class PreviewRow:
    number: int
    cells: list[str]
    outcome: str  # created | updated | skipped | failed (what would happen)
    errors: list[str] = field(default_factory=list)
    lead: Lead | None = None
    matched_by: str = ""


def error_messages(errors: Mapping[str, Sequence[str]] | None) -> list[str]:
    """A row's errors as sentences, each naming its field."""
    messages = []
    for name, items in (errors or {}).items():
        for message in items:
            if name in ("__all__", "row"):
                messages.append(str(message))
            else:
                label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
                if name == "custom_fields":
                    label = "Custom field"
                messages.append(f"{label}: {message}")
    return messages


def _policy(on_duplicate: str) -> str:
    if on_duplicate not in ImportJob.DuplicatePolicy.values:
        raise ValidationError({"on_duplicate": [f"“{on_duplicate}” is not a duplicates choice."]})
    return on_duplicate


def _check_mapping(job: ImportJob, mapping: Mapping[str, str]) -> dict[str, str]:
    columns = {str(i) for i in range(len(job.headers))}
    clean = {str(k): (v or "") for k, v in mapping.items() if str(k) in columns}
    allowed = valid_targets(custom_field_definitions(job.workspace).values())
    member = job.created_by
    if member is not None and member.role == Membership.Role.AGENT:
        if "assignee" in clean.values():
            raise ValidationError(
                {"mapping": ["The leads you import are assigned to you: leave out the assignee."]}
            )
        allowed.discard("assignee")
    problems = mapping_problems(clean, allowed=allowed)
    if problems:
        raise ValidationError({"mapping": problems})
    return clean


def import_preview(
    *, job: ImportJob, actor: Actor, mapping: Mapping[str, str], on_duplicate: str
) -> list[PreviewRow]:
    """What the first rows would do — create, update which lead, skip, or fail and why —
    without writing anything (the dry run is rolled back, tags included)."""
    mapping = _check_mapping(job, mapping)
    policy = _policy(on_duplicate)
    refs = ImportRefs.load(job.workspace, mapping)
    stream = _stream(job)
    try:
        with contextlib.closing(
            data_rows(
                stream, file_format=job.file_format, encoding=job.encoding, delimiter=job.delimiter
            )
        ) as rows:
            sample = list(itertools.islice(rows, PREVIEW_ROWS))
    finally:
        job.file.close()
    preview: list[PreviewRow] = []
    pending: list[tuple[PreviewRow, dict[str, Any]]] = []
    for number, cells in sample:
        row = PreviewRow(number=number, cells=cells, outcome=Outcome.CREATED)
        preview.append(row)
        if not any(cells):
            row.outcome, row.errors = Outcome.SKIPPED, ["Empty row."]
            continue
        data, errors = row_to_data(cells, mapping, refs)
        if errors:
            row.outcome, row.errors = Outcome.FAILED, error_messages(errors)
        else:
            pending.append((row, data))
    if pending:
        with transaction.atomic():
            results = lead_bulk_upsert(
                workspace=job.workspace,
                actor=actor,
                rows=[data for _, data in pending],
                on_duplicate=policy,
                dry_run=True,
                create_defaults=create_defaults(job),
            )
            transaction.set_rollback(True)
        for (row, _), result in zip(pending, results, strict=True):
            row.outcome = result.outcome
            row.errors = error_messages(result.errors)
            row.matched_by = result.matched_by or ""
            if result.lead is not None and result.lead.pk is not None:
                row.lead = result.lead
    return preview


@transaction.atomic
def import_job_start(
    *,
    job: ImportJob,
    actor: Actor,
    mapping: Mapping[str, str],
    on_duplicate: str,
    enqueue: bool = True,
) -> ImportJob:
    """Fix the mapping and the duplicates choice, and queue the import for a worker
    (enqueue=False: the caller runs it itself, as import_leads does)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != Status.DRAFT:
        raise ValidationError("This import has already been started.", code="started")
    job.mapping = _check_mapping(job, mapping)
    job.on_duplicate = _policy(on_duplicate)
    job.status = Status.QUEUED
    job.save(update_fields=["mapping", "on_duplicate", "status", "updated_at"])
    _audit(job, actor, "import_started", f"Import #{job.pk} of {job.original_name} started")
    if enqueue:
        transaction.on_commit(lambda: _enqueue("import_job_process", job.pk))
    return job


@transaction.atomic
def import_job_discard(*, job: ImportJob) -> None:
    """Forget a draft (the file goes too)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != Status.DRAFT:
        raise ValidationError("Only an import that has not started can be discarded.")
    name = job.file.name
    storage = job.file.storage
    job.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def import_job_cancel(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Stop a queued or running import after the batch in progress; what it imported
    so far stays (and can be reverted)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (Status.QUEUED, Status.RUNNING):
        raise ValidationError("This import is not running.")
    job.status = Status.FAILED
    job.error = f"Stopped by {actor.label}."
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    _audit(job, actor, "import_stopped", f"Import #{job.pk} of {job.original_name} stopped")
    return job


def _enqueue(name: str, job_id: int) -> None:
    from leads import tasks

    getattr(tasks, name).enqueue(job_id=job_id)


def _audit(job: ImportJob, actor: Actor, event: str, summary: str) -> None:
    actionlog_record(
        workspace=job.workspace,
        actor=actor,
        type=ActionLog.Type.IMPORT,
        event=event,
        summary=summary,
        input={"importId": job.pk, "file": job.original_name, "rows": job.total_rows},
        output=_counts(job),
    )


def _counts(job: ImportJob) -> dict[str, int]:
    return {
        "processed": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "skipped": job.skipped_count,
        "failed": job.failed_count,
    }


# --- Running ------------------------------------------------------------------------------


def _batches(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def import_job_run(
    *,
    job_id: int,
    batch_size: int | None = None,
    progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Import a queued job's rows, a batch per transaction, from where it stands. Safe
    to call twice at once: each batch checks, under the job's row lock, that nobody else
    did it first."""
    size = batch_size or settings.IMPORT_BATCH_SIZE
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (Status.QUEUED, Status.RUNNING):
            return job
        job.status = Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    job = ImportJob.objects.select_related("workspace", "created_by__user").get(pk=job_id)
    actor = import_actor(job)
    refs = ImportRefs.load(job.workspace, job.mapping)
    offset = job.processed_rows
    try:
        stream = _stream(job)
        try:
            rows = data_rows(
                stream,
                file_format=job.file_format,
                encoding=job.encoding,
                delimiter=job.delimiter,
                start=offset,
            )
            with _Prefetch(rows, size, job, refs) as batches:
                for batch in batches:
                    if not _import_batch(job, actor, batch, offset):
                        return ImportJob.objects.get(pk=job_id)
                    offset += len(batch)
                    if progress is not None:
                        progress(ImportJob.objects.get(pk=job_id))
        finally:
            job.file.close()
    except ValidationError as err:
        return _fail(job_id, actor, " ".join(err.messages))
    except Exception:
        logger.exception("import %s failed", job_id)
        _fail(job_id, actor, "The import stopped on an unexpected error; what was imported stays.")
        raise
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status == Status.RUNNING:
            job.status = Status.COMPLETED
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "finished_at", "updated_at"])
            _audit(
                job, actor, "import_completed", f"Import #{job.pk} of {job.original_name} completed"
            )
    return job


def _fail(job_id: int, actor: Actor, message: str) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status in (Status.QUEUED, Status.RUNNING):
            job.status = Status.FAILED
            job.error = message
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at", "updated_at"])
            _audit(job, actor, "import_failed", f"Import #{job.pk} of {job.original_name} failed")
    return job


@dataclass
class _Row:
    """A row read from the file and turned into lead data (or errors)."""

    number: int
    cells: list[str]
    data: dict[str, Any]
    errors: dict[str, list[str]]


class _Prefetch:
    """Reads and prepares the next batch in a thread while the current one is in the
    database: reading the file, mapping the cells and parsing phone numbers (cached by
    phone_normalize, so the batch finds them ready) overlap with the batch's queries
    instead of following them. Iterating gives batches of _Row; errors reading the file
    come out where the batch would have."""

    _DONE = object()

    def __init__(
        self, rows: Iterator[tuple[int, list[str]]], size: int, job: ImportJob, refs: ImportRefs
    ) -> None:
        self.rows, self.size, self.refs = rows, size, refs
        self.mapping = job.mapping
        self.region = job.workspace.default_region
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, name="import-prefetch", daemon=True)

    def __enter__(self) -> Iterator[list[_Row]]:
        self.thread.start()
        return self._batches()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self.queue.get(timeout=0.05)  # unblock a put() waiting for room
        self.rows.close()

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        try:
            for raw in _batches(self.rows, self.size):
                batch = []
                for number, cells in raw:
                    data, errors = (
                        row_to_data(cells, self.mapping, self.refs) if any(cells) else ({}, {})
                    )
                    phone = data.get("phone")
                    if isinstance(phone, str) and not errors:
                        with contextlib.suppress(ValidationError):
                            phone_normalize(phone, region=self.region)
                    batch.append(_Row(number, cells, data, errors))
                if not self._put(batch):
                    return
            self._put(self._DONE)
        except BaseException as err:  # handed to the importing thread
            self._put(err)

    def _batches(self) -> Iterator[list[_Row]]:
        while True:
            item = self.queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


def _import_batch(job: ImportJob, actor: Actor, batch: list[_Row], offset: int) -> bool:
    """One batch, its rows' results and the counters, in one transaction. False when the
    job was stopped or another worker already did this batch."""
    with transaction.atomic():
        locked = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values("status", "processed_rows")
            .first()
        )
        if locked is None or locked["status"] != Status.RUNNING:
            return False
        if locked["processed_rows"] != offset:
            return False
        defaults = create_defaults(job)
        out: list[dict[str, Any]] = []
        pending: list[tuple[int, list[str], dict[str, Any]]] = []
        for row in batch:
            if not any(row.cells):
                out.append(_row(job, row.number, Outcome.SKIPPED, errors={"row": ["Empty row."]}))
            elif row.errors:
                out.append(
                    _row(job, row.number, Outcome.FAILED, errors=row.errors, values=row.cells)
                )
            else:
                pending.append((row.number, row.cells, row.data))
        results = []
        if pending:
            results = lead_bulk_upsert(
                workspace=job.workspace,
                actor=actor,
                rows=[data for _, _, data in pending],
                on_duplicate=job.on_duplicate,
                log_extra={"importId": job.pk},
                create_defaults=defaults,
            )
        for (number, cells, _), result in zip(pending, results, strict=True):
            lead_id = result.lead.pk if result.lead is not None else None
            if result.outcome == Outcome.CREATED:
                out.append(_row(job, number, Outcome.CREATED, lead_id=lead_id))
            elif result.outcome == Outcome.UPDATED:
                out.append(
                    _row(
                        job,
                        number,
                        Outcome.UPDATED,
                        lead_id=lead_id,
                        matched_by=result.matched_by or "",
                        changes=result.changes or None,
                    )
                )
            elif result.outcome == Outcome.SKIPPED:
                note = f"Same {result.matched_by} as lead #{lead_id}: skipped."
                out.append(
                    _row(
                        job,
                        number,
                        Outcome.SKIPPED,
                        lead_id=lead_id,
                        matched_by=result.matched_by or "",
                        errors={"row": [note]},
                        values=cells,
                    )
                )
            else:
                out.append(_row(job, number, Outcome.FAILED, errors=result.errors, values=cells))
        copy_values(ImportRow, out)
        tally = dict.fromkeys(Outcome.values, 0)
        for row in out:
            tally[row["outcome"]] += 1
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=F("processed_rows") + len(batch),
            created_count=F("created_count") + tally[Outcome.CREATED],
            updated_count=F("updated_count") + tally[Outcome.UPDATED],
            skipped_count=F("skipped_count") + tally[Outcome.SKIPPED],
            failed_count=F("failed_count") + tally[Outcome.FAILED],
            updated_at=timezone.now(),
        )
    return True


def _row(job: ImportJob, number: int, outcome: str, **values: Any) -> dict[str, Any]:
    """An ImportRow's columns (inserted with COPY: no model instance per row)."""
    return {
        "workspace_id": job.workspace_id,
        "job_id": job.pk,
        "row_number": number,
        "outcome": outcome,
        **values,
    }


def imports_resume_stale(*, now: Any = None) -> int:
    """Queue again the imports and reverts whose worker stopped answering (no batch for
    IMPORT_STALE_SECONDS). The batch checks make a second worker harmless."""
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    stale = list(
        ImportJob.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=cutoff).values_list(
            "pk", "status"
        )
    )
    for pk, status in stale:
        ImportJob.objects.filter(pk=pk).update(updated_at=now)
        _enqueue("import_job_revert" if status == Status.REVERTING else "import_job_process", pk)
    return len(stale)


# --- Error report ---------------------------------------------------------------------


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def import_error_report(job: ImportJob) -> Iterator[str]:
    """The rows that failed or were skipped, as CSV lines: row number, outcome, what
    went wrong, then the row's own cells under the file's headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Sequence[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(v) for v in values])
        return buffer.getvalue()

    yield line(["row", "outcome", "errors", *job.headers])
    rows = (
        ImportRow.objects.filter(job=job, outcome__in=[Outcome.FAILED, Outcome.SKIPPED])
        .order_by("row_number")
        .values_list("row_number", "outcome", "errors", "values")
    )
    for number, outcome, errors, values in rows.iterator(chunk_size=2000):
        yield line([number, outcome, " ".join(error_messages(errors)), *(values or [])])


# --- Revert -------------------------------------------------------------------------------


@transaction.atomic
def import_job_revert(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Queue the revert of a finished (or stopped) import."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_revert:
        raise ValidationError("Only a finished import that changed something can be reverted.")
    job.status = Status.REVERTING
    job.reverted_rows = job.revert_deleted = job.revert_restored = job.revert_kept = 0
    job.save(
        update_fields=[
            "status",
            "reverted_rows",
            "revert_deleted",
            "revert_restored",
            "revert_kept",
            "updated_at",
        ]
    )
    _audit(job, actor, "import_revert_started", f"Import #{job.pk} is being reverted")
    transaction.on_commit(lambda: _enqueue("import_job_revert", job.pk))
    return job


def import_job_revert_run(*, job_id: int, batch_size: int = 500) -> ImportJob:
    """Undo an import, newest row first, a batch per transaction: restore what it
    updated (where the value is still the imported one), then delete what it created
    (unless changed since the import)."""
    job = ImportJob.objects.select_related("workspace", "created_by__user").get(pk=job_id)
    if job.status != Status.REVERTING:
        return job
    actor = import_actor(job)
    while True:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            if locked.status != Status.REVERTING:
                return locked
            offset = locked.reverted_rows
            rows = list(
                ImportRow.objects.filter(
                    job_id=job_id, outcome__in=[Outcome.CREATED, Outcome.UPDATED]
                ).order_by("-row_number")[offset : offset + batch_size]
            )
            if not rows:
                locked.status = Status.REVERTED
                locked.reverted_at = timezone.now()
                locked.save(update_fields=["status", "reverted_at", "updated_at"])
                _audit(locked, actor, "import_reverted", f"Import #{job.pk} reverted")
                return locked
            deleted, restored, kept = _revert_batch(locked, actor, rows)
            ImportJob.objects.filter(pk=job_id).update(
                reverted_rows=F("reverted_rows") + len(rows),
                revert_deleted=F("revert_deleted") + deleted,
                revert_restored=F("revert_restored") + restored,
                revert_kept=F("revert_kept") + kept,
                updated_at=timezone.now(),
            )


def _revert_batch(job: ImportJob, actor: Actor, rows: list[ImportRow]) -> tuple[int, int, int]:
    workspace = job.workspace
    created_ids = {r.lead_id for r in rows if r.outcome == Outcome.CREATED and r.lead_id}
    # Leads this import created, anywhere in the file: their updates vanish with them.
    all_created = set(
        ImportRow.objects.filter(
            job=job, outcome=Outcome.CREATED, lead_id__in={r.lead_id for r in rows}
        ).values_list("lead_id", flat=True)
    )
    updated_rows = [
        r for r in rows if r.outcome == Outcome.UPDATED and r.lead_id not in all_created
    ]
    leads = {
        lead.pk: lead
        for lead in Lead.objects.filter(
            workspace=workspace, pk__in={r.lead_id for r in rows if r.lead_id}
        ).select_related("workspace")
    }
    restored = kept = deleted = 0
    for row in updated_rows:  # already newest first
        lead = leads.get(row.lead_id)
        if lead is None:
            continue
        data = _restore_data(workspace, lead, row.changes or {})
        if not data:
            kept += 1
            continue
        lead_update(
            lead=lead,
            actor=actor,
            data=data,
            emit_events=False,
            summary=f"Import #{job.pk} reverted: "
            + ", ".join(n.replace("_", " ") for n in data)
            + " restored",
            event="import_reverted",
            log_type=ActionLog.Type.IMPORT,
        )
        restored += 1
    cutoff = job.finished_at or timezone.now()
    doomed = [
        leads[pk] for pk in sorted(created_ids) if pk in leads and leads[pk].updated_at <= cutoff
    ]
    kept += len([pk for pk in created_ids if pk in leads]) - len(doomed)
    if doomed:
        ActionLog.objects.bulk_create(
            [
                actionlog_record(
                    workspace=workspace,
                    actor=actor,
                    lead=lead,
                    type=ActionLog.Type.IMPORT,
                    event="lead_deleted",
                    summary=f"Lead deleted: import #{job.pk} reverted",
                    input={
                        "eventType": "lead_deleted",
                        "source": actor.source,
                        "importId": job.pk,
                        "name": lead.full_name,
                        "email": lead.email,
                        "phone": lead.phone_e164,
                    },
                    save=False,
                )
                for lead in doomed
            ]
        )
        Lead.objects.filter(pk__in=[lead.pk for lead in doomed]).delete()
        deleted = len(doomed)
    return deleted, restored, kept


def _current(lead: Lead, name: str) -> Any:
    if name in _RELATED:
        return getattr(lead, f"{name}_id")
    if name == "phone":
        return lead.phone_e164
    if name == "tags":
        return sorted(lead.tags.values_list("name", flat=True))
    from leads.services.leads import _json_value

    return _json_value(getattr(lead, name, None))


def _restore_data(workspace: Workspace, lead: Lead, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The values to put back: each field the import changed whose value is still the
    one it set (a later edit wins)."""
    data: dict[str, Any] = {}
    for name, diff in changes.items():
        old, new = diff.get("from"), diff.get("to")
        if name in ("email_normalized", "phone_last10", "timezone_inferred", "updated_at"):
            continue
        current = _current(lead, name)
        if name == "custom_fields":
            old, new, current = old or {}, new or {}, current or {}
            back = {
                k: old.get(k)
                for k in new
                if old.get(k) != new.get(k) and current.get(k) == new.get(k)
            }
            if back:
                data["custom_fields"] = back
        elif name == "tags":
            added = {t.lower() for t in new or []} - {t.lower() for t in old or []}
            if added and {t.lower() for t in current} >= added:
                data["tags"] = [t for t in current if t.lower() not in added]
        elif current == new:
            if name in _RELATED:
                old = (
                    _RELATED[name].objects.filter(workspace=workspace, pk=old).first()
                    if old is not None
                    else None
                )
                if diff.get("from") is not None and old is None:
                    continue  # the old stage/team/… no longer exists
            data[name] = "" if old is None and name in ("email", "phone", "timezone") else old
    return data
