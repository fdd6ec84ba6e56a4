"""Import leads from a CSV or XLSX file, exactly as the /imports/ page does, with a
progress bar on stderr.

    python manage.py import_leads leads.csv --workspace "Acme Sales"
    python manage.py import_leads leads.xlsx --workspace "Acme Sales" \\
        --mapping '{"E-mail": "email", "Mobile": "phone", "Name": "full_name"}' \\
        --on-duplicate skip --errors errors.csv

Without --mapping, columns are mapped as the page would suggest (the workspace's earlier
choices, then a guess from the header). The job appears on the /imports/ page, where it
can be reverted."""

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leads.actors import Actor
from leads.models import ImportJob, Membership, Workspace
from leads.services.import_mapping import FIELD_LABELS, IGNORE
from leads.services.imports import (
    error_messages,
    import_error_report,
    import_job_create,
    import_job_discard,
    import_job_run,
    import_job_start,
)


class Progress:
    """One line on stderr, redrawn in place: rows done, percentage, rows per second."""

    def __init__(self, total: int, stream: Any) -> None:
        self.total = max(total, 1)
        self.stream = stream
        self.started = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_line = 0.0

    def __call__(self, job: ImportJob) -> None:
        now = time.monotonic()
        done = job.processed_rows
        if self.tty or now - self.last_line >= 2 or done >= self.total:
            self.draw(done, now)
            self.last_line = now

    def draw(self, done: int, now: float) -> None:
        width = 30
        filled = int(width * done / self.total)
        rate = done / max(now - self.started, 1e-6)
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done:>10,}/{self.total:,} rows "
            f"{100 * done / self.total:5.1f}%  {rate:,.0f} rows/s"
        )
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Import leads from a CSV or XLSX file into a workspace (same rules as /imports/)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv or .xlsx file")
        parser.add_argument("--workspace", required=True, help="The workspace's name")
        parser.add_argument(
            "--mapping",
            help='JSON object: column header (or 0-based index) -> field, e.g. {"Mobile": '
            '"phone"}. Fields: ' + ", ".join(FIELD_LABELS) + ', "custom:<slug>" or "" to '
            "skip a column. Columns not named keep the suggested mapping.",
        )
        parser.add_argument(
            "--on-duplicate",
            choices=ImportJob.DuplicatePolicy.values,
            default=ImportJob.DuplicatePolicy.UPDATE,
            help="A row with the email or phone of an existing lead: update that lead "
            "(default), skip the row, or create a new lead anyway.",
        )
        parser.add_argument("--as", dest="member", help="Email of the member importing")
        parser.add_argument("--errors", help="Write the per-row error report (CSV) here")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        workspace = Workspace.objects.filter(name=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace named {options['workspace']!r}.")
        member = None
        if options["member"]:
            member = (
                Membership.objects.filter(
                    workspace=workspace, user__email__iexact=options["member"], is_active=True
                )
                .select_related("user")
                .first()
            )
            if member is None:
                raise CommandError(f"{options['member']} is not an active member.")
        actor = Actor(user=member.user if member else None, membership=member, source="import")
        with path.open("rb") as handle:
            try:
                job = import_job_create(
                    workspace=workspace, member=member, upload=File(handle, name=path.name)
                )
            except ValidationError as err:
                raise CommandError(" ".join(error_messages(err.message_dict))) from None
        try:
            mapping = self.mapping(job, options["mapping"])
        except CommandError:
            import_job_discard(job=job)
            raise
        err = self.stderr
        err.write(f"Import #{job.pk}: {job.total_rows:,} rows, {job.file_format.upper()}")
        for index, header in enumerate(job.headers):
            target = mapping.get(str(index), IGNORE)
            err.write(f"  {header!r:>30} -> {FIELD_LABELS.get(target, target) or '(skipped)'}")
        try:
            import_job_start(
                job=job,
                actor=actor,
                mapping=mapping,
                on_duplicate=options["on_duplicate"],
                enqueue=False,
            )
        except ValidationError as error:
            import_job_discard(job=job)
            raise CommandError(" ".join(error_messages(error.message_dict))) from None
        # Run here, not by a worker; should this process die, the periodic
        # imports_resume_stale hands the job to a worker, which goes on from the last batch.
        progress = Progress(job.total_rows, sys.stderr)
        started = time.monotonic()
        job = import_job_run(job_id=job.pk, batch_size=options["batch_size"], progress=progress)
        progress.close()
        seconds = time.monotonic() - started
        if options["errors"]:
            with open(options["errors"], "w", encoding="utf-8", newline="") as out:
                for line in import_error_report(job):
                    out.write(line)
        self.stdout.write(
            f"Import #{job.pk} {job.get_status_display().lower()}: {job.created_count:,} "
            f"created, {job.updated_count:,} updated, {job.skipped_count:,} skipped, "
            f"{job.failed_count:,} failed in {seconds:.1f} s "
            f"({job.processed_rows / max(seconds, 1e-6):,.0f} rows/s)."
        )
        if job.error:
            raise CommandError(job.error)

    def mapping(self, job: ImportJob, raw: str | None) -> dict[str, str]:
        mapping = dict(job.mapping)
        if not raw:
            return mapping
        try:
            given = json.loads(raw)
        except json.JSONDecodeError as err:
            raise CommandError(f"--mapping is not JSON: {err}") from None
        if not isinstance(given, dict):
            raise CommandError("--mapping must be a JSON object.")
        for key, target in given.items():
            if not isinstance(target, str):
                raise CommandError(f"--mapping: the field for {key!r} must be a string.")
            if str(key) in mapping and str(key).isdigit():
                mapping[str(key)] = target
                continue
            matches = [str(i) for i, h in enumerate(job.headers) if h == key]
            if not matches:
                raise CommandError(f"--mapping: no column called {key!r} in {job.headers}.")
            for index in matches:
                mapping[index] = target
        return mapping
