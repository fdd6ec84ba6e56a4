import io
import json

import pytest
from django.core.management import CommandError, call_command

from leads.models import (
    ActionLog,
    ApiKey,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    Stage,
    Team,
    Workspace,
)
from leads.services.api_keys import api_key_verify


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
