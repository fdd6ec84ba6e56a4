"""Working a lead in a real browser: the checklist, documents and follow-ups."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checklists.models import LeadChecklistItem
from leads.models import ActionLog
from tests.api.omni.conftest import make_checklist
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")  # the workspace's default time zone


@pytest.fixture
def checklist(ws_a):
    return make_checklist(
        ws_a,
        [
            ("Company", [("ein", "EIN", "EIN", True, {})], None),
            ("Files", [("bank", "Bank statement", "BANK_STATEMENT", True, {})], None),
        ],
    )


def test_editing_a_checklist_item_changes_its_status_in_place(
    page, bob, checklist, make_lead, shot
):
    lead = make_lead(first_name="Check", last_name="List")
    item = checklist["ein"]
    sign_in(page, "bob@acme.test")
    page.goto(page.base + f"/leads/{lead.pk}/")
    status = page.locator(f"#item-{item.pk}-status")
    expect(status).to_have_text("To do")
    url_before = page.url

    page.get_by_label("EIN", exact=True).fill("12")
    page.get_by_role("button", name="Save EIN").click()
    expect(status).to_have_text("Invalid")
    expect(page.locator(f"#item{item.pk}-error")).to_contain_text("nine digits")
    expect(page.get_by_label("EIN", exact=True)).to_have_value("12")  # nothing lost
    expect(page.locator("#checklist-saved")).to_contain_text("but it is invalid")
    # htmx kept focus on the button that was pressed, and the page did not reload.
    expect(page.get_by_role("button", name="Save EIN")).to_be_focused()
    assert page.url == url_before
    shot(page, "20-checklist-invalid")

    page.get_by_label("EIN", exact=True).fill("12-3456789")
    page.get_by_role("button", name="Save EIN").click()
    expect(status).to_have_text("Completed")
    expect(page.locator("#checklist-saved")).to_have_text("Saved “EIN”: completed.")
    expect(page.locator(".progress-wrap label")).to_have_text("1 of 2 required items done")
    row = LeadChecklistItem.objects.get(lead=lead, item=item)
    assert (row.value, row.status) == ("12-3456789", "COMPLETED")
    shot(page, "21-checklist-completed")


def test_a_document_uploaded_for_an_item_puts_it_up_for_review(
    page, bob, checklist, make_lead, shot, tmp_path
):
    lead = make_lead(first_name="Doc", last_name="Upload")
    statement = tmp_path / "march.pdf"
    statement.write_bytes(b"%PDF-1.4 statement")
    sign_in(page, "bob@acme.test")
    page.goto(page.base + f"/leads/{lead.pk}/")
    page.get_by_label("Upload for “Bank statement”").set_input_files(str(statement))
    page.locator(f"#item-{checklist['bank'].pk}").get_by_role(
        "button", name="Upload", exact=True
    ).click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Uploaded 1 document for “Bank statement” (needs review)."
    )
    expect(page.locator(f"#item-{checklist['bank'].pk}-status")).to_have_text("Needs review")
    link = page.locator("#documents").get_by_role("link", name="march.pdf")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "march.pdf"
    shot(page, "22-documents")


def test_a_follow_up_is_scheduled_and_cancelled(page, bob, make_lead, shot):
    lead = make_lead(first_name="Follow", last_name="Up", email="follow@x.test")
    sign_in(page, "bob@acme.test")
    page.goto(page.base + f"/leads/{lead.pk}/")
    composer = page.locator("#message-form")
    composer.get_by_label("Subject").fill("Next steps")
    composer.get_by_label("Message").fill("Shall we talk on Monday?")
    composer.get_by_role("button", name="Schedule follow-up").click()
    # Without a time the form answers in place and keeps the text.
    expect(page.locator("#id_send_at_error")).to_have_text("Choose when the follow-up goes out.")
    expect(page.locator("#message-form").get_by_label("Message")).to_have_value(
        "Shall we talk on Monday?"
    )
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).astimezone(NEW_YORK)
    page.locator("#message-form").get_by_label("Send at").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#message-form").get_by_role("button", name="Schedule follow-up").click()
    expect(page.get_by_role("status").first).to_contain_text("Follow-up scheduled.")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Shall we talk on Monday?")
    shot(page, "23-follow-up")
    messages.get_by_role("button", name="Cancel this message").click()
    expect(page.get_by_role("status").first).to_contain_text("Cancelled; it will not be sent.")
    expect(messages).to_contain_text("Nothing waiting to go out.")
    assert ActionLog.objects.get(lead=lead, type="FOLLOW_UP_MESSAGE").status == "CANCELLED"
