"""POST /api/agents/crm/leads/bulk: 1-500 rows, per-row results, dry runs, no webhooks."""

import pytest
from django.db import connection

from api.models import IdempotencyRecord
from leads.actors import Actor
from leads.models import ActionLog, Lead, Rotation, WebhookDelivery
from leads.services.leads import lead_create
from leads.services.matching import MATCH_LOCKS_PER_BATCH
from leads.services.webhooks import webhook_endpoint_create
from tests.api.mega.conftest import error
from tests.concurrency import run_in_threads
from tests.conftest import make_member, make_rotation

SYSTEM = Actor.system()


def existing(ws, **data):
    return lead_create(workspace=ws, actor=SYSTEM, data=data, route=False).lead


def test_a_mixed_batch_reports_every_row_and_a_bad_row_never_aborts_it(
    mega_a, ws_a, pipeline_a, bob, dave
):
    by_email = existing(ws_a, first_name="Em", email="em@x.com", company="Keep")
    by_phone = existing(ws_a, first_name="Ph", phone="2065550100")
    rows = [
        {"row_ref": "new-1", "contact_name": "New One", "contact_email": "new1@x.com"},
        {"row_ref": "email", "contact_email": "EM@x.com", "contact_name": "Emma Stone"},
        {"row_ref": "phone", "contact_phone": "+1 (206) 555-0100", "stage_slug": "won"},
        {"row_ref": "bad-phone", "contact_name": "X", "contact_phone": "12"},
        {"row_ref": "bad-stage", "contact_name": "X", "stage_slug": "nope"},
        {"row_ref": "foreign-owner", "contact_name": "X", "owner_id": str(dave.pk)},
        {"row_ref": "no-contact", "stage_slug": "new"},
        "not an object",
        {"row_ref": "bad-type", "contact_name": "X", "custom_fields": {"beds": "many"}},
        {
            "row_ref": "extras",
            "contact_name": "Ext Ra",
            "owner_id": str(bob.pk),
            "lead_line": "seller",
            "custom_fields": {"budget": "9", "pets": "cat", "color": "red"},
        },
    ]
    response = mega_a.post("leads/bulk", {"leads": rows})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"dry_run", "summary", "results", "unknown_custom_fields"}
    assert body["dry_run"] is False
    assert body["summary"] == {"total": 10, "created": 2, "updated": 2, "skipped": 0, "failed": 6}
    results = {r["row_ref"]: r for r in body["results"]}
    assert [r["row_ref"] for r in body["results"]][:7] == [
        "new-1",
        "email",
        "phone",
        "bad-phone",
        "bad-stage",
        "foreign-owner",
        "no-contact",
    ]
    assert body["results"][7]["row_ref"] is None and body["results"][7]["status"] == "failed"
    assert results["email"] == {
        "row_ref": "email",
        "lead_id": str(by_email.uuid),
        "status": "updated",
        "matched_by": "email",
        "errors": [],
        "ignored_custom_fields": [],
    }
    assert (results["phone"]["status"], results["phone"]["matched_by"]) == ("updated", "phone")
    assert results["phone"]["lead_id"] == str(by_phone.uuid)
    assert results["new-1"]["status"] == "created" and results["new-1"]["matched_by"] is None
    for ref, field in (
        ("bad-phone", "contact_phone"),
        ("bad-stage", "stage_slug"),
        ("foreign-owner", "owner_id"),
        ("bad-type", "custom_fields"),
    ):
        assert results[ref]["status"] == "failed" and results[ref]["lead_id"] is None
        assert any(message.startswith(field) for message in results[ref]["errors"]), ref
    assert results["no-contact"]["errors"] == [
        "At least one of contact_name, contact_phone, or contact_email is required"
    ]
    assert results["extras"]["ignored_custom_fields"] == ["color", "pets"]
    assert body["unknown_custom_fields"] == ["color", "pets"]

    by_email.refresh_from_db()
    assert (by_email.first_name, by_email.last_name, by_email.company) == ("Emma", "Stone", "Keep")
    by_phone.refresh_from_db()
    assert by_phone.stage == pipeline_a["won"]
    extra = Lead.objects.get(uuid=results["extras"]["lead_id"])
    assert (extra.assignee, extra.lead_line, extra.custom_fields) == (
        bob,
        "seller",
        {"budget": "9"},
    )
    assert Lead.objects.filter(workspace=ws_a).count() == 4
    merge = ActionLog.objects.get(lead=by_email, event="lead_merged")
    assert merge.type == "MERGE" and merge.input["previous"]["first_name"] == "Em"
    assert merge.input["leadUpdates"]["first_name"] == "Emma"


def test_rows_of_one_batch_merge_into_each_other(mega_a):
    rows = [
        {"row_ref": "a", "contact_name": "Ann", "contact_email": "ann@x.com"},
        {"row_ref": "b", "contact_phone": "2065550111", "contact_email": "ANN@x.com"},
        {"row_ref": "c", "contact_name": "Ann Lee", "contact_phone": "206-555-0111"},
    ]
    body = mega_a.post("leads/bulk", {"leads": rows}).json()
    assert [(r["status"], r["matched_by"]) for r in body["results"]] == [
        ("created", None),
        ("updated", "email"),
        ("updated", "phone"),
    ]
    assert len({r["lead_id"] for r in body["results"]}) == 1
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.phone_e164) == ("Ann", "Lee", "+12065550111")
    assert list(
        ActionLog.objects.filter(lead=lead).order_by("id").values_list("event", flat=True)
    ) == ["lead_created", "lead_merged", "lead_merged"]


def test_skip_leaves_a_matching_lead_untouched(mega_a, ws_a):
    lead = existing(ws_a, first_name="Orig", email="o@x.com")
    body = mega_a.post(
        "leads/bulk",
        {
            "leads": [{"contact_name": "Changed", "contact_email": "o@x.com"}],
            "on_duplicate": "skip",
        },
    ).json()
    assert body["results"][0]["status"] == "skipped"
    assert body["results"][0]["lead_id"] == str(lead.uuid)
    assert body["results"][0]["matched_by"] == "email"
    lead.refresh_from_db()
    assert lead.first_name == "Orig"
    assert not ActionLog.objects.filter(event="lead_merged").exists()


@pytest.mark.parametrize("dry_run", [True, "true", "1", 1])
def test_a_dry_run_previews_without_writing_or_caching(mega_a, ws_a, dry_run):
    lead = existing(ws_a, first_name="Orig", email="o@x.com")
    body = {
        "leads": [
            {"row_ref": "1", "contact_name": "Fresh", "contact_email": "f@x.com"},
            {"row_ref": "2", "contact_name": "Changed", "contact_email": "o@x.com"},
            {"row_ref": "3", "contact_phone": "1"},
        ],
        "dry_run": dry_run,
    }
    logs_before = ActionLog.objects.count()
    first = mega_a.post("leads/bulk", body, **{"Idempotency-Key": "dry"})
    preview = first.json()
    assert preview["dry_run"] is True
    assert preview["summary"] == {"total": 3, "created": 1, "updated": 1, "skipped": 0, "failed": 1}
    assert preview["results"][0]["lead_id"] is None
    assert preview["results"][1]["lead_id"] == str(lead.uuid)
    assert Lead.objects.count() == 1 and ActionLog.objects.count() == logs_before
    lead.refresh_from_db()
    assert lead.first_name == "Orig"
    again = mega_a.post("leads/bulk", body, **{"Idempotency-Key": "dry"})
    assert "Idempotent-Replayed" not in again
    assert IdempotencyRecord.objects.count() == 0
    real = mega_a.post("leads/bulk", {**body, "dry_run": False}, **{"Idempotency-Key": "dry"})
    assert real.json()["summary"]["created"] == 1
    assert Lead.objects.count() == 2


def test_a_row_with_a_number_too_large_for_json_fails_alone(mega_a, pipeline_a):
    # 1e400 parses to infinity: that row fails, naming the field; the others are written.
    body = (
        '{"leads": [{"row_ref": "inf", "contact_name": "X", "custom_fields": {"beds": 1e400}},'
        ' {"row_ref": "ok", "contact_name": "Fine", "custom_fields": {"beds": 2}}]}'
    )
    response = mega_a.post("leads/bulk", body)
    assert response.status_code == 200, response.content
    bad, good = response.json()["results"]
    assert (bad["row_ref"], bad["status"], bad["lead_id"]) == ("inf", "failed", None)
    assert any("beds" in message for message in bad["errors"]), bad["errors"]
    assert (good["row_ref"], good["status"]) == ("ok", "created")
    assert Lead.objects.get().custom_fields == {"beds": 2}


def test_a_merged_row_replaces_the_whole_name(mega_a, ws_a):
    existing(ws_a, first_name="Alice", last_name="Smith", email="al@x.com")
    rows = [{"contact_name": "Bob", "contact_email": "al@x.com"}]
    result = mega_a.post("leads/bulk", {"leads": rows}).json()["results"][0]
    assert result["status"] == "updated"
    assert Lead.objects.get().full_name == "Bob"


def test_a_real_run_is_idempotent(mega_a):
    body = {"leads": [{"contact_name": "Once", "contact_email": "once@x.com"}]}
    first = mega_a.post("leads/bulk", body, **{"Idempotency-Key": "bulk-1"})
    again = mega_a.post("leads/bulk", body, **{"Idempotency-Key": "bulk-1"})
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"leads": []}, "leads"),
        ({"leads": [{"contact_name": "x"}] * 501}, "leads"),
        ({}, "leads"),
        ({"leads": {"contact_name": "x"}}, "leads"),
        ({"leads": [{"contact_name": "x"}], "on_duplicate": "replace"}, "on_duplicate"),
        ({"leads": [{"contact_name": "x"}], "dry_run": "perhaps"}, "dry_run"),
    ],
)
def test_a_malformed_batch_is_refused_whole(mega_a, body, field):
    response = mega_a.post("leads/bulk", body)
    assert response.status_code == 400
    assert field in error(response)["message"]
    assert Lead.objects.count() == 0


def test_over_500_rows_is_refused_with_a_clear_message(mega_a):
    response = mega_a.post("leads/bulk", {"leads": [{"contact_name": "x"}] * 501})
    assert "At most 500 rows" in error(response)["message"]


def test_bulk_leads_fire_no_webhooks(mega_a, ws_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    webhook_endpoint_create(
        workspace=ws_a,
        actor=SYSTEM,
        url="http://127.0.0.1:9/hook",
        event_types=["lead.created", "lead.updated", "lead.merged"],
        payload_format="mega",
    )
    existing(ws_a, first_name="Old", email="old@x.com")
    WebhookDelivery.objects.all().delete()
    rows = [{"contact_name": "New"}, {"contact_email": "old@x.com", "contact_name": "Newer"}]
    assert mega_a.post("leads/bulk", {"leads": rows}).status_code == 200
    assert WebhookDelivery.objects.count() == 0


def test_new_bulk_leads_go_through_the_rotation_in_turn(mega_a, ws_a, bob):
    carl = make_member(ws_a, "carl@acme.test", "agent", "Carl")
    away = make_member(ws_a, "away@acme.test", "agent", "Away")
    rotation = make_rotation(ws_a, [bob, away, carl])
    rotation.members.filter(membership=away).update(is_active=False)
    rows = [{"contact_email": f"r{i}@x.com"} for i in range(5)]
    results = mega_a.post("leads/bulk", {"leads": rows}).json()["results"]
    owners = [Lead.objects.get(uuid=r["lead_id"]).assignee for r in results]
    assert owners == [bob, carl, bob, carl, bob]
    rotation.refresh_from_db()
    assert rotation.position == 1
    assert ActionLog.objects.filter(type="ASSIGNMENT").count() == 5
    # The next single create continues the same rotation.
    single = mega_a.post("leads", {"contact_name": "Next"}).json()["lead"]
    assert single["owner"]["name"] == "Carl"
    assert Rotation.objects.get().position == 0


def test_500_rows_take_a_bounded_number_of_queries(
    mega_a, ws_a, bob, pipeline_a, django_assert_max_num_queries
):
    make_rotation(ws_a, [bob])
    for i in range(100):
        existing(ws_a, first_name=f"Old{i}", email=f"user{i}@x.com")
    rows = [
        {
            "row_ref": str(i),
            "contact_name": f"User {i}",
            "contact_email": f"user{i}@x.com",
            "contact_phone": f"206555{i:04d}",
            "stage_slug": "new" if i % 2 else "won",
            "owner_id": str(bob.pk) if i % 3 == 0 else None,
            "custom_fields": {"budget": str(i), "beds": i % 5, "unknown": 1},
        }
        for i in range(500)
    ]
    limit = 24 if connection.vendor == "postgresql" else 75  # SQLite: 999 values per insert
    with django_assert_max_num_queries(limit):
        response = mega_a.post("leads/bulk", {"leads": rows})
    summary = response.json()["summary"]
    assert summary == {"total": 500, "created": 400, "updated": 100, "skipped": 0, "failed": 0}
    assert Lead.objects.filter(workspace=ws_a).count() == 500
    assert ActionLog.objects.filter(event__in=["lead_created", "lead_merged"]).count() == 600
    lead = Lead.objects.get(email="user7@x.com")
    assert (lead.first_name, lead.custom_fields, lead.stage.slug) == (
        "User",
        {"budget": "7", "beds": 2},
        "new",
    )


def test_bulk_has_its_own_rate_limit_bucket(mega_a, ws_a):
    ws_a.bulk_rate_limit_per_minute = 1
    ws_a.save()
    body = {"leads": [{"contact_name": "B"}]}
    assert mega_a.post("leads/bulk", body).status_code == 200
    limited = mega_a.post("leads/bulk", body)
    assert limited.status_code == 429
    assert error(limited) == {
        "type": "rate_limit_error",
        "code": 429,
        "message": "Rate limit exceeded. Please retry later.",
        "reason": "rate_limited",
    }
    assert int(limited["Retry-After"]) >= 1
    assert mega_a.post("leads", {"contact_name": "Single"}).status_code == 201


def test_bulk_never_touches_another_workspace(mega_a, mega_b, ws_b):
    theirs = existing(ws_b, first_name="Theirs", email="shared@x.com")
    body = mega_a.post(
        "leads/bulk", {"leads": [{"contact_email": "shared@x.com", "contact_name": "Mine"}]}
    ).json()
    assert body["results"][0]["status"] == "created"
    theirs.refresh_from_db()
    assert theirs.first_name == "Theirs"


def test_bulk_needs_the_write_scope(mega_with_scopes):
    response = mega_with_scopes("leads:read").post("leads/bulk", {"leads": [{"contact_name": "x"}]})
    assert response.status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("others", [1, MATCH_LOCKS_PER_BATCH + 5])
def test_concurrent_batches_and_single_creates_of_one_email_make_one_lead(ws_a, key_a, others):
    """Small batches lock each email; large ones the workspace: one lead either way."""
    from django.test import Client

    from tests.api.mega.conftest import Mega

    def push(n: int):
        mega = Mega(Client(), key_a, ws_a)
        if n % 2:
            return mega.post("leads", {"contact_email": "race@x.com"}).status_code
        rows = [{"contact_email": "race@x.com"}]
        rows += [{"contact_email": f"other{n}-{i}@x.com"} for i in range(others)]
        return mega.post("leads/bulk", {"leads": rows}).status_code

    results, errors = run_in_threads(20, push)
    assert errors == [] and set(results) <= {200, 201}
    assert Lead.objects.filter(workspace=ws_a, email_normalized="race@x.com").count() == 1
    assert Lead.objects.filter(workspace=ws_a).count() == 1 + 10 * others
