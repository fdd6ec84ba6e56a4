import pytest
from django.core.exceptions import ValidationError

from leads.actors import Actor, RequestMeta
from leads.models import ActionLog, CustomField, Lead, Tag
from leads.services.leads import lead_create, lead_matching, lead_update, lead_upsert
from tests.conftest import make_rotation


@pytest.fixture
def fields_a(ws_a):
    CustomField.objects.create(workspace=ws_a, slug="budget", label="Budget", field_type="number")
    CustomField.objects.create(
        workspace=ws_a, slug="plan", label="Plan", field_type="select", choices=["basic", "pro"]
    )


def test_create_normalizes_the_phone_and_infers_the_timezone(ws_a, actor_a):
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "John", "phone": "6782319992"}
    ).lead
    lead.refresh_from_db()
    assert lead.phone_e164 == "+16782319992"
    assert lead.phone_last10 == "6782319992"
    assert lead.timezone == "America/New_York"
    assert lead.timezone_inferred is True


def test_a_given_timezone_wins_over_the_inferred_one(ws_a, actor_a):
    lead = lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "J", "phone": "6782319992", "timezone": "Europe/Berlin"},
    ).lead
    assert (lead.timezone, lead.timezone_inferred) == ("Europe/Berlin", False)


def test_create_writes_exactly_one_timeline_entry_with_the_fields_it_set(ws_a, actor_a):
    write = lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "Ada", "email": "ADA@Example.com ", "company": "Engines"},
        route=False,
    )
    logs = ActionLog.objects.filter(lead=write.lead)
    assert logs.count() == 1
    log = logs.get()
    assert (log.type, log.event, log.summary) == ("MANUAL_UPDATE", "lead_created", "Lead created")
    assert log.input["leadUpdates"] == {
        "first_name": "Ada",
        "email": "ADA@Example.com",
        "company": "Engines",
    }
    assert write.lead.email_normalized == "ada@example.com"
    assert log.actor_user == actor_a.user


def test_a_routed_create_keeps_the_diff_in_one_entry_and_says_why_in_the_assignment(
    ws_a, actor_a, bob
):
    make_rotation(ws_a, [bob])
    write = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "Ada"})
    logs = list(ActionLog.objects.filter(lead=write.lead).order_by("id"))
    assert [(log.type, log.event) for log in logs] == [
        ("MANUAL_UPDATE", "lead_created"),
        ("ASSIGNMENT", "lead_assigned"),
    ]
    created, assigned = logs
    # The field diff lives in the one lead_created entry, the assignee included…
    assert created.input["leadUpdates"] == {
        "first_name": "Ada",
        "assignee": write.lead.assignee_id,
    }
    # …and the routing entry carries no diff, only who got the lead and why.
    assert "leadUpdates" not in assigned.input
    assert assigned.input["assignee"] == write.lead.assignee_id
    assert assigned.description.startswith("Next in rotation")


def test_update_changes_only_named_fields_and_logs_only_real_changes(ws_a, actor_a):
    lead = lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "John", "last_name": "Doe", "company": "Old"},
        route=False,
    ).lead
    write = lead_update(lead=lead, actor=actor_a, data={"last_name": "Doe", "company": "New Co"})
    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.company) == ("John", "Doe", "New Co")
    assert write.log.input["leadUpdates"] == {"company": "New Co"}
    assert write.log.input["previous"] == {"company": "Old"}
    assert ActionLog.objects.filter(lead=lead, event="lead_updated").count() == 1


def test_invalid_input_is_refused_whole_and_writes_nothing(ws_a, actor_a):
    with pytest.raises(ValidationError) as err:
        lead_create(
            workspace=ws_a,
            actor=actor_a,
            data={
                "first_name": "X",
                "email": "not-an-email",
                "phone": "12",
                "timezone": "Mars/Base",
            },
        )
    assert set(err.value.message_dict) == {"email", "phone", "timezone"}
    assert Lead.objects.count() == 0
    assert ActionLog.objects.count() == 0


def test_foreign_keys_from_another_workspace_are_refused(ws_a, ws_b, actor_a, dave):
    with pytest.raises(ValidationError) as err:
        lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "X", "assignee": dave})
    assert "assignee" in err.value.message_dict
    assert Lead.objects.count() == 0


def test_tags_beyond_ascii_match_case_insensitively_on_every_database(ws_a, actor_a):
    """Python's lower() folds Í to í where SQLite's LOWER() does not: this was a 500
    (KeyError) found by fuzzing the OmniAI create."""
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "T", "tags": ["Ílha", "ílha", "Öl"]}
    ).lead
    assert sorted(lead.tags.values_list("name", flat=True)) == ["Ílha", "Öl"]
    again = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "U", "tags": ["Ílha", "Öl", "ÖL"]}
    ).lead
    assert set(again.tags.all()) == set(lead.tags.all())


def test_tags_match_case_insensitively_and_an_empty_list_clears_them(ws_a, actor_a):
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "T", "tags": ["VIP", "vip", "Hot"]}
    ).lead
    assert sorted(lead.tags.values_list("name", flat=True)) == ["Hot", "VIP"]
    lead_update(lead=lead, actor=actor_a, data={"tags": ["vip"]})
    assert list(lead.tags.values_list("name", flat=True)) == ["VIP"]
    assert Tag.objects.filter(workspace=ws_a).count() == 2
    write = lead_update(lead=lead, actor=actor_a, data={"tags": []})
    assert lead.tags.count() == 0
    assert write.changes["tags"] == {"from": ["VIP"], "to": []}


def test_custom_fields_are_type_checked_and_merge_key_by_key(ws_a, actor_a, fields_a):
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "C", "custom_fields": {"budget": 10}}
    ).lead
    lead_update(lead=lead, actor=actor_a, data={"custom_fields": {"plan": "pro"}})
    lead.refresh_from_db()
    assert lead.custom_fields == {"budget": 10, "plan": "pro"}
    with pytest.raises(ValidationError) as err:
        lead_update(lead=lead, actor=actor_a, data={"custom_fields": {"budget": "lots"}})
    assert "budget" in err.value.messages[0]
    with pytest.raises(ValidationError) as err:
        lead_update(lead=lead, actor=actor_a, data={"custom_fields": {"nope": 1}})
    assert "nope" in err.value.messages[0]


def test_opting_out_sets_the_time_and_status_and_opting_back_in_clears_them(ws_a, actor_a):
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "O"}).lead
    lead_update(lead=lead, actor=actor_a, data={"opted_out": True})
    assert lead.opted_out_at is not None and lead.status == Lead.Status.OPTED_OUT
    with pytest.raises(ValidationError):
        lead_update(lead=lead, actor=actor_a, data={"status": Lead.Status.IN_PROGRESS})
    with pytest.raises(ValidationError):
        lead_update(lead=lead, actor=actor_a, data={"opted_out": False, "status": "opted_out"})
    lead_update(lead=lead, actor=actor_a, data={"opted_out": False})
    assert lead.opted_out_at is None and lead.status == Lead.Status.IN_PROGRESS


def test_matching_finds_other_leads_by_email_or_last_ten_digits(ws_a, ws_b, actor_a):
    first = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "A", "email": "x@y.com"}
    ).lead
    second = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "B", "phone": "+1 206 555 0123"}
    ).lead
    probe = lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "C", "email": "X@Y.com", "phone": "(206) 555-0123"},
    ).lead
    lead_create(workspace=ws_b, actor=Actor.system(), data={"first_name": "D", "email": "x@y.com"})
    assert lead_matching(probe) == [second, first]


def test_upsert_merges_into_the_match_and_records_before_and_after(ws_a, actor_a):
    original = lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "Jo", "email": "jo@x.com", "company": "Old"},
    ).lead
    result = lead_upsert(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "", "email": "JO@x.com", "company": "New", "phone": "2065550123"},
    )
    assert (result.outcome, result.matched_by, result.lead.pk) == ("updated", "email", original.pk)
    original.refresh_from_db()
    assert (original.first_name, original.company) == ("Jo", "New")
    merge_log = ActionLog.objects.get(lead=original, type="MERGE")
    assert merge_log.input["previous"]["company"] == "Old"
    assert merge_log.input["leadUpdates"]["company"] == "New"
    assert Lead.objects.count() == 1
    skipped = lead_upsert(
        workspace=ws_a, actor=actor_a, data={"phone": "+12065550123"}, on_duplicate="skip"
    )
    assert (skipped.outcome, skipped.matched_by) == ("skipped", "phone")


def test_api_changes_keep_the_masked_request_in_the_timeline(ws_a, alice, key_a):
    from leads.models import ApiKey

    key = ApiKey.objects.get(workspace=ws_a)
    actor = Actor(
        api_key=key,
        source="api",
        request=RequestMeta(method="POST", path="/api/v1/leads", ip="10.0.0.1", headers={"x": "1"}),
    )
    log = lead_create(workspace=ws_a, actor=actor, data={"first_name": "K"}).log
    assert (log.type, log.request_method, log.request_path, log.request_ip) == (
        "API_ACTIVITY",
        "POST",
        "/api/v1/leads",
        "10.0.0.1",
    )
    assert log.actor_label.startswith("API key A integration (lb_")
    assert log.lead.source == "api"
