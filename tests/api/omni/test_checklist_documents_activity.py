"""GET /leads/{id}/checklist, POST /leads/{id}/checklist-items, documents (upload, list,
signed downloads), action logs and POST /activity."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from checklists.models import ChecklistItem, Document, LeadChecklistItem
from leads.actors import Actor
from leads.models import ActionLog, Lead
from leads.services.timeline import actionlog_record
from tests.api.omni.conftest import omni


@pytest.fixture
def lead_id(client, key_a, checklist_a):
    body = {
        "firstName": "Dana",
        "checklistItems": [{"code": "business_name", "value": "Acme"}],
    }
    return omni(client, "post", "leads", key_a, body).json()["lead"]["id"]


def upload(client, key, data, **headers):
    return client.post("/api/v1/documents", data, headers={"x-api-key": key, **headers})


def a_file(name="statement.pdf", content=b"%PDF-1.4 fake", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def download(client, url):
    response = client.get(url.replace("http://testserver", ""))
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


# --- checklist ---------------------------------------------------------------------------


def test_the_checklist_endpoint_returns_the_groups_with_every_item(client, key_a, lead_id):
    response = omni(client, "get", f"leads/{lead_id}/checklist", key_a)

    assert response.status_code == 200
    groups = response.json()
    assert [g["name"] for g in groups] == ["Business Information", "Financials"]
    first = groups[0]["items"][0]
    assert first["checklistItem"]["code"] == "business_name"
    assert (first["value"], first["status"]) == ("Acme", "COMPLETED")
    uuid.UUID(first["id"])
    assert [i["status"] for i in groups[1]["items"]] == ["TODO", "TODO"]


def test_a_one_off_item_gets_a_code_from_its_label(client, ws_a, key_a, lead_id):
    body = {
        "label": "Utility bill",
        "fieldType": "FILE",
        "clientInstructions": "A bill from the last 3 months",
    }
    first = omni(client, "post", f"leads/{lead_id}/checklist-items", key_a, body)
    second = omni(client, "post", f"leads/{lead_id}/checklist-items", key_a, body)

    assert first.status_code == second.status_code == 201
    item = first.json()["checklistItem"]
    assert first.json()["success"] is True
    assert item["code"] == "UTILITY_BILL" and second.json()["checklistItem"]["code"] == (
        "UTILITY_BILL_2"
    )
    assert item["leadId"] == lead_id and item["status"] == "TODO"
    assert item["isRequired"] is True and item["fieldType"] == "FILE"
    assert item["clientInstructions"] == "A bill from the last 3 months"
    checklist = omni(client, "get", f"leads/{lead_id}/checklist", key_a).json()
    assert checklist[-1]["name"] == "Other items"
    assert [i["checklistItem"]["code"] for i in checklist[-1]["items"]] == [
        "UTILITY_BILL",
        "UTILITY_BILL_2",
    ]
    log = ActionLog.objects.filter(event="checklist_item_added").first()
    assert log.input["checklistItem"]["code"] in ("UTILITY_BILL", "UTILITY_BILL_2")


def test_a_one_off_item_is_only_on_its_own_lead(client, ws_a, key_a, lead_id):
    omni(
        client,
        "post",
        f"leads/{lead_id}/checklist-items",
        key_a,
        {"label": "Void check", "fieldType": "TEXT", "code": "void_check"},
    )
    other = omni(client, "post", "leads", key_a, {"firstName": "Other"}).json()
    assert "void_check" not in str(other["checklistItems"])
    refused = omni(
        client,
        "put",
        "leads",
        key_a,
        {"leadId": other["lead"]["id"], "checklistItems": [{"code": "void_check", "value": "x"}]},
    )
    assert refused.status_code == 400
    accepted = omni(
        client,
        "put",
        "leads",
        key_a,
        {"leadId": lead_id, "checklistItems": [{"code": "void_check", "value": "123"}]},
    )
    assert accepted.status_code == 200
    assert LeadChecklistItem.objects.get(item__code="void_check").value == "123"
    assert ChecklistItem.objects.templates(ws_a).filter(code="void_check").count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fieldType": "TEXT"}, "label"),
        ({"label": "X", "fieldType": "VIDEO"}, "fieldType"),
        ({"label": "X", "fieldType": "SELECT"}, "config"),
        ({"label": "X", "fieldType": "NUMBER", "config": {"min": "one"}}, "config"),
        ({"label": "X", "fieldType": "TEXT", "validationRules": {"type": "nonsense"}}, None),
        ({"label": "X", "fieldType": "TEXT", "code": "business_name"}, "code"),
        ({"label": "X", "fieldType": "TEXT", "code": "has space"}, "code"),
    ],
)
def test_a_bad_one_off_item_is_a_400_and_nothing_is_added(client, key_a, lead_id, body, field):
    before = ChecklistItem.objects.count()
    response = omni(client, "post", f"leads/{lead_id}/checklist-items", key_a, body)
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json()["error"]["details"]
    assert ChecklistItem.objects.count() == before


def test_a_select_item_accepts_only_its_options(client, key_a, lead_id):
    omni(
        client,
        "post",
        f"leads/{lead_id}/checklist-items",
        key_a,
        {"label": "Entity", "fieldType": "SELECT", "config": {"options": ["LLC", "SOLE"]}},
    )
    body = omni(
        client,
        "put",
        "leads",
        key_a,
        {"leadId": lead_id, "checklistItems": [{"code": "ENTITY", "value": "CORP"}]},
    ).json()
    [update] = body["actionLogs"][0]["input"]["checklistUpdates"]
    assert update["success"] is False and "LLC, SOLE" in update["error"]


# --- documents -----------------------------------------------------------------------------


def test_uploading_files_stores_them_links_the_item_and_logs_the_upload(
    client, ws_a, key_a, lead_id
):
    statements = ChecklistItem.objects.get(code="bank_statements")
    response = upload(
        client,
        key_a,
        {
            "leadId": lead_id,
            "files": [a_file("march.pdf", b"march"), a_file("april.pdf", b"april")],
            "leadChecklistItemId": str(statements.uuid),
            "metadata": ['{"externalId": "ext-1", "name": "March.pdf"}', '{"externalId": "ext-2"}'],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["success"] is True
    docs = body["documents"]
    assert [d["filename"] for d in docs] == ["March.pdf", "april.pdf"]
    assert [d["size"] for d in docs] == [5, 5]
    assert docs[0]["mimeType"] == "application/pdf"
    row = LeadChecklistItem.objects.get(item=statements)
    assert row.status == "NEEDS_REVIEW"
    assert {d["associatedChecklistItemId"] for d in docs} == {str(row.uuid)}
    log = ActionLog.objects.get(uuid=body["actionLogId"])
    assert (log.type, log.summary) == ("DOCUMENT_UPLOAD", "Uploaded 2 documents")
    assert [d["filename"] for d in log.input["documents"]] == ["March.pdf", "april.pdf"]
    assert Document.objects.get(external_id="ext-1").lead.uuid == uuid.UUID(lead_id)

    response, content = download(client, docs[1]["url"])
    assert response.status_code == 200 and content == b"april"
    assert response["Content-Disposition"].startswith("attachment")

    checklist = omni(client, "get", f"leads/{lead_id}/checklist", key_a).json()
    entry = next(
        i
        for g in checklist
        for i in g["items"]
        if i["checklistItem"]["code"] == ("bank_statements")
    )
    assert entry["status"] == "NEEDS_REVIEW"
    assert sorted(d["filename"] for d in entry["documents"]) == ["March.pdf", "april.pdf"]
    assert all(
        d["signedUrl"].startswith("http://testserver/documents/") for d in entry["documents"]
    )


def test_the_documents_endpoint_lists_them_with_signed_urls(client, key_a, lead_id):
    upload(client, key_a, {"leadId": lead_id, "files": [a_file("id.png", b"png", "image/png")]})

    response = omni(client, "get", f"leads/{lead_id}/documents", key_a)

    assert response.status_code == 200
    [doc] = response.json()
    assert (doc["filename"], doc["mimeType"], doc["size"]) == ("id.png", "image/png", 3)
    assert doc["leadChecklistItemDocument"] == []
    assert download(client, doc["signedUrl"])[1] == b"png"
    detail = omni(client, "get", f"leads/{lead_id}", key_a).json()
    assert [d["id"] for d in detail["documents"]] == [doc["id"]]


def test_signed_urls_expire_after_an_hour_and_cannot_be_forged(client, key_a, lead_id):
    docs = upload(client, key_a, {"leadId": lead_id, "files": [a_file()]}).json()["documents"]
    url = docs[0]["url"]
    later = timezone.now() + timedelta(minutes=59)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert download(client, url)[0].status_code == 200
    expired = timezone.now() + timedelta(hours=1, seconds=5)
    with mock.patch("django.core.signing.time.time", return_value=expired.timestamp()):
        assert download(client, url)[0].status_code == 404
    forged = url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb")
    assert download(client, forged)[0].status_code == 404
    assert client.get("/documents/nonsense").status_code == 404


def test_more_than_ten_files_or_none_is_a_400(client, key_a, lead_id):
    eleven = [a_file(f"f{n}.pdf") for n in range(11)]
    too_many = upload(client, key_a, {"leadId": lead_id, "files": eleven})
    none = upload(client, key_a, {"leadId": lead_id})
    assert too_many.status_code == none.status_code == 400
    assert "files" in too_many.json()["error"]["details"]
    assert not Document.objects.exists()


def test_a_file_over_the_size_limit_is_a_413(client, key_a, lead_id):
    with override_settings(DOCUMENT_MAX_BYTES=1024):
        response = upload(
            client, key_a, {"leadId": lead_id, "files": [a_file(content=b"x" * 1025)]}
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Document.objects.exists()


def test_an_item_of_another_lead_or_a_missing_lead_is_refused(client, key_a, lead_id):
    other = omni(client, "post", "leads", key_a, {"firstName": "O"}).json()["lead"]["id"]
    item = omni(
        client,
        "post",
        f"leads/{other}/checklist-items",
        key_a,
        {"label": "Own", "fieldType": "FILE"},
    ).json()["checklistItem"]
    wrong_item = upload(
        client, key_a, {"leadId": lead_id, "files": [a_file()], "leadChecklistItemId": item["id"]}
    )
    assert wrong_item.status_code == 400
    assert "leadChecklistItemId" in wrong_item.json()["error"]["details"]
    missing_lead = upload(client, key_a, {"leadId": str(uuid.uuid4()), "files": [a_file()]})
    assert missing_lead.status_code == 404
    assert not Document.objects.exists()


def test_metadata_is_also_read_under_omnis_documented_name(client, key_a, lead_id):
    response = upload(
        client,
        key_a,
        {
            "leadId": lead_id,
            "files": [a_file("a.pdf"), a_file("b.pdf")],
            "metadata[]": ['{"externalId": "ext-a", "name": "A.pdf"}', '{"externalId": "ext-b"}'],
        },
    )
    assert response.status_code == 201, response.content
    assert [d["filename"] for d in response.json()["documents"]] == ["A.pdf", "b.pdf"]
    assert sorted(Document.objects.values_list("external_id", flat=True)) == ["ext-a", "ext-b"]


@pytest.mark.parametrize("name", ["metadata", "metadata[]"])
def test_more_metadata_entries_than_files_is_a_400(client, key_a, lead_id, name):
    response = upload(
        client,
        key_a,
        {"leadId": lead_id, "files": [a_file()], name: ['{"name": "one"}', '{"name": "two"}']},
    )
    assert response.status_code == 400
    assert "metadata" in response.json()["error"]["details"]
    assert not Document.objects.exists()


def test_bad_metadata_is_a_400(client, key_a, lead_id):
    response = upload(
        client, key_a, {"leadId": lead_id, "files": [a_file()], "metadata": ["{not json"]}
    )
    assert response.status_code == 400
    assert "metadata" in response.json()["error"]["details"]


def test_uploading_the_last_required_document_completes_the_lead(client, ws_a, key_a):
    statements = ChecklistItem.objects.create(
        workspace=ws_a, code="statements", label="Statements", field_type="BANK_STATEMENT"
    )
    lead_id = omni(client, "post", "leads", key_a, {"firstName": "C"}).json()["lead"]["id"]
    assert Lead.objects.get().completed_at is None
    upload(
        client,
        key_a,
        {"leadId": lead_id, "files": [a_file()], "leadChecklistItemId": str(statements.uuid)},
    )
    lead = Lead.objects.get()
    assert lead.completed_at is not None
    assert ActionLog.objects.get(type="DOCUMENT_UPLOAD").input["leadCompleted"] is True


# --- activity and action logs --------------------------------------------------------------


def test_a_custom_activity_lands_in_the_timeline(client, key_a, lead_id):
    response = omni(
        client,
        "post",
        "activity",
        key_a,
        {
            "leadId": lead_id,
            "eventType": "sales_call",
            "title": "Called about pricing",
            "description": "Wants a quote by Friday",
            "metadata": {"durationSeconds": 320},
        },
    )

    assert response.status_code == 201
    action_log_id = response.json()["actionLogId"]
    assert response.json()["success"] is True
    logs = omni(client, "get", f"leads/{lead_id}/action-logs", key_a).json()
    newest = logs[0]
    assert newest["id"] == action_log_id
    assert newest["summary"] == "Called about pricing"
    assert newest["eventType"] == "sales_call"
    assert newest["description"] == "Wants a quote by Friday"
    assert newest["input"]["metadata"] == {"durationSeconds": 320}
    # OmniAI documents no CUSTOM type: an integration's entry reads as API activity.
    assert (newest["type"], newest["leadbookType"]) == ("API_ACTIVITY", "CUSTOM")


OMNI_TYPES = {
    "MESSAGE",
    "FOLLOW_UP_MESSAGE",
    "TOOL_CALL",
    "MANUAL_UPDATE",
    "API_ACTIVITY",
    "SYSTEM_NOTE",
    "DOCUMENT_UPLOAD",
}


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("ASSIGNMENT", "SYSTEM_NOTE"),
        ("MERGE", "SYSTEM_NOTE"),
        ("IMPORT", "SYSTEM_NOTE"),
        ("CALL", "SYSTEM_NOTE"),
        ("SETTINGS", "SYSTEM_NOTE"),
        ("CUSTOM", "API_ACTIVITY"),
        ("MANUAL_UPDATE", "MANUAL_UPDATE"),
    ],
)
def test_action_logs_show_only_the_types_omni_documents(
    client, ws_a, key_a, lead_id, stored, shown
):
    lead = Lead.objects.get(uuid=lead_id)
    actionlog_record(workspace=ws_a, actor=Actor.system(), lead=lead, type=stored, summary="S")

    logs = omni(client, "get", f"leads/{lead_id}/action-logs", key_a).json()
    bundle = omni(client, "get", f"leads/{lead_id}", key_a).json()

    assert (logs[0]["type"], logs[0]["leadbookType"]) == (shown, stored)
    assert {log["type"] for log in logs + bundle["actionLogs"]} <= OMNI_TYPES


@pytest.mark.parametrize(
    "body",
    [
        {"eventType": "sales_call", "title": "No lead"},
        {"leadId": "x", "title": "No event type"},
        {"leadId": "x", "eventType": "sales_call"},
        {"leadId": "x", "eventType": "has spaces", "title": "T"},
        {"leadId": "x", "eventType": "e", "title": "T", "metadata": ["not", "an", "object"]},
    ],
)
def test_an_incomplete_activity_is_a_400(client, key_a, lead_id, body):
    body = {k: (lead_id if v == "x" else v) for k, v in body.items()}
    before = ActionLog.objects.count()
    response = omni(client, "post", "activity", key_a, body)
    assert response.status_code == 400
    assert ActionLog.objects.count() == before


def test_listing_endpoints_keep_a_fixed_query_count(
    client, ws_a, key_a, lead_id, django_assert_max_num_queries
):
    for n in range(5):
        upload(client, key_a, {"leadId": lead_id, "files": [a_file(f"{n}.pdf")]})
        omni(client, "post", "activity", key_a, {"leadId": lead_id, "eventType": "e", "title": "t"})
    for path in ("checklist", "documents", "action-logs"):
        with django_assert_max_num_queries(12):
            assert omni(client, "get", f"leads/{lead_id}/{path}", key_a).status_code == 200
    with django_assert_max_num_queries(30):
        upload(client, key_a, {"leadId": lead_id, "files": [a_file(f"{n}.pdf") for n in range(10)]})
    with django_assert_max_num_queries(12):
        omni(client, "post", "activity", key_a, {"leadId": lead_id, "eventType": "e", "title": "t"})
    with django_assert_max_num_queries(16):
        omni(
            client,
            "post",
            f"leads/{lead_id}/checklist-items",
            key_a,
            {"label": "Void check", "fieldType": "FILE"},
        )
