import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign
from leads.actors import Actor
from leads.admin_base import WorkspaceFormMixin
from leads.models import Lead, LeadSource, Membership, Rotation, Team, User
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


def lead_counts(queries: CaptureQueriesContext) -> list[str]:
    """The COUNT queries over the lead table that are not capped by a LIMIT."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and '"leads_lead"' in q["sql"] and "LIMIT" not in q["sql"]
    ]


def test_the_lead_changelist_does_not_count_the_whole_table(client, staff_alice, ws_a):
    for i in range(30):
        Lead.objects.create(workspace=ws_a, first_name=f"L{i}")
    client.force_login(staff_alice.user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/leads/lead/")
    assert page.status_code == 200
    assert "L29" in page.text
    assert lead_counts(queries) == []


def test_a_superusers_lead_changelist_reads_the_newest_leads_from_the_primary_key(
    client, ws_a, ws_b
):
    root = User.objects.create_superuser(email="root@ops.test", password="x")
    older = Lead.objects.create(workspace=ws_a, first_name="Older")
    newer = Lead.objects.create(workspace=ws_b, first_name="Newer")
    client.force_login(root)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/leads/lead/")
    assert page.text.index(f"/admin/leads/lead/{newer.pk}/change/") < page.text.index(
        f"/admin/leads/lead/{older.pk}/change/"
    )
    page_query = next(
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "leads_lead"."id", "leads_lead"."created_at"')
    )
    # Nothing but the primary key to order by: no sort over every workspace's leads.
    assert page_query.split(" ORDER BY ")[1].split(" LIMIT ")[0] == '"leads_lead"."id" DESC'
    assert lead_counts(queries) == []


@pytest.fixture
def a_rows(ws_a, alice):
    """One row of each model with a user foreign key in workspace A, made by alice."""
    team = Team.objects.create(workspace=ws_a, name="Inbound", created_by=alice.user)
    return {
        "lead": Lead.objects.create(workspace=ws_a, first_name="Alpha", created_by=alice.user),
        "team": team,
        "leadsource": LeadSource.objects.create(
            workspace=ws_a, team=team, name="Web", created_by=alice.user
        ),
        "rotation": Rotation.objects.create(
            workspace=ws_a, team=team, name="Inbound", created_by=alice.user
        ),
        "campaign": Campaign.objects.create(
            workspace=ws_a, name="Spring", timezone="UTC", created_by=alice.user
        ),
    }


@pytest.mark.parametrize(
    "path",
    ["leads/lead", "leads/team", "leads/leadsource", "leads/rotation", "campaigns/campaign"],
)
def test_an_owners_admin_forms_show_no_user_of_another_workspace(
    client, staff_alice, staff_dave, a_rows, path
):
    User.objects.create_user(email="loner@elsewhere.test", password="x")
    client.force_login(staff_alice.user)
    obj = a_rows[path.split("/")[1]]
    for url in (f"/admin/{path}/add/", f"/admin/{path}/{obj.pk}/change/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "dave@bravo.test" not in page.text, url
        assert "loner@elsewhere.test" not in page.text, url


def test_the_admin_records_who_created_and_changed_a_team(client, staff_alice, ws_a):
    client.force_login(staff_alice.user)
    response = client.post(
        "/admin/leads/team/add/",
        {
            "workspace": ws_a.pk,
            "name": "Closers",
            "is_active": "on",
            "lead_sources-TOTAL_FORMS": 0,
            "lead_sources-INITIAL_FORMS": 0,
            "created_by": staff_alice.user.pk,
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Closers")
    assert (team.created_by, team.updated_by) == (staff_alice.user, staff_alice.user)


def test_an_owner_cannot_add_another_workspaces_user_as_a_member(client, staff_alice, ws_a, dave):
    client.force_login(staff_alice.user)
    response = client.post(
        "/admin/leads/membership/add/",
        {"workspace": ws_a.pk, "user": dave.user.pk, "role": "agent", "is_active": "on"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Membership.objects.filter(workspace=ws_a, user=dave.user).exists()


def test_an_admin_form_refuses_a_user_outside_the_workspace(ws_a, alice, dave):
    class RotationForm(WorkspaceFormMixin):
        class Meta:
            model = Rotation
            fields = ["workspace", "name", "status", "position", "created_by"]

    data = {"workspace": ws_a.pk, "name": "R", "status": "active", "position": 0}
    outsider = RotationForm(data={**data, "created_by": dave.user.pk})
    member = RotationForm(data={**data, "created_by": alice.user.pk})
    assert outsider.errors == {"created_by": ["Pick a member of this workspace."]}
    assert member.is_valid()
