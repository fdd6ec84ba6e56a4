"""The checklist services as the staff pages will call them, and the admin."""

import pytest
from django.core.exceptions import ValidationError

from checklists.models import ChecklistGroup, ChecklistItem, LeadChecklistItem
from checklists.services import (
    LeadChecklist,
    checklist_item_add,
    lead_create_with_checklist,
    lead_status_set,
    lead_update_with_checklist,
)
from leads.models import ActionLog, Lead, WebhookDelivery, WebhookEndpoint
from tests.api.omni.conftest import make_checklist


@pytest.fixture
def onboarding(ws_a):
    return make_checklist(
        ws_a,
        [
            (
                "Company",
                [
                    ("ein", "EIN", "EIN", True, {}),
                    (
                        "owner_ssn_last4",
                        "Owner SSN",
                        "TEXT",
                        True,
                        {
                            "conditions": {
                                "properties": {"company": {"const": "Solo"}},
                                "required": ["company"],
                            }
                        },
                    ),
                ],
                None,
            ),
            (
                "Canada",
                [("gst", "GST number", "TEXT", True, {})],
                {"properties": {"tags": {"contains": {"const": "canada"}}}},
            ),
        ],
    )


def codes(checklist: LeadChecklist) -> list[str]:
    return [e.item.code for e in checklist.entries()]


def test_conditions_read_lead_fields_tags_and_checklist_values(ws_a, actor_a, onboarding):
    plain = lead_create_with_checklist(workspace=ws_a, actor=actor_a, data={"first_name": "P"})
    solo = lead_create_with_checklist(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "S", "company": "Solo", "tags": ["Canada"]},
    )
    assert codes(LeadChecklist.load(plain.lead)) == ["ein"]
    assert codes(LeadChecklist.load(solo.lead)) == ["ein", "owner_ssn_last4", "gst"]
    tagged = lead_create_with_checklist(
        workspace=ws_a, actor=actor_a, data={"first_name": "T", "tags": ["CANADA"]}
    )
    assert codes(LeadChecklist.load(tagged.lead)) == ["ein", "gst"]


def test_an_inapplicable_item_does_not_count_for_completion(ws_a, actor_a, onboarding):
    write = lead_create_with_checklist(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "P"},
        checklist_updates=[{"code": "ein", "value": "12-3456789"}],
    )
    assert write.completed is True
    assert Lead.objects.get().completed_at is not None
    assert write.write.log.input["leadCompleted"] is True


def test_a_lead_with_nothing_required_is_never_complete(ws_a, actor_a):
    ChecklistItem.objects.create(workspace=ws_a, code="notes", label="Notes", is_required=False)
    write = lead_create_with_checklist(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "N"},
        checklist_updates=[{"code": "notes", "value": "hello"}],
    )
    assert write.completed is False and write.lead.completed_at is None


def test_completion_is_stamped_once_and_kept_when_the_lead_reopens(ws_a, actor_a, onboarding):
    WebhookEndpoint.objects.create(
        workspace=ws_a, url="https://h.example.com", event_types=["lead.completed"], secret="s"
    )
    lead = lead_create_with_checklist(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "P"},
        checklist_updates=[{"code": "ein", "value": "12-3456789"}],
    ).lead
    first = Lead.objects.get().completed_at
    lead_update_with_checklist(
        lead=lead, actor=actor_a, data={}, checklist_updates=[{"code": "ein", "status": "TODO"}]
    )
    again = lead_update_with_checklist(
        lead=lead,
        actor=actor_a,
        data={},
        checklist_updates=[{"code": "ein", "status": "COMPLETED"}],
    )
    assert again.completed is False
    assert Lead.objects.get().completed_at == first
    assert WebhookDelivery.objects.filter(event_type="lead.completed").count() == 1


def test_the_staff_status_change_has_the_same_checklist_side_effects(ws_a, actor_a, onboarding):
    lead = lead_create_with_checklist(workspace=ws_a, actor=actor_a, data={"first_name": "P"}).lead

    lead_status_set(lead=lead, actor=actor_a, status=Lead.Status.COMPLETED)

    row = LeadChecklistItem.objects.get(item__code="ein")
    assert (row.status, row.auto_skipped) == ("SKIPPED", True)
    log = ActionLog.objects.filter(lead=lead).first()
    assert log.type == "MANUAL_UPDATE" and log.input["autoSkipped"] == ["ein"]
    assert log.input["leadUpdates"] == {"status": "completed"}

    lead_status_set(lead=lead, actor=actor_a, status=Lead.Status.IN_PROGRESS)

    row.refresh_from_db()
    assert (row.status, row.auto_skipped) == ("TODO", False)
    assert Lead.objects.get().status == Lead.Status.IN_PROGRESS


def test_unknown_codes_are_listed_together(ws_a, actor_a, onboarding):
    with pytest.raises(ValidationError) as err:
        lead_create_with_checklist(
            workspace=ws_a,
            actor=actor_a,
            data={"first_name": "U"},
            checklist_updates=[{"code": "zzz"}, {"code": "aaa"}, {"status": "TODO"}],
        )
    messages = err.value.message_dict["checklist_items"]
    assert "Item 2: code is required." in messages
    assert "Unknown checklist item code: “aaa”, “zzz”." in messages
    assert not Lead.objects.exists()


def test_one_off_codes_stay_unique_in_the_workspace(ws_a, actor_a):
    lead = lead_create_with_checklist(workspace=ws_a, actor=actor_a, data={"first_name": "O"}).lead
    ChecklistItem.objects.create(workspace=ws_a, code="W_9_FORM", label="W-9")
    item = checklist_item_add(lead=lead, actor=actor_a, label="W-9 form", field_type="FILE")
    assert item.code == "W_9_FORM_2" and item.lead == lead and item.group is None
    with pytest.raises(ValidationError):
        checklist_item_add(
            lead=lead, actor=actor_a, label="Again", field_type="TEXT", code="W_9_FORM"
        )


# --- admin --------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, alice):
    alice.user.is_staff = True
    alice.user.save()
    client.force_login(alice.user)
    return client


def inline_form(ws, **group):
    data = {
        "workspace": ws.pk,
        "name": "Docs",
        "position": 0,
        "conditions": "null",
        "items-TOTAL_FORMS": 1,
        "items-INITIAL_FORMS": 0,
        "items-0-position": 0,
        "items-0-code": "license",
        "items-0-label": "License",
        "items-0-field_type": "TEXT",
        "items-0-is_required": "on",
        "items-0-config": "null",
        "items-0-conditions": "null",
        "items-0-validation_rules": "null",
        "items-0-client_instructions": "",
    }
    data.update(group)
    return data


def test_the_admin_saves_a_group_with_its_items_inline(staff_client, ws_a):
    response = staff_client.post("/admin/checklists/checklistgroup/add/", inline_form(ws_a))
    assert response.status_code == 302, response.content
    item = ChecklistItem.objects.get(code="license")
    assert item.workspace == ws_a and item.group == ChecklistGroup.objects.get(name="Docs")


def test_the_admin_refuses_a_broken_schema_or_config(staff_client, ws_a):
    for extra in (
        {"items-0-validation_rules": '{"type": "nonsense"}'},
        {"items-0-field_type": "SELECT"},
        {"conditions": '{"required": "not-a-list"}'},
    ):
        response = staff_client.post(
            "/admin/checklists/checklistgroup/add/", inline_form(ws_a, **extra)
        )
        assert response.status_code == 200, extra
        assert "errorlist" in response.text
    assert not ChecklistGroup.objects.exists()


def test_the_admin_refuses_an_inline_code_already_used_in_the_workspace(staff_client, ws_a):
    ChecklistItem.objects.create(workspace=ws_a, code="license", label="Old license")
    response = staff_client.post("/admin/checklists/checklistgroup/add/", inline_form(ws_a))
    assert response.status_code == 200
    assert "“license” is already used in this workspace" in response.text
    assert not ChecklistGroup.objects.exists()
    assert ChecklistItem.objects.count() == 1


def test_the_admin_refuses_two_inline_rows_with_one_code(staff_client, ws_a):
    second = {
        "items-TOTAL_FORMS": 2,
        "items-1-position": 1,
        "items-1-code": "license",
        "items-1-label": "License again",
        "items-1-field_type": "TEXT",
        "items-1-config": "null",
        "items-1-conditions": "null",
        "items-1-validation_rules": "null",
        "items-1-client_instructions": "",
    }
    response = staff_client.post(
        "/admin/checklists/checklistgroup/add/", inline_form(ws_a, **second)
    )
    assert response.status_code == 200
    assert "“license” is already the code of another row here" in response.text
    assert not ChecklistItem.objects.exists()


def test_the_admin_lets_a_row_keep_its_code_and_another_workspace_use_it(staff_client, ws_a, ws_b):
    ChecklistItem.objects.create(workspace=ws_b, code="license", label="B's license")
    staff_client.post("/admin/checklists/checklistgroup/add/", inline_form(ws_a))
    group = ChecklistGroup.objects.get(workspace=ws_a)
    item = ChecklistItem.objects.get(workspace=ws_a)
    edit = inline_form(
        ws_a,
        **{
            "name": "Documents",
            "items-INITIAL_FORMS": 1,
            "items-0-id": item.pk,
            "items-0-group": group.pk,
            "items-0-label": "Driver's license",
        },
    )
    response = staff_client.post(f"/admin/checklists/checklistgroup/{group.pk}/change/", edit)
    assert response.status_code == 302, response.content
    item.refresh_from_db()
    assert (item.code, item.label) == ("license", "Driver's license")
