"""The fast insert path of bulk writers (COPY on PostgreSQL, bulk_create elsewhere)
stores exactly what save() would."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from leads.models import ActionLog, ImportJob, ImportRow, Lead
from leads.services.inserts import bulk_insert, copy_values, new_instance
from leads.services.phones import phone_normalize


def test_new_instances_are_inserted_with_their_pks_defaults_and_relations(ws_a, alice):
    info = phone_normalize("(206) 555-0100")
    leads = [
        new_instance(
            Lead,
            {
                "workspace": ws_a,
                "first_name": f"Ann{i}",
                "phone": info.phone_number(),
                "phone_last10": info.last10,
                "custom_fields": {"n": i, "quote": 'a "b"\\n'},
                "assignee": alice,
                "created_by": None,
            },
        )
        for i in range(3)
    ]
    assert leads[0].workspace is ws_a and leads[0].assignee is alice  # no query
    bulk_insert(leads)
    assert all(lead.pk for lead in leads) and not leads[0]._state.adding
    stored = Lead.objects.get(pk=leads[2].pk)
    assert stored.first_name == "Ann2"
    assert stored.phone_e164 == "+12065550100"
    assert stored.custom_fields == {"n": 2, "quote": 'a "b"\\n'}
    assert stored.assignee_id == alice.pk
    assert stored.uuid == leads[2].uuid and stored.uuid != leads[1].uuid
    assert stored.status == "in_progress" and stored.notes == "" and stored.score is None
    assert stored.updated_at is not None  # auto_now applied
    assert abs(stored.created_at - datetime.datetime.now(datetime.UTC)).total_seconds() < 60


def test_json_null_and_values_survive(ws_a):
    logs = [
        new_instance(ActionLog, {"workspace": ws_a, "type": "IMPORT", "input": None}),
        new_instance(ActionLog, {"workspace": ws_a, "type": "IMPORT", "input": {"a": [1, None]}}),
    ]
    bulk_insert(logs)
    assert list(ActionLog.objects.order_by("pk").values_list("input", flat=True)) == [
        None,
        {"a": [1, None]},
    ]


def test_rows_whose_ids_nobody_needs_are_numbered_by_the_table(ws_a):
    logs = [
        new_instance(ActionLog, {"workspace": ws_a, "type": "IMPORT", "summary": f"s{i}"})
        for i in range(3)
    ]
    bulk_insert(logs, with_ids=False)
    stored = list(ActionLog.objects.filter(workspace=ws_a).order_by("pk"))
    assert [log.summary for log in stored] == ["s0", "s1", "s2"]
    assert len({log.pk for log in stored}) == 3
    assert [log.uuid for log in stored] == [log.uuid for log in logs]


def test_rows_given_as_values_are_inserted(ws_a, alice):
    job = ImportJob.objects.create(workspace=ws_a, original_name="x.csv", file_format="csv")
    copy_values(
        ImportRow,
        [
            {"workspace_id": ws_a.pk, "job_id": job.pk, "row_number": 2, "outcome": "created"},
            {
                "workspace_id": ws_a.pk,
                "job_id": job.pk,
                "row_number": 3,
                "outcome": "failed",
                "errors": {"phone": ["bad"]},
                "values": ["a", "=b"],
            },
        ],
    )
    rows = list(ImportRow.objects.filter(job=job).order_by("row_number"))
    assert [(r.row_number, r.outcome, r.errors, r.values) for r in rows] == [
        (2, "created", None, None),
        (3, "failed", {"phone": ["bad"]}, ["a", "=b"]),
    ]


def test_a_cached_phone_still_fails_every_time():
    for _ in range(2):
        with pytest.raises(ValidationError, match="not a valid phone number"):
            phone_normalize("12")
    number = phone_normalize("+44 20 7946 0958").phone_number()
    assert number.as_e164 == "+442079460958" and number.is_valid()
    assert phone_normalize("+44 20 7946 0958").phone_number() is not number  # fresh copies


def test_many_leads_are_updated_in_one_statement(ws_a, alice, stages_a, django_assert_num_queries):
    from leads.services.inserts import bulk_update

    leads = [
        new_instance(Lead, {"workspace": ws_a, "first_name": f"Old{i}", "email": f"o{i}@x.test"})
        for i in range(3)
    ]
    bulk_insert(leads)
    info = phone_normalize("+12065550100")
    for i, lead in enumerate(leads):
        lead.first_name = f"New{i}"
        lead.custom_fields = {"k": [i, None]}
        lead.stage = stages_a[0] if i else None
        lead.assignee = alice
        lead.phone = info.phone_number()
        lead.score = None if i else 7
        lead.opted_out_at = datetime.datetime(2025, 1, 2, 3, 4, tzinfo=datetime.UTC)
    fields = ["first_name", "custom_fields", "stage", "assignee", "phone", "score", "opted_out_at"]
    with django_assert_num_queries(1):
        bulk_update(leads, fields)
    stored = {lead.pk: lead for lead in Lead.objects.filter(workspace=ws_a)}
    for i, lead in enumerate(leads):
        got = stored[lead.pk]
        assert got.first_name == f"New{i}" and got.custom_fields == {"k": [i, None]}
        assert got.stage_id == (stages_a[0].pk if i else None) and got.assignee_id == alice.pk
        assert got.phone_e164 == "+12065550100" and got.score == (None if i else 7)
        assert got.opted_out_at == datetime.datetime(2025, 1, 2, 3, 4, tzinfo=datetime.UTC)
        assert got.email == f"o{i}@x.test"  # untouched
