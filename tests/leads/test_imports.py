"""Imports: reading untrusted files, mapping columns, previewing, running in batches
through lead_bulk_upsert, the error report, reverting, resuming, and who may import."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from leads.actors import Actor
from leads.models import ActionLog, CustomField, ImportJob, ImportRow, Lead, Stage, Tag
from leads.services import imports as import_services
from leads.services.import_files import detect_encoding, sniff_file, xlsx_cell
from leads.services.import_mapping import guess_mapping, normalize_header
from leads.services.imports import (
    import_job_create,
    import_job_revert,
    import_job_run,
    import_job_start,
    import_preview,
    imports_resume_stale,
)
from tests.conftest import make_member, make_rotation

HEADER = ["First Name", "Last Name", "Email", "Phone", "Company"]


def csv_bytes(rows, header=HEADER, encoding="utf-8", delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def people(n, start=0) -> list[list[str]]:
    return [
        [f"Ann{i}", f"Lee{i}", f"ann{i}@people.test", f"(206) 555-{100 + i:04d}", "Acme"]
        for i in range(start, start + n)
    ]


def upload(data: bytes, name="leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def draft(ws_a, alice):
    def make(data: bytes, name="leads.csv"):
        return import_job_create(workspace=ws_a, member=alice, upload=upload(data, name))

    return make


@pytest.fixture
def run(alice, django_capture_on_commit_callbacks):
    """Map, start and (immediate task backend) run a draft; returns the finished job."""

    def go(job, on_duplicate="update", mapping=None):
        actor = Actor(user=alice.user, membership=alice, source="manual")
        with django_capture_on_commit_callbacks(execute=True):
            import_job_start(
                job=job, actor=actor, mapping=mapping or job.mapping, on_duplicate=on_duplicate
            )
        job.refresh_from_db()
        return job

    return go


def report_rows(client, job) -> list[list[str]]:
    response = client.get(f"/imports/{job.pk}/errors.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- Reading files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1252", "cp1252"),
        ("utf-16", "utf-16"),
    ],
)
def test_the_text_encoding_is_detected(encoding, expected):
    data = csv_bytes(
        [["Zoë", "Müller", "z@x.test", "2065550100", "Café “Noir”"]], encoding=encoding
    )
    stream = io.BytesIO(data)
    assert detect_encoding(stream) == expected
    info = sniff_file(stream, name="x.csv")
    assert info.headers == HEADER
    assert info.total_rows == 1


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1():
    data = "Name\nA\x81b\n".encode("latin-1")
    assert detect_encoding(io.BytesIO(data)) == "latin-1"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_detected(delimiter):
    data = csv_bytes(people(3), delimiter=delimiter)
    info = sniff_file(io.BytesIO(data), name="x.csv")
    assert info.delimiter == delimiter
    assert info.headers == HEADER


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.csv", "The file is empty"),
        (b"Name,Email\n", "x.csv", "no rows to import"),
        (b"\x00\x01\x02binary\x00", "x.csv", "binary data"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "x.xls", "Old Excel files"),
        (b"PK\x03\x04not really a zip", "x.xlsx", "not a readable XLSX"),
        (b"hello", "x.xlsx", "not a readable XLSX"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(Exception) as caught:
        sniff_file(io.BytesIO(data), name=name)
    assert message in " ".join(caught.value.messages)


def test_size_rows_and_columns_are_limited(settings):
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(Exception, match="more than 5 rows"):
        sniff_file(io.BytesIO(csv_bytes(people(6))), name="x.csv")
    settings.IMPORT_MAX_COLUMNS = 3
    with pytest.raises(Exception, match="5 columns; the limit is 3"):
        sniff_file(io.BytesIO(csv_bytes(people(1))), name="x.csv")
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(Exception, match="the limit is"):
        sniff_file(io.BytesIO(csv_bytes(people(5))), name="x.csv")


def test_a_huge_cell_is_refused(settings):
    settings.IMPORT_MAX_CELL_CHARS = 100
    with pytest.raises(Exception, match="longer than 100 characters"):
        sniff_file(io.BytesIO(csv_bytes([["x" * 101, "", "", "", ""]])), name="x.csv")


def test_an_xlsx_keeps_formulas_as_text_and_numbers_without_decimals():
    data = xlsx_bytes(
        [
            ["Name", "Phone", "Score", "Since"],
            ['=HYPERLINK("http://evil")', 2065550100, 1.5, __import__("datetime").date(2024, 5, 1)],
        ]
    )
    stream = io.BytesIO(data)
    info = sniff_file(stream, name="book.xlsx")
    assert info.file_format == "xlsx"
    from leads.services.import_files import data_rows

    rows = list(data_rows(stream, file_format="xlsx", encoding="", delimiter=""))
    assert rows == [(2, ['=HYPERLINK("http://evil")', "2065550100", "1.5", "2024-05-01"])]
    assert xlsx_cell(True) == "true"


def test_an_xlsx_that_unpacks_too_large_is_refused(settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 2000
    data = xlsx_bytes([["Name"], *[["x" * 50] for _ in range(200)]])
    with pytest.raises(Exception, match="too large once unpacked"):
        sniff_file(io.BytesIO(data), name="book.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(Exception, match="not an XLSX workbook"):
        sniff_file(io.BytesIO(out.getvalue()), name="x.xlsx")


# --- Mapping -------------------------------------------------------------------------------


def test_columns_are_guessed_from_their_headers(ws_a):
    CustomField.objects.create(workspace=ws_a, slug="budget", label="Yearly budget")
    headers = ["Full Name", "E-mail", "Mobile", "Organisation", "Yearly Budget", "Whatever"]
    mapping = guess_mapping(headers, custom_fields=CustomField.objects.filter(workspace=ws_a))
    assert mapping == {
        "0": "full_name",
        "1": "email",
        "2": "phone",
        "3": "company",
        "4": "custom:budget",
        "5": "",
    }
    assert normalize_header("firstName") == normalize_header("first_name") == "first name"


def test_the_workspace_remembers_the_mapping_chosen_last_time(draft, run, ws_a):
    data = csv_bytes([["Ann", "x@y.test", "Blue"]], header=["Name", "Mail", "Colour"])
    first = draft(data)
    assert first.mapping == {"0": "full_name", "1": "email", "2": ""}
    run(first, mapping={"0": "full_name", "1": "email", "2": "notes"})
    again = draft(data)
    assert again.mapping == {"0": "full_name", "1": "email", "2": "notes"}


# --- Preview -------------------------------------------------------------------------------


def test_the_preview_says_what_each_row_would_do_and_writes_nothing(draft, actor_a, make_lead):
    existing = make_lead(first_name="Old", email="ann1@people.test")
    rows = people(3)
    rows[2][3] = "12"
    data = csv_bytes(rows, header=[*HEADER, "Tags"]) if False else csv_bytes(rows)
    job = draft(data)
    before = (Lead.objects.count(), Tag.objects.count(), ActionLog.objects.count())
    preview = import_preview(job=job, actor=actor_a, mapping=job.mapping, on_duplicate="update")
    assert [r.outcome for r in preview] == ["created", "updated", "failed"]
    assert preview[1].lead == existing and preview[1].matched_by == "email"
    assert preview[2].errors == ["Phone: “12” is not a valid phone number."]
    assert (Lead.objects.count(), Tag.objects.count(), ActionLog.objects.count()) == before


def test_the_preview_creates_no_tag(draft, actor_a):
    data = csv_bytes([["Ann", "brand-new-tag"]], header=["Name", "Tags"])
    job = draft(data)
    preview = import_preview(job=job, actor=actor_a, mapping=job.mapping, on_duplicate="update")
    assert preview[0].outcome == "created"
    assert not Tag.objects.exists()


# --- Running ------------------------------------------------------------------------------


def test_an_import_creates_routed_leads_with_an_import_timeline(draft, run, ws_a, bob, alice):
    make_rotation(ws_a, [bob])
    job = run(draft(csv_bytes(people(3))))
    assert job.status == "completed"
    assert (job.created_count, job.updated_count, job.failed_count) == (3, 0, 0)
    lead = Lead.objects.get(email="ann0@people.test")
    assert lead.phone_e164 == "+12065550100"
    assert lead.timezone == "America/Los_Angeles"
    assert lead.source_type == "import"
    assert lead.assignee == bob
    created = ActionLog.objects.get(lead=lead, event="lead_created")
    assert created.type == "IMPORT" and created.input["importId"] == job.pk
    assert created.actor_user == alice.user
    assert ActionLog.objects.filter(lead=lead, type="ASSIGNMENT").exists()
    audit = ActionLog.objects.filter(lead__isnull=True, input__importId=job.pk)
    assert set(audit.values_list("event", flat=True)) == {"import_started", "import_completed"}


def test_duplicates_are_updated_skipped_or_created_as_chosen(draft, run, make_lead):
    rows = [["Ann", "Newname", "ANN@people.test", "", "New Co"]]
    lead = make_lead(first_name="Ann", last_name="Old", email="ann@people.test", notes="keep")

    job = run(draft(csv_bytes(rows)), on_duplicate="skip")
    assert (job.skipped_count, Lead.objects.count()) == (1, 1)
    lead.refresh_from_db()
    assert lead.last_name == "Old"

    job = run(draft(csv_bytes(rows)), on_duplicate="update")
    assert job.updated_count == 1
    lead.refresh_from_db()
    assert (lead.last_name, lead.company, lead.notes) == ("Newname", "New Co", "keep")
    merged = ActionLog.objects.get(lead=lead, event="lead_merged")
    assert (merged.type, merged.input["importId"]) == ("MERGE", job.pk)

    job = run(draft(csv_bytes(rows)), on_duplicate="create")
    assert job.created_count == 1
    assert Lead.objects.filter(email_normalized="ann@people.test").count() == 2


def test_a_duplicate_inside_the_file_merges_into_the_earlier_row(draft, run):
    rows = people(2)
    rows.append(["Ann", "Again", "ann0@people.test", "", "Later Co"])
    job = run(draft(csv_bytes(rows)))
    assert (job.created_count, job.updated_count) == (2, 1)
    assert Lead.objects.get(email="ann0@people.test").company == "Later Co"


def test_a_bad_row_fails_alone_and_the_report_says_why(client, alice, draft, run):
    rows = people(4)
    rows[1][2] = "not-an-email"
    rows[2] = ["", "", "", "", ""]
    rows[3][0] = "=CMD()"
    rows[3][3] = "12"
    job = run(draft(csv_bytes(rows)))
    assert (job.created_count, job.failed_count, job.skipped_count) == (1, 2, 1)
    client.force_login(alice.user)
    report = report_rows(client, job)
    assert report[0] == ["row", "outcome", "errors", *HEADER]
    assert report[1][:3] == ["3", "failed", "Email: Enter a valid email address."]
    assert report[2][:3] == ["4", "skipped", "Empty row."]
    assert report[3][0] == "5" and "not a valid phone number" in report[3][2]
    assert report[3][3] == "'=CMD()"  # a spreadsheet will not run it


def test_lookups_by_name_custom_fields_and_tags_are_imported(draft, run, ws_a, alice):
    stage = Stage.objects.create(workspace=ws_a, slug="qualified", name="Qualified")
    CustomField.objects.create(workspace=ws_a, slug="budget", label="Budget", field_type="number")
    CustomField.objects.create(
        workspace=ws_a, slug="tier", label="Tier", field_type="select", choices=["Gold", "Silver"]
    )
    header = ["Name", "Stage", "Owner", "Budget", "Tier", "Tags"]
    rows = [
        ["Ann Lee", "qualified", "alice@acme.test", "1,200", "gold", "hot; spring"],
        ["Bo Ray", "Nope", "", "lots", "", ""],
    ]
    job = run(draft(csv_bytes(rows, header=header)))
    assert (job.created_count, job.failed_count) == (1, 1)
    lead = Lead.objects.get(first_name="Ann")
    assert (lead.last_name, lead.stage, lead.assignee) == ("Lee", stage, alice)
    assert lead.custom_fields == {"budget": 1200, "tier": "Gold"}
    assert sorted(lead.tags.values_list("name", flat=True)) == ["hot", "spring"]
    failed = ImportRow.objects.get(job=job, outcome="failed")
    assert failed.errors == {
        "stage": ["No stage called “Nope”."],
        "custom_fields": ["“Budget” must be a number."],
    }


def test_an_import_runs_in_batches_with_a_bounded_number_of_queries(
    draft, alice, django_assert_max_num_queries, settings
):
    job = draft(csv_bytes(people(120)))
    import_job_start(
        job=job,
        actor=Actor(user=alice.user, membership=alice),
        mapping=job.mapping,
        on_duplicate="update",
        enqueue=False,
    )
    # 3 batches of 40: the count is per batch, not per row.
    with django_assert_max_num_queries(3 * 16 + 10):
        job = import_job_run(job_id=job.pk, batch_size=40)
    assert job.created_count == 120


def test_a_worker_that_died_is_replaced_and_goes_on_from_the_last_batch(draft, alice, settings):
    job = draft(csv_bytes(people(25)))
    import_job_start(
        job=job,
        actor=Actor(user=alice.user, membership=alice),
        mapping=job.mapping,
        on_duplicate="update",
        enqueue=False,
    )

    def die(progress_job):
        raise KeyboardInterrupt  # the process is killed: nothing marks the job failed

    with pytest.raises(KeyboardInterrupt):
        import_job_run(job_id=job.pk, batch_size=10, progress=die)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == ("running", 10, 10)
    assert imports_resume_stale() == 0  # not stale yet
    later = job.updated_at + __import__("datetime").timedelta(
        seconds=settings.IMPORT_STALE_SECONDS + 1
    )
    assert imports_resume_stale(now=later) == 1  # the immediate backend runs it here
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == ("completed", 25, 25)
    assert Lead.objects.count() == 25
    assert ImportRow.objects.filter(job=job).count() == 25


def test_a_stopped_import_keeps_what_it_imported(draft, alice, actor_a):
    job = draft(csv_bytes(people(25)))
    import_job_start(
        job=job, actor=actor_a, mapping=job.mapping, on_duplicate="update", enqueue=False
    )

    def stop(progress_job):
        import_services.import_job_cancel(job=progress_job, actor=actor_a)

    job = import_job_run(job_id=job.pk, batch_size=10, progress=stop)
    assert (job.status, job.processed_rows) == ("failed", 10)
    assert "Stopped by alice@acme.test" in job.error
    assert Lead.objects.count() == 10


# --- Revert -------------------------------------------------------------------------------


def test_a_revert_deletes_created_leads_and_restores_updated_fields(
    draft, run, make_lead, actor_a, django_capture_on_commit_callbacks
):
    kept = make_lead(first_name="Kept", last_name="Before", email="kept@x.test", company="Old Co")
    edited_later = make_lead(first_name="Edited", email="edit@x.test", company="Old Co")
    header = ["First Name", "Last Name", "Email", "Company", "Tags"]
    rows = [
        ["Kept", "After", "kept@x.test", "New Co", "imported"],
        ["Edited", "", "edit@x.test", "Import Co", ""],
        ["New", "Person", "new@x.test", "", ""],
        ["Changed", "Since", "changed@x.test", "", ""],
    ]
    job = run(draft(csv_bytes(rows, header=header)))
    assert (job.created_count, job.updated_count) == (2, 2)
    # After the import someone edits one updated lead and one created lead.
    from leads.services.leads import lead_update

    lead_update(lead=edited_later, actor=actor_a, data={"company": "Typed By Hand"})
    changed = Lead.objects.get(email="changed@x.test")
    lead_update(lead=changed, actor=actor_a, data={"notes": "called them"})

    with django_capture_on_commit_callbacks(execute=True):
        import_job_revert(job=job, actor=actor_a)
    job.refresh_from_db()
    assert job.status == "reverted"
    assert (job.revert_deleted, job.revert_restored, job.revert_kept) == (1, 1, 2)
    assert not Lead.objects.filter(email="new@x.test").exists()
    assert Lead.objects.filter(email="changed@x.test").exists()  # changed since: kept
    kept.refresh_from_db()
    assert (kept.last_name, kept.company) == ("Before", "Old Co")
    assert list(kept.tags.values_list("name", flat=True)) == []
    edited_later.refresh_from_db()
    assert edited_later.company == "Typed By Hand"  # a later edit wins
    assert ActionLog.objects.filter(lead=kept, event="import_reverted").exists()
    gone = ActionLog.objects.get(event="lead_deleted", input__email="new@x.test")
    assert gone.lead is None and gone.lead_pk is not None


def test_only_a_finished_import_that_changed_something_can_be_reverted(draft, actor_a):
    job = draft(csv_bytes(people(1)))
    with pytest.raises(Exception, match="Only a finished import"):
        import_job_revert(job=job, actor=actor_a)


# --- The pages ----------------------------------------------------------------------------


def test_upload_map_preview_start_and_follow_the_progress(
    client, alice, make_lead, django_capture_on_commit_callbacks
):
    make_lead(first_name="Dup", email="ann1@people.test")
    client.force_login(alice.user)
    response = client.get("/imports/")
    assert response.status_code == 200
    rows = people(3)
    rows[2][3] = "12"
    response = client.post("/imports/", {"file": upload(csv_bytes(rows))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200
    assert "ann0@people.test" in page.text  # first values beside each column
    form = {f"col_{i}": t for i, t in job.mapping.items()}
    form["on_duplicate"] = "update"
    preview = client.post(
        f"/imports/{job.pk}/", {**form, "action": "preview"}, headers={"HX-Request": "true"}
    )
    assert preview.status_code == 200
    assert "Updates" in preview.text and "not a valid phone number" in preview.text
    assert Lead.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/imports/{job.pk}/", {**form, "action": "start"})
    assert started.status_code == 302
    progress = client.get(f"/imports/{job.pk}/progress/")
    assert 'value="100"' in progress.text
    assert "Import finished: 1 created, 1 updated, 0 skipped, 1 failed." in progress.text
    assert "every 1s" not in progress.text  # polling stops once done


def test_a_running_import_keeps_polling(client, alice, draft):
    job = draft(csv_bytes(people(2)))
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=1)
    client.force_login(alice.user)
    response = client.get(f"/imports/{job.pk}/progress/")
    assert 'hx-trigger="every 1s"' in response.text
    assert 'value="50"' in response.text


def test_a_mapping_without_any_identifying_column_is_refused_and_kept(client, alice, draft):
    job = draft(csv_bytes(people(1)))
    client.force_login(alice.user)
    form = {f"col_{i}": "" for i in range(5)}
    form.update(col_4="company", col_0="company", on_duplicate="update", action="start")
    response = client.post(f"/imports/{job.pk}/", form)
    assert response.status_code == 422
    assert "Each field can take one column only: Company." in response.text
    job.refresh_from_db()
    assert job.status == "draft"


def test_an_upload_over_the_limit_is_refused_before_it_is_read(client, alice, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(alice.user)
    response = client.post("/imports/", {"file": upload(b"x" * 70_000)})
    assert response.status_code == 413
    assert "larger than" in response.text
    assert not ImportJob.objects.exists()


def test_an_unreadable_upload_is_explained_next_to_the_field(client, alice):
    client.force_login(alice.user)
    response = client.post("/imports/", {"file": upload(b"Name,Email\n")})
    assert response.status_code == 422
    assert "no rows to import" in response.text
    assert not ImportJob.objects.exists()


def test_a_draft_can_be_read_again_in_another_encoding(client, alice, draft):
    job = draft("Prénom,Email\nZoë,z@x.test\n".encode("cp1252"))
    assert job.encoding == "cp1252"
    client.force_login(alice.user)
    client.post(f"/imports/{job.pk}/", {"action": "encoding", "encoding": "cp1251"})
    job.refresh_from_db()
    assert job.encoding == "cp1251" and job.headers[0] == "Prйnom"


def test_the_pages_use_a_fixed_number_of_queries(
    client, alice, draft, run, django_assert_max_num_queries
):
    for _ in range(3):
        run(draft(csv_bytes(people(2))))
    job = draft(csv_bytes(people(30)))
    client.force_login(alice.user)
    with django_assert_max_num_queries(5):
        assert client.get("/imports/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"/imports/{job.pk}/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(f"/imports/{job.pk}/progress/").status_code == 200


# --- Who may import ------------------------------------------------------------------------


def test_viewers_never_import_and_agents_only_when_allowed(client, ws_a, bob, carol, alice):
    client.force_login(carol.user)
    assert client.get("/imports/").status_code == 403
    client.force_login(bob.user)
    assert client.get("/imports/").status_code == 403
    assert "Imports" not in client.get("/").text
    client.force_login(alice.user)
    response = client.post("/imports/access/", {"agents_can_import": "on"})
    assert response.status_code == 302
    ws_a.refresh_from_db()
    assert ws_a.agents_can_import
    assert ActionLog.objects.filter(event="import_access_changed").exists()
    client.force_login(bob.user)
    assert client.get("/imports/").status_code == 200


def test_only_owners_and_admins_let_agents_import(client, ws_a):
    manager = make_member(ws_a, "mgr@acme.test", "manager")
    client.force_login(manager.user)
    assert client.post("/imports/access/", {"agents_can_import": "on"}).status_code == 403
    ws_a.refresh_from_db()
    assert not ws_a.agents_can_import


def test_an_agents_import_is_theirs_and_cannot_assign(
    client, ws_a, bob, alice, make_lead, django_capture_on_commit_callbacks
):
    ws_a.agents_can_import = True
    ws_a.save()
    make_rotation(ws_a, [alice])
    alices = import_job_create(workspace=ws_a, member=alice, upload=upload(csv_bytes(people(1))))
    client.force_login(bob.user)
    assert client.get(f"/imports/{alices.pk}/").status_code == 404  # not theirs
    client.post(
        "/imports/", {"file": upload(csv_bytes(people(2, start=5), header=[*HEADER[:4], "Owner"]))}
    )
    job = ImportJob.objects.get(created_by=bob)
    form = {f"col_{i}": t for i, t in job.mapping.items()}
    assert form["col_4"] == "assignee"
    response = client.post(
        f"/imports/{job.pk}/", {**form, "on_duplicate": "update", "action": "start"}
    )
    assert response.status_code == 422
    form["col_4"] = ""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/", {**form, "on_duplicate": "update", "action": "start"})
    job.refresh_from_db()
    assert job.created_count == 2
    assert set(Lead.objects.filter(email__startswith="ann").values_list("assignee", flat=True)) == {
        bob.pk
    }


def test_another_workspaces_import_is_not_found(client, draft, dave):
    job = draft(csv_bytes(people(1)))
    client.force_login(dave.user)
    for url in ("", "progress/", "errors.csv"):
        assert client.get(f"/imports/{job.pk}/{url}").status_code == 404
    assert client.post(f"/imports/{job.pk}/revert/").status_code == 404
    assert client.post(f"/imports/{job.pk}/", {"action": "discard"}).status_code == 404
    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_posts_need_the_csrf_token(alice, db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    assert client.post("/imports/", {"file": upload(csv_bytes(people(1)))}).status_code == 403
    assert not ImportJob.objects.exists()


# --- The command line ---------------------------------------------------------------------


def test_the_command_imports_a_file_with_a_mapping_and_a_policy(tmp_path, ws_a, make_lead, capsys):
    make_lead(first_name="Dup", email="ann0@people.test", company="Keep")
    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes(people(3), header=["A", "B", "Mail", "Tel", "Org"]))
    errors = tmp_path / "errors.csv"
    call_command(
        "import_leads",
        str(path),
        "--workspace",
        ws_a.name,
        "--mapping",
        '{"A": "first_name", "B": "last_name", "Tel": "phone", "Org": "company"}',
        "--on-duplicate",
        "skip",
        "--errors",
        str(errors),
    )
    out = capsys.readouterr()
    assert "2 created, 0 updated, 1 skipped, 0 failed" in out.out
    assert "rows/s" in out.err and "'Mail'" in out.err
    assert Lead.objects.get(email="ann0@people.test").company == "Keep"
    assert "same email as lead" in errors.read_text().lower()
    job = ImportJob.objects.get()
    assert job.status == "completed" and job.created_by is None


def test_the_command_refuses_bad_arguments(tmp_path, ws_a):
    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes(people(1)))
    with pytest.raises(CommandError, match="No workspace"):
        call_command("import_leads", str(path), "--workspace", "Nope")
    with pytest.raises(CommandError, match="no column called"):
        call_command(
            "import_leads", str(path), "--workspace", ws_a.name, "--mapping", '{"X": "email"}'
        )
    with pytest.raises(CommandError, match="Unknown field"):
        call_command(
            "import_leads", str(path), "--workspace", ws_a.name, "--mapping", '{"Email": "nope"}'
        )
    assert not ImportJob.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_import_import_each_row_once(ws_a, alice, settings, tmp_path):
    from django.db import connection

    from tests.concurrency import run_in_threads

    assert connection.vendor == "postgresql"
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    rows = people(300)
    rows += [[r[0], "Again", r[2], "", "Later"] for r in rows[:20]]  # in-file duplicates
    job = import_job_create(workspace=ws_a, member=alice, upload=upload(csv_bytes(rows)))
    import_job_start(
        job=job,
        actor=Actor(user=alice.user, membership=alice),
        mapping=job.mapping,
        on_duplicate="update",
        enqueue=False,
    )

    def work(n: int) -> str:
        return import_job_run(job_id=job.pk, batch_size=20).status

    _results, errors = run_in_threads(3, work)
    assert errors == []
    job.refresh_from_db()
    assert job.status == "completed"
    assert (job.processed_rows, job.created_count, job.updated_count) == (320, 300, 20)
    assert Lead.objects.count() == 300
    assert ImportRow.objects.filter(job=job).count() == 320


def test_an_xlsx_is_imported_through_the_page_with_formulas_as_text(
    client, alice, django_capture_on_commit_callbacks
):
    data = xlsx_bytes([["Name", "Phone", "Notes"], ["Ann Lee", 2065550100, "=1+1"]])
    client.force_login(alice.user)
    client.post("/imports/", {"file": upload(data, name="book.xlsx")})
    job = ImportJob.objects.get()
    assert (job.file_format, job.total_rows) == ("xlsx", 1)
    form = {f"col_{i}": t for i, t in job.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/", {**form, "on_duplicate": "update", "action": "start"})
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.phone_e164) == ("Ann", "Lee", "+12065550100")
    assert lead.notes == "=1+1"


def test_revert_stop_and_discard_from_the_page(
    client, alice, draft, run, django_capture_on_commit_callbacks
):
    client.force_login(alice.user)
    job = run(draft(csv_bytes(people(2))))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/revert/")
    response = client.get(f"/imports/{job.pk}/")
    assert "Reverted: 2 leads deleted, 0 restored." in response.text
    assert not Lead.objects.exists()
    again = client.post(f"/imports/{job.pk}/revert/", follow=True)
    assert "Only a finished import" in again.text

    queued = draft(csv_bytes(people(1)))
    ImportJob.objects.filter(pk=queued.pk).update(status="queued")
    client.post(f"/imports/{queued.pk}/cancel/")
    queued.refresh_from_db()
    assert queued.status == "failed" and "Stopped by alice@acme.test" in queued.error

    discarded = draft(csv_bytes(people(1)))
    name = discarded.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{discarded.pk}/", {"action": "discard"})
    assert response.status_code == 302
    assert not ImportJob.objects.filter(pk=discarded.pk).exists()
    assert not discarded.file.storage.exists(name)


def test_the_periodic_task_requeues_stale_imports(draft, alice, settings):
    from leads.tasks import imports_resume_stale as periodic

    job = draft(csv_bytes(people(3)))
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", updated_at=job.updated_at - __import__("datetime").timedelta(hours=1)
    )
    result = periodic.enqueue()
    assert result.return_value == {"requeued": 1}
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("completed", 3)


def test_viewers_and_agents_cannot_change_who_may_import(client, ws_a, bob, carol):
    for member in (bob, carol):
        client.force_login(member.user)
        assert client.post("/imports/access/", {"agents_can_import": "on"}).status_code == 403
    ws_a.refresh_from_db()
    assert not ws_a.agents_can_import


def test_a_file_larger_than_memory_uploads_is_streamed_from_disk(client, alice, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # Django spools bigger uploads to disk
    client.force_login(alice.user)
    data = csv_bytes(people(2000))
    assert len(data) > 10_000
    response = client.post("/imports/", {"file": upload(data)})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.total_rows, job.file_size) == (2000, len(data))
    with job.file.open("rb") as stored:
        assert stored.read() == data


def test_a_workbook_is_measured_by_its_stated_size_and_held_to_the_limit(settings, draft, run):
    data = xlsx_bytes([["Name", "Email"], *[[f"Ann {i}", f"a{i}@x.test"] for i in range(6)]])
    assert sniff_file(io.BytesIO(data), name="b.xlsx").total_rows == 6
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(Exception, match="more than 5 rows"):
        sniff_file(io.BytesIO(data), name="b.xlsx")
    # Should a workbook understate its size, the import itself stops at the limit.
    settings.IMPORT_MAX_ROWS = 6
    job = draft(data, name="b.xlsx")
    settings.IMPORT_MAX_ROWS = 4
    job = run(job)
    assert job.status == "failed" and "more than 4 rows" in job.error


def test_an_upload_past_the_limit_is_dropped_while_it_arrives(client, alice, settings):
    settings.IMPORT_MAX_BYTES = 1000  # the request (20 kB) is under the early check's slack
    client.force_login(alice.user)
    response = client.post("/imports/", {"file": upload(csv_bytes(people(300)))})
    assert response.status_code == 413
    assert "larger than" in response.text
    assert not ImportJob.objects.exists()


def test_workbooks_are_parsed_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML  # entity-expansion bombs are refused
