"""Imports and the call queue in a real browser: a 50-row CSV with a bad row and a
duplicate, followed to the end by its progress bar, with the error report downloaded;
an agent recording three outcomes in a row from the call queue."""

import csv
import datetime
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from campaigns.models import CallAttempt, CampaignLead
from campaigns.services import campaign_enroll
from leads.actors import Actor
from leads.models import ImportJob, Lead
from tests.api.autocalls.conftest import make_campaign
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fifty_rows(path):
    """50 people; row 6 (spreadsheet numbering) repeats an existing lead's email, row 11
    has a phone number that is not one."""
    with path.open("w", newline="", encoding="cp1252") as out:
        writer = csv.writer(out)
        writer.writerow(["First name", "Last name", "E-mail", "Mobile", "Company"])
        for i in range(50):
            email = "known@people.test" if i == 4 else f"person{i}@people.test"
            phone = "12" if i == 9 else f"(206) 555-{100 + i:04d}"
            writer.writerow([f"Zoë{i}", f"Müller{i}", email, phone, "Café Ltd"])


def test_a_csv_import_with_a_bad_row_and_a_duplicate_runs_to_the_end(
    page, alice, make_lead, settings, tmp_path, shot
):
    # A real queue: the page shows the import waiting, then a worker runs it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    known = make_lead(first_name="Known", email="known@people.test", company="Old Co")
    path = tmp_path / "fifty.csv"
    fifty_rows(path)

    sign_in(page, "alice@acme.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("CSV or Excel file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="fifty.csv")).to_be_visible()
    expect(page.get_by_text("Read 50 rows from fifty.csv.")).to_be_visible()
    # Columns are guessed from their headers; the encoding was detected (é, ü).
    expect(page.get_by_label("E-mail")).to_have_value("email")
    expect(page.get_by_label("Mobile")).to_have_value("phone")
    expect(page.locator(".sample").first).to_contain_text("Zoë0")
    shot(page, "20-import-mapping")

    page.get_by_role("button", name="Preview the first 20 rows").click()
    preview = page.locator("#preview")
    expect(preview.locator("tr.outcome-updated")).to_contain_text(f"#{known.pk}")
    expect(preview.locator("tr.outcome-failed")).to_contain_text("“12” is not a valid phone number")
    assert Lead.objects.count() == 1  # a preview writes nothing
    shot(page, "21-import-preview")

    page.get_by_role("button", name="Start the import").click()
    status = page.locator("#import-status")
    expect(status.get_by_role("heading")).to_have_text("Queued")
    expect(page.locator("#import-progress")).to_have_attribute("value", "0")
    shot(page, "22-import-queued")

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

    # The polled progress bar reaches the end by itself.
    expect(page.locator("#import-progress")).to_have_attribute("value", "100")
    expect(status.get_by_role("status")).to_have_text(
        "Import finished: 48 created, 1 updated, 0 skipped, 1 failed."
    )
    shot(page, "23-import-finished")
    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.updated_count, job.failed_count) == (
        "completed",
        48,
        1,
        1,
    )
    known.refresh_from_db()
    assert known.company == "Café Ltd" and known.last_name == "Müller4"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    report = download.value.path().read_text(encoding="utf-8").splitlines()
    assert report[0] == "row,outcome,errors,First name,Last name,E-mail,Mobile,Company"
    assert len(report) == 2
    assert report[1].startswith("11,failed,Phone: “12” is not a valid phone number.,Zoë9,")


def test_an_agent_records_three_outcomes_from_the_call_queue(page, ws_a, alice, bob, shot):
    campaign = make_campaign(
        ws_a,
        name="Renewals",
        status="in-progress",
        variables=["offer"],
        script="Hi {{first_name}}, it is {{agent_name}} from Acme about {{offer}}.",
    )
    actor = Actor(user=alice.user, membership=alice)
    for i, name in enumerate(["Ada", "Grace", "Linus"]):
        entry = campaign_enroll(
            campaign=campaign,
            actor=actor,
            phone=f"+1206555{100 + i:04d}",
            variables={"offer": "20% off"},
        )
        Lead.objects.filter(pk=entry.lead_id).update(first_name=name, company=f"{name} Co")
        CampaignLead.objects.filter(pk=entry.pk).update(
            next_attempt_at=datetime.datetime(2020, 1, 1, i, tzinfo=datetime.UTC)
        )

    sign_in(page, "bob@acme.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="Renewals").click()
    page.get_by_role("link", name="Work the call queue").click()
    page.get_by_role("button", name="Get the next lead").click()

    title = page.locator("#queue-title")
    expect(title).to_have_text("Ada")
    expect(page.locator(".queue-company")).to_have_text("Ada Co")
    expect(page.get_by_role("link", name="Call +12065550100")).to_have_attribute(
        "href", "tel:+12065550100"
    )
    expect(page.locator(".queue-script")).to_contain_text(
        "Hi Ada, it is Bob Agent from Acme about 20% off."
    )
    expect(page.locator(".facts")).to_contain_text("America/Los_Angeles")
    shot(page, "24-queue-first-lead")

    page.get_by_label("Note (optional)").fill("Rang out, try after lunch")
    page.get_by_role("button", name="No answer").click()
    expect(page.locator("#queue-status")).to_have_text("Recorded “No answer” for Ada.")
    expect(title).to_have_text("Grace")
    expect(title).to_be_focused()  # keyboard and screen-reader users land on the next lead
    expect(page.get_by_label("Note (optional)")).to_have_value("")

    page.get_by_role("button", name="Busy").click()
    expect(title).to_have_text("Linus")
    page.get_by_role("button", name="Completed").click()
    expect(page.locator("#queue-status")).to_contain_text(
        re.compile("Recorded “Completed” for Linus. Nobody is left to call right now.")
    )
    shot(page, "25-queue-done")

    calls = list(
        CallAttempt.objects.order_by("pk").values_list("lead__first_name", "outcome", "notes")
    )
    assert calls == [
        ("Ada", "no_answer", "Rang out, try after lunch"),
        ("Grace", "busy", ""),
        ("Linus", "completed", ""),
    ]
    statuses = dict(CampaignLead.objects.values_list("lead__first_name", "status"))
    assert statuses == {"Ada": "rescheduled", "Grace": "rescheduled", "Linus": "completed"}
