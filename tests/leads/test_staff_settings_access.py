"""Who may open the settings pages: owners and admins; everyone else 403; another
workspace's objects 404."""

import pytest

from leads.actors import Actor
from leads.models import LeadSource, Membership, Team, WebhookDelivery
from leads.services.api_keys import api_key_create
from leads.services.webhooks import webhook_endpoint_create
from tests.conftest import make_member, make_rotation

SETTINGS_PAGES = [
    "/settings/routing/",
    "/settings/routing/teams/new/",
    "/settings/routing/sources/new/",
    "/settings/routing/rotations/new/",
    "/settings/api-keys/",
    "/settings/webhooks/",
    "/settings/audit/",
    "/settings/audit/export.csv",
]


@pytest.fixture
def admin(ws_a):
    return make_member(ws_a, "adam@acme.test", Membership.Role.ADMIN, "Adam Admin")


@pytest.fixture
def objects_a(ws_a, alice, settings):
    """One of every settings object in workspace A."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    team = Team.objects.create(workspace=ws_a, name="East")
    source = LeadSource.objects.create(workspace=ws_a, name="Web")
    rotation = make_rotation(ws_a, [alice])
    key, _ = api_key_create(workspace=ws_a, name="Zap")
    endpoint, _ = webhook_endpoint_create(
        workspace=ws_a, actor=Actor.system(), url="http://127.0.0.1:9/hook"
    )
    delivery = WebhookDelivery.objects.create(
        workspace=ws_a, endpoint=endpoint, event_type="lead.created", body="{}"
    )
    return {
        "team": team.pk,
        "source": source.pk,
        "rotation": rotation.pk,
        "seat": rotation.members.get().pk,
        "key": key.pk,
        "endpoint": endpoint.pk,
        "delivery": delivery.pk,
    }


# url, method: every object URL of workspace A.
OBJECT_URLS = [
    ("/settings/routing/teams/{team}/", "get"),
    ("/settings/routing/teams/{team}/", "post"),
    ("/settings/routing/sources/{source}/", "get"),
    ("/settings/routing/sources/{source}/", "post"),
    ("/settings/routing/rotations/{rotation}/", "get"),
    ("/settings/routing/rotations/{rotation}/", "post"),
    ("/settings/routing/rotations/{rotation}/seats/{seat}/availability/", "post"),
    ("/settings/api-keys/{key}/revoke/", "post"),
    ("/settings/webhooks/{endpoint}/", "get"),
    ("/settings/webhooks/{endpoint}/", "post"),
    ("/settings/webhooks/{endpoint}/rotate-secret/", "post"),
    ("/settings/webhooks/{endpoint}/delete/", "post"),
    ("/settings/webhooks/{endpoint}/deliveries/{delivery}/redeliver/", "post"),
]


@pytest.mark.parametrize("url", SETTINGS_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", SETTINGS_PAGES)
def test_owners_and_admins_open_the_settings_pages_and_no_one_else(
    client, alice, admin, mia, bob, carol, url
):
    for member, status in ((alice, 200), (admin, 200), (mia, 403), (bob, 403), (carol, 403)):
        client.force_login(member.user)
        response = client.get(url)
        assert response.status_code == status, (member.role, url, response.status_code)


@pytest.mark.parametrize(("url", "method"), OBJECT_URLS)
def test_settings_objects_are_refused_to_other_roles_and_unknown_to_other_workspaces(
    client, objects_a, mia, bob, carol, dave, url, method
):
    target = url.format(**objects_a)
    for member, status in ((mia, 403), (bob, 403), (carol, 403), (dave, 404)):
        client.force_login(member.user)
        response = getattr(client, method)(target)
        assert response.status_code == status, (member.role, target, response.status_code)


def test_nothing_changed_after_the_refused_requests(client, objects_a, mia, dave):
    for member in (mia, dave):
        client.force_login(member.user)
        for url, method in OBJECT_URLS:
            if method == "post":
                client.post(url.format(**objects_a), {"name": "Hijacked", "taking_leads": "false"})
    assert Team.objects.get(pk=objects_a["team"]).name == "East"
    from leads.models import ApiKey, RotationMember, WebhookEndpoint

    assert ApiKey.objects.get(pk=objects_a["key"]).revoked_at is None
    assert RotationMember.objects.get(pk=objects_a["seat"]).is_active
    assert WebhookEndpoint.objects.get(pk=objects_a["endpoint"]).deleted_at is None


def test_only_owners_and_admins_see_the_settings_link(client, alice, admin, mia, bob):
    for member, shown in ((alice, True), (admin, True), (mia, False), (bob, False)):
        client.force_login(member.user)
        page = client.get("/").text
        assert ('href="/settings/routing/"' in page) is shown, member.role
