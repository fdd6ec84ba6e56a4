import io
import json

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Campaign
from checklists.models import ChecklistGroup
from leads.models import (
    ActionLog,
    ApiKey,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    RotationMember,
    Stage,
    Team,
    User,
    Workspace,
)
from leads.services.api_keys import api_key_create, api_key_verify


def run_json(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_seed_demo_prints_the_documented_json_contract():
    data = run_json("seed_demo")
    assert set(data) == {
        "workspace",
        "api_key",
        "owner",
        "teams",
        "campaign_id",
        "checklist_codes",
        "stage_slugs",
        "custom_field_slugs",
    }
    workspace = Workspace.objects.get(uuid=data["workspace"]["uuid"])
    assert data["workspace"] == {
        "uuid": str(workspace.uuid),
        "account_id": workspace.account_id,
        "name": "Demo Sales",
    }
    key = api_key_verify(data["api_key"])
    assert key.workspace == workspace and set(key.scopes) == set(ApiKey.Scope.values)
    teams = {t["name"]: t for t in data["teams"]}
    inbound = Team.objects.get(pk=teams["Inbound"]["id"], workspace=workspace)
    assert len(teams["Inbound"]["lead_source_ids"]) == 2
    assert set(teams["Inbound"]["lead_source_ids"]) == set(
        LeadSource.objects.filter(team=inbound).values_list("id", flat=True)
    )
    assert len(teams["Inbound"]["rotation_emails"]) == 3
    assert teams["Outbound"]["lead_source_ids"] == []
    assert Rotation.objects.get(team__name="Outbound", status="active").members.count() >= 1
    assert Rotation.objects.filter(workspace=workspace, name="default", team=None).exists()
    assert {"business_name", "legal_name", "tax_id"} <= set(data["checklist_codes"])
    assert len(data["stage_slugs"]) >= 5
    assert Stage.objects.filter(workspace=workspace).count() == len(data["stage_slugs"])
    assert Membership.objects.filter(workspace=workspace, is_active=True).count() >= 4


@pytest.mark.django_db
def test_the_demo_owner_can_sign_in_to_the_admin(client):
    data = run_json("seed_demo")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": data["owner"]["email"], "password": data["owner"]["password"]},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Leads" in page.text


@pytest.mark.django_db
def test_seed_demo_runs_again_without_duplicating_anything():
    first = run_json("seed_demo")
    counts = (Lead.objects.count(), Team.objects.count(), LeadSource.objects.count())
    second = run_json("seed_demo")
    assert second["workspace"] == first["workspace"]
    assert second["teams"] == first["teams"]
    assert (Lead.objects.count(), Team.objects.count(), LeadSource.objects.count()) == counts
    assert second["api_key"] != first["api_key"]


@pytest.mark.django_db
def test_seed_demo_seeds_an_independent_second_workspace():
    a = run_json("seed_demo")
    b = run_json("seed_demo", "--workspace", "Other Co")
    assert a["workspace"]["uuid"] != b["workspace"]["uuid"]
    assert api_key_verify(b["api_key"]).workspace.name == "Other Co"
    assert b["owner"]["email"] != a["owner"]["email"]


@pytest.mark.django_db
def test_create_api_key_prints_the_secret_once_with_its_scopes(ws_a):
    data = run_json(
        "create_api_key", "--workspace", ws_a.name, "--name", "CLI", "--scopes", "leads:read"
    )
    assert data["scopes"] == ["leads:read"]
    assert api_key_verify(data["api_key"]).name == "CLI"


def demo_workspace() -> Workspace:
    return Workspace.objects.get(name="Demo Sales")


@pytest.mark.django_db
def test_seed_demo_keeps_a_renamed_and_edited_rotation():
    run_json("seed_demo")
    inbound = Team.objects.get(workspace=demo_workspace(), name="Inbound")
    rotation = inbound.rotations.get(status="active")
    rotation.name = "Front desk"
    rotation.save()
    first, second, third = rotation.members.order_by("order")
    first.is_active = False
    second.weight = 3
    first.save()
    second.save()
    dan = Membership.objects.get(workspace=demo_workspace(), user__email__startswith="dan@")
    RotationMember.objects.create(
        workspace=demo_workspace(), rotation=rotation, membership=dan, order=3
    )

    data = run_json("seed_demo")

    rotation.refresh_from_db()
    assert rotation.name == "Front desk" and rotation.status == "active"
    assert inbound.rotations.count() == 1
    assert list(rotation.members.order_by("order").values_list("is_active", "weight")) == [
        (False, 1),
        (True, 3),
        (True, 1),
        (True, 1),
    ]
    inbound_json = next(t for t in data["teams"] if t["name"] == "Inbound")
    assert inbound_json["rotation_emails"] == [
        second.membership.user.email,
        third.membership.user.email,
        dan.user.email,
    ]


@pytest.mark.django_db
def test_seed_demo_runs_again_when_campaign_and_checklist_group_names_repeat():
    first = run_json("seed_demo")
    workspace = demo_workspace()
    original = Campaign.objects.get(pk=first["campaign_id"])
    Campaign.objects.create(workspace=workspace, name=original.name, timezone=original.timezone)
    ChecklistGroup.objects.create(workspace=workspace, name="Business Information", position=9)

    second = run_json("seed_demo")

    assert second["campaign_id"] == original.pk
    assert Campaign.objects.filter(workspace=workspace, name=original.name).count() == 2
    assert ChecklistGroup.objects.filter(workspace=workspace).count() == 3
    assert second["checklist_codes"] == first["checklist_codes"]


@pytest.mark.django_db
def test_seed_demo_leaves_a_changed_password_and_deactivated_member_alone(client):
    first = run_json("seed_demo")
    owner = User.objects.get(email=first["owner"]["email"])
    owner.set_password("my-own-secret-phrase")
    owner.save()
    vic = Membership.objects.get(workspace=demo_workspace(), user__email__startswith="vic@")
    vic.is_active = False
    vic.role = Membership.Role.AGENT
    vic.save()

    second = run_json("seed_demo")

    assert second["owner"] == {"email": owner.email, "password": None}
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": owner.email, "password": "my-own-secret-phrase"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    vic.refresh_from_db()
    assert (vic.is_active, vic.role) == (False, Membership.Role.AGENT)


@pytest.mark.django_db
def test_seed_demo_sets_demo_password_only_on_users_it_creates(monkeypatch):
    run_json("seed_demo")
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-phrase")
    again = run_json("seed_demo")
    other = run_json("seed_demo", "--workspace", "Other Co")
    assert again["owner"]["password"] is None  # still the first run's password
    assert User.objects.get(email=again["owner"]["email"]).check_password("leadbook-demo-pass")
    assert other["owner"]["password"] == "another-demo-phrase"
    assert User.objects.get(email=other["owner"]["email"]).check_password("another-demo-phrase")


@pytest.mark.django_db
def test_seed_demo_revokes_the_demo_key_of_the_run_before(ws_a):
    first = run_json("seed_demo")
    workspace = demo_workspace()
    own_secret = api_key_create(workspace=workspace, name="My integration")[1]

    second = run_json("seed_demo")

    assert api_key_verify(first["api_key"]) is None
    assert api_key_verify(second["api_key"]).name == "Demo key (seed_demo)"
    assert api_key_verify(own_secret) is not None
    assert workspace.api_keys.filter(revoked_at__isnull=True).count() == 2
    audit = ActionLog.objects.filter(workspace=workspace, type=ActionLog.Type.SETTINGS)
    assert list(audit.order_by("id").values_list("event", flat=True)) == [
        "api_key_created",
        "api_key_revoked",
        "api_key_created",
    ]
    assert audit.first().actor_label == f"command line ({first['owner']['email']})"


@pytest.mark.django_db
def test_seed_demo_prints_the_address_make_run_serves_on(monkeypatch):
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9000")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Sign in at http://127.0.0.1:9000/accounts/login/ as owner@demo-sales" in out.getvalue()
    out = io.StringIO()
    call_command("seed_demo", "--url", "https://crm.example.com/", stdout=out)
    assert "Sign in at https://crm.example.com/accounts/login/ " in out.getvalue()


@pytest.mark.django_db
def test_create_api_key_refuses_an_empty_scope_list(ws_a):
    with pytest.raises(CommandError, match="at least one scope"):
        call_command(
            "create_api_key",
            "--workspace",
            ws_a.name,
            "--name",
            "CLI",
            "--scopes",
            "",
            stdout=io.StringIO(),
        )
    assert not ApiKey.objects.filter(workspace=ws_a).exists()


@pytest.mark.django_db
def test_a_key_made_on_the_command_line_is_in_the_audit_trail(ws_a):
    data = run_json("create_api_key", "--workspace", ws_a.name, "--name", "CLI")
    entry = ActionLog.objects.get(workspace=ws_a, type=ActionLog.Type.SETTINGS)
    key = api_key_verify(data["api_key"])
    assert (entry.event, entry.actor_label) == ("api_key_created", "command line")
    assert entry.input["apiKey"] == key.display_prefix and data["api_key"] not in str(entry.input)
