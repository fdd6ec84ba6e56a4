"""Creating a lead on someone's behalf, and deleting one while keeping its timeline."""

from leads.models import ActionLog, Lead
from leads.services.leads import lead_create, lead_delete


def test_a_lead_can_be_created_on_behalf_of_another_member(ws_a, actor_a, bob):
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "L"}, created_by=bob.user
    ).lead
    assert lead.created_by == bob.user


def test_deleting_a_lead_keeps_its_timeline_and_closes_it(ws_a, actor_a):
    lead = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "Gone"}).lead
    pk = lead.pk
    log = lead_delete(lead=lead, actor=actor_a)
    assert not Lead.objects.filter(pk=pk).exists()
    kept = ActionLog.objects.filter(lead_pk=pk).order_by("id")
    assert [e.event for e in kept] == ["lead_created", "lead_deleted"]
    assert all(e.lead_id is None for e in kept)
    assert log.input["name"] == "Gone"
