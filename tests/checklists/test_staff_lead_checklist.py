"""The lead page's checklist, status and documents panels, through the staff pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from checklists.models import ChecklistItem, Document, LeadChecklistItem
from checklists.services import lead_update_with_checklist
from leads.actors import Actor
from leads.models import ActionLog, Lead
from tests.api.omni.conftest import make_checklist

Status = LeadChecklistItem.Status


@pytest.fixture
def onboarding(ws_a):
    """EIN and a bank statement for everyone; the owner's SSN only for sole traders."""
    return make_checklist(
        ws_a,
        [
            (
                "Company",
                [
                    ("ein", "EIN", "EIN", True, {}),
                    (
                        "entity",
                        "Entity type",
                        "SELECT",
                        True,
                        {"config": {"options": ["LLC", "Sole"]}},
                    ),
                    (
                        "owner_ssn",
                        "Owner SSN (last 4)",
                        "TEXT",
                        True,
                        {
                            "conditions": {
                                "properties": {"entity": {"const": "Sole"}},
                                "required": ["entity"],
                            },
                            "validation_rules": {"pattern": "^[0-9]{4}$"},
                        },
                    ),
                ],
                None,
            ),
            ("Files", [("bank", "Bank statement", "BANK_STATEMENT", True, {})], None),
            (
                "Canada",
                [("gst", "GST number", "TEXT", True, {})],
                {"properties": {"tags": {"contains": {"const": "canada"}}}},
            ),
        ],
    )


def post_item(client, lead, item, value=None, status="", htmx=True):
    data = {f"item{item.pk}-status": status}
    if value is not None:
        data[f"item{item.pk}-value"] = value
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/leads/{lead.pk}/checklist/{item.pk}/", data, **extra)


def row(lead, code) -> LeadChecklistItem:
    return LeadChecklistItem.objects.get(lead=lead, item__code=code)


def test_the_lead_page_shows_the_applicable_checklist_by_group(
    client, alice, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    client.force_login(alice.user)
    page = client.get(f"/leads/{lead.pk}/").text
    assert page.index(">Company</h3>") < page.index(">Files</h3>")
    assert "EIN" in page and "Bank statement" in page and "Entity type" in page
    # Conditions that do not hold hide their items and groups.
    assert "Owner SSN" not in page and "GST number" not in page
    assert "0 of 3 required items done" in page


def test_a_valid_value_completes_the_item_with_one_timeline_entry(
    client, bob, onboarding, make_lead, django_assert_max_num_queries
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    with django_assert_max_num_queries(26):
        response = post_item(client, lead, onboarding["ein"], "12 3456789")
    assert response.status_code == 200
    assert f'id="item-{onboarding["ein"].pk}-status">Completed<' in response.text
    assert "Saved “EIN”: completed." in response.text
    saved = row(lead, "ein")
    assert (saved.value, saved.status, saved.source) == ("12-3456789", Status.COMPLETED, "manual")
    log = ActionLog.objects.get(lead=lead, event="lead_updated")
    assert log.summary == "Checklist: EIN" and log.actor_user == bob.user
    assert log.input["checklistUpdates"] == [
        {"code": "ein", "value": "12-3456789", "status": "COMPLETED", "success": True}
    ]
    assert log.request_path == f"/leads/{lead.pk}/checklist/{onboarding['ein'].pk}/"


def test_a_refused_value_is_kept_and_shown_invalid_beside_the_item(
    client, bob, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = post_item(client, lead, onboarding["ein"], "12")
    assert response.status_code == 200
    text = response.text
    assert f'id="item{onboarding["ein"].pk}-error">Must be an EIN of nine digits' in text
    assert f'name="item{onboarding["ein"].pk}-value" value="12"' in text  # what was typed stays
    assert 'aria-invalid="true"' in text
    saved = row(lead, "ein")
    assert (saved.value, saved.status) == ("12", Status.INVALID)


def test_a_status_chosen_by_hand_wins_and_a_blank_value_reopens_the_item(
    client, bob, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    post_item(client, lead, onboarding["ein"], "", status=Status.SKIPPED)
    assert row(lead, "ein").status == Status.SKIPPED
    post_item(client, lead, onboarding["ein"], "123456789")
    assert row(lead, "ein").status == Status.COMPLETED
    post_item(client, lead, onboarding["ein"], "")
    assert (row(lead, "ein").value, row(lead, "ein").status) == (None, Status.TODO)


def test_an_answer_brings_in_the_items_whose_conditions_it_meets(
    client, bob, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = post_item(client, lead, onboarding["entity"], "Sole")
    assert "Owner SSN (last 4)" in response.text
    assert "1 of 4 required items done" in response.text
    response = post_item(client, lead, onboarding["owner_ssn"], "12ab")
    assert row(lead, "owner_ssn").status == Status.INVALID
    assert "does not match" in response.text


def test_an_item_that_does_not_apply_cannot_be_set(client, bob, onboarding, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = post_item(client, lead, onboarding["gst"], "123")
    assert response.status_code == 422
    assert "does not apply to this lead" in response.text
    assert not LeadChecklistItem.objects.filter(lead=lead).exists()
    assert not ActionLog.objects.filter(lead=lead, event="lead_updated").exists()


def test_a_file_item_needs_a_status_or_a_document(client, bob, onboarding, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = post_item(client, lead, onboarding["bank"])
    assert response.status_code == 422
    assert "Choose a status, or upload a document" in response.text
    response = post_item(client, lead, onboarding["bank"], status=Status.SKIPPED)
    assert response.status_code == 200
    assert row(lead, "bank").status == Status.SKIPPED


def test_without_htmx_a_save_redirects_back_with_a_message(client, bob, onboarding, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = post_item(client, lead, onboarding["ein"], "123456789", htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/#checklist"
    page = client.get(response["Location"]).text
    assert "Saved “EIN”: completed." in page


def test_checklist_edits_respect_roles_and_workspaces(
    client, ws_a, ws_b, alice, bob, carol, dave, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    alices = make_lead(first_name="Alices", assignee=alice)
    theirs = make_checklist(ws_b, [("B", [("b_ein", "EIN", "EIN", True, {})], None)])["b_ein"]
    item = onboarding["ein"]
    client.force_login(carol.user)
    assert post_item(client, lead, item, "123456789").status_code == 403
    client.force_login(bob.user)
    assert post_item(client, alices, item, "123456789").status_code == 404  # not bob's
    assert post_item(client, lead, theirs, "123456789").status_code == 404  # B's item
    client.force_login(dave.user)
    assert post_item(client, lead, item, "123456789").status_code == 404  # A's lead
    assert not LeadChecklistItem.objects.exists()


def test_a_one_off_item_of_another_lead_is_not_found(client, alice, ws_a, make_lead):
    lead = make_lead(first_name="Ada")
    other = make_lead(first_name="Other")
    own = ChecklistItem.objects.create(
        workspace=ws_a, lead=other, code="extra", label="Extra", field_type="TEXT"
    )
    client.force_login(alice.user)
    assert post_item(client, lead, own, "x").status_code == 404
    assert post_item(client, other, own, "x").status_code == 200


def test_completing_the_lead_skips_unfinished_items_and_reopening_undoes_it(
    client, bob, onboarding, make_lead, django_assert_max_num_queries
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    post_item(client, lead, onboarding["ein"], "123456789")
    with django_assert_max_num_queries(19):
        response = client.post(
            f"/leads/{lead.pk}/status/", {"lead-status": "completed"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 204 and response["HX-Redirect"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.status == Lead.Status.COMPLETED
    assert row(lead, "entity").status == Status.SKIPPED and row(lead, "entity").auto_skipped
    assert row(lead, "ein").status == Status.COMPLETED
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Status: Completed. Skipped 2 unfinished required items." in page
    log = ActionLog.objects.filter(lead=lead, summary="Status changed to Completed").get()
    assert sorted(log.input["autoSkipped"]) == ["bank", "entity"]

    client.post(f"/leads/{lead.pk}/status/", {"lead-status": "in_progress"})
    assert row(lead, "entity").status == Status.TODO
    assert "2 automatically skipped items reopened" in client.get(f"/leads/{lead.pk}/").text


def test_an_opted_out_lead_keeps_its_status_until_opted_back_in(client, bob, make_lead):
    lead = make_lead(first_name="Ada", opted_out=True)
    client.force_login(bob.user)
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Opt the lead back in (Consent) before changing it." in page
    assert "Change status" not in page
    response = client.post(
        f"/leads/{lead.pk}/status/", {"lead-status": "review"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Opt them back in" in response.text
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT


def test_a_status_that_is_not_offered_is_refused(client, bob, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    for status in ("opted_out", "bogus"):
        response = client.post(
            f"/leads/{lead.pk}/status/", {"lead-status": status}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.status == Lead.Status.IN_PROGRESS


# --- documents --------------------------------------------------------------------------


def upload(client, lead, *files, item=None, htmx=True):
    data = {"upload-files": list(files)}
    if item is not None:
        data["upload-item"] = str(item.uuid)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/leads/{lead.pk}/documents/", data, **extra)


def pdf(name="statement.pdf", size=10):
    return SimpleUploadedFile(name, b"%PDF" + b"x" * size, content_type="application/pdf")


def test_documents_upload_for_an_item_which_then_awaits_review(
    client, bob, onboarding, make_lead, django_assert_max_num_queries
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    with django_assert_max_num_queries(30):
        response = upload(client, lead, pdf("jan.pdf"), pdf("feb.pdf"), item=onboarding["bank"])
    assert response.status_code == 204
    assert sorted(Document.objects.filter(lead=lead).values_list("filename", flat=True)) == [
        "feb.pdf",
        "jan.pdf",
    ]
    assert row(lead, "bank").status == Status.NEEDS_REVIEW
    log = ActionLog.objects.get(lead=lead, type="DOCUMENT_UPLOAD")
    assert log.summary == "Uploaded 2 documents" and log.actor_user == bob.user
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Uploaded 2 documents for “Bank statement” (needs review)." in page
    assert page.count(">jan.pdf</a>") == 2  # under the item and in the documents table


def test_a_document_downloads_through_its_signed_link(client, bob, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    upload(client, lead, SimpleUploadedFile("notes.txt", b"hello leadbook"))
    page = client.get(f"/leads/{lead.pk}/").text
    start = page.index('href="/documents/') + len('href="')
    link = page[start : page.index('"', start)]
    client.logout()  # the signed link is the credential
    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello leadbook"
    assert response["Content-Disposition"].startswith("attachment")


def test_an_upload_over_the_size_limit_stores_nothing(client, bob, make_lead, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = upload(client, lead, pdf("small.pdf"), pdf("huge.pdf", size=2048))
    assert response.status_code == 422
    assert "Larger than 1.0 KB: huge.pdf." in response.text
    assert not Document.objects.exists()
    assert not ActionLog.objects.filter(type="DOCUMENT_UPLOAD").exists()


def test_more_than_ten_files_at_once_are_refused(client, bob, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = upload(client, lead, *[pdf(f"{n}.pdf") for n in range(11)])
    assert response.status_code == 422
    assert "At most 10 files at once." in response.text
    assert not Document.objects.exists()


def test_an_upload_without_files_says_so(client, bob, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = client.post(f"/leads/{lead.pk}/documents/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Choose at least one file." in response.text


def test_an_upload_for_another_workspaces_item_is_refused(client, bob, ws_b, make_lead):
    theirs = make_checklist(ws_b, [("B", [("b_bank", "Bank", "BANK_STATEMENT", True, {})], None)])
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    response = upload(client, lead, pdf(), item=theirs["b_bank"])
    assert response.status_code == 422
    assert "not one of the available choices" in response.text
    assert not Document.objects.exists()


def test_uploads_respect_roles_and_workspaces(client, carol, dave, make_lead):
    lead = make_lead(first_name="Ada")
    client.force_login(carol.user)
    assert upload(client, lead, pdf()).status_code == 403
    client.force_login(dave.user)
    assert upload(client, lead, pdf()).status_code == 404
    assert not Document.objects.exists()


def test_a_viewer_sees_the_checklist_and_documents_without_controls(
    client, carol, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    lead_update_with_checklist(
        lead=lead, actor=Actor.system(), data={}, checklist_updates=[{"code": "ein", "value": "1"}]
    )
    client.force_login(carol.user)
    page = client.get(f"/leads/{lead.pk}/").text
    assert "EIN" in page and "No documents yet." in page
    assert "Must be an EIN of nine digits" in page  # the stored problem, read only
    assert "Change status" not in page and "Upload documents" not in page
    assert 'name="item' not in page and 'name="upload-files"' not in page


def test_the_lead_page_query_count_does_not_grow_with_the_checklist(
    client, alice, ws_a, make_lead, django_assert_num_queries
):
    def items(n, offset=0):
        return [(f"i{offset + k}", f"Item {offset + k}", "TEXT", True, {}) for k in range(n)]

    make_checklist(ws_a, [("One", items(3), None), ("Two", items(2, 10), {"type": "object"})])
    lead = make_lead(first_name="Busy")
    client.force_login(alice.user)
    for code in ("i0", "i10"):
        post_item(client, lead, ChecklistItem.objects.get(code=code), "value")
    upload(client, lead, pdf("a.pdf"), item=ChecklistItem.objects.get(code="i1"))
    with django_assert_num_queries(20):
        small = client.get(f"/leads/{lead.pk}/")
    make_checklist(ws_a, [("Three", items(20, 100), None)])
    for code in ("i100", "i101", "i102"):
        post_item(client, lead, ChecklistItem.objects.get(code=code), "value")
    upload(client, lead, pdf("b.pdf"), pdf("c.pdf"), item=ChecklistItem.objects.get(code="i103"))
    with django_assert_num_queries(20):
        big = client.get(f"/leads/{lead.pk}/")
    assert small.status_code == big.status_code == 200
    assert "Item 119" in big.text and "c.pdf" in big.text


def test_checklist_edits_show_in_the_timeline_with_their_outcome(
    client, bob, onboarding, make_lead
):
    lead = make_lead(first_name="Ada")
    client.force_login(bob.user)
    post_item(client, lead, onboarding["ein"], "1")
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Checklist: EIN" in page
    assert "<code>ein</code>" in page and "Must be an EIN of nine digits" in page
