import pytest

from leads.actors import Actor
from leads.models import Lead
from leads.services.leads import lead_create


@pytest.fixture
def staff_alice(alice):
    alice.user.is_staff = True
    alice.user.save()
    return alice


@pytest.fixture
def staff_dave(dave):
    dave.user.is_staff = True
    dave.user.save()
    return dave


def test_an_owner_sees_only_their_workspace_in_the_admin(
    client, staff_alice, staff_dave, ws_a, ws_b
):
    lead_a = lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "Alpha"}).lead
    lead_b = lead_create(workspace=ws_b, actor=Actor.system(), data={"first_name": "Bravo"}).lead
    client.force_login(staff_dave.user)
    page = client.get("/admin/leads/lead/")
    assert page.status_code == 200
    assert "Bravo" in page.text and "Alpha" not in page.text
    assert client.get(f"/admin/leads/lead/{lead_a.pk}/change/").status_code == 302
    assert client.get(f"/admin/leads/lead/{lead_b.pk}/change/").status_code == 200


def test_an_agent_without_staff_rights_cannot_open_the_admin(client, bob):
    client.force_login(bob.user)
    assert client.get("/admin/leads/lead/").status_code == 302


def test_a_foreign_key_into_another_workspace_is_refused(client, staff_alice, ws_a, ws_b, dave):
    client.force_login(staff_alice.user)
    lead = lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "Alpha"}).lead
    response = client.post(
        f"/admin/leads/lead/{lead.pk}/change/",
        {
            "workspace": ws_a.pk,
            "first_name": "Alpha",
            "assignee": dave.pk,
            "status": "in_progress",
            "assignee_type": "HUMAN_AGENT",
            "interaction_count": 0,
            "custom_fields": "{}",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    lead.refresh_from_db()
    assert lead.assignee is None


def test_the_lead_changelist_does_not_count_the_whole_table(
    client, staff_alice, ws_a, django_assert_max_num_queries
):
    for i in range(30):
        Lead.objects.create(workspace=ws_a, first_name=f"L{i}")
    client.force_login(staff_alice.user)
    with django_assert_max_num_queries(12):
        page = client.get("/admin/leads/lead/")
    assert page.status_code == 200
    assert "L29" in page.text
