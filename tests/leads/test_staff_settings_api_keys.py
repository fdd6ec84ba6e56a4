"""/settings/api-keys/: create with scopes (the secret shown once), list, revoke."""

import datetime
import re
import zoneinfo

from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog, ApiKey
from leads.services.api_keys import api_key_create, api_key_revoke

SECRET = re.compile(r'value="(lb_[0-9A-Za-z]{12}_[0-9A-Za-z]{36})"')


def create_key(client, **data):
    body = {"name": "Zapier", "scopes": ["leads:read", "leads:write"], "expires_on": ""}
    body.update(data)
    return client.post("/settings/api-keys/", body)


def api_create_lead(client, secret):
    return client.post(
        "/api/v1/leads",
        {"firstName": "Via", "lastName": "Key", "phoneNumber": "6782319992"},
        content_type="application/json",
        HTTP_X_API_KEY=secret,
    )


def test_a_new_key_is_shown_once_and_works_with_the_api(
    client, alice, ws_a, django_assert_max_num_queries
):
    client.force_login(alice.user)
    with django_assert_max_num_queries(12):
        response = create_key(client)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    secret = SECRET.search(response.text).group(1)
    assert 'data-copy="#new-secret"' in response.text
    key = ApiKey.objects.get(workspace=ws_a)
    assert (key.name, key.scopes, key.created_by) == (
        "Zapier",
        ["leads:read", "leads:write"],
        alice.user,
    )
    assert secret.startswith(key.display_prefix)
    assert api_create_lead(client, secret).status_code == 201
    # Listed afterwards with its last use, but the secret is never shown again.
    page = client.get("/settings/api-keys/").text
    assert secret not in page and key.display_prefix in page
    assert "Never" not in page and "now" in page
    log = ActionLog.objects.get(event="api_key_created")
    assert log.actor_user == alice.user and secret not in str(log.input)


def test_a_key_needs_a_name_and_a_scope_and_keeps_what_was_typed(client, alice):
    client.force_login(alice.user)
    response = create_key(client, name="", scopes=[])
    assert response.status_code == 200
    assert 'id="id_name_error">This field is required.' in response.text
    assert "Choose at least one scope." in response.text
    response = create_key(client, name="Half", scopes=["leads:read", "nonsense"])
    assert "Select a valid choice. nonsense is not one of the available choices." in response.text
    assert 'value="Half"' in response.text
    assert not ApiKey.objects.exists()


def test_an_expiry_day_ends_at_midnight_in_the_workspace_time_zone(client, alice):
    client.force_login(alice.user)
    zone = zoneinfo.ZoneInfo("America/New_York")
    day = timezone.localtime(timezone.now(), zone).date() + datetime.timedelta(days=30)
    create_key(client, expires_on=day.isoformat())
    key = ApiKey.objects.get()
    assert key.expires_at == datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    response = create_key(client, name="Old", expires_on="2020-01-01")
    assert "Choose today or a later day." in response.text
    assert ApiKey.objects.count() == 1


def test_a_revoked_key_is_refused_by_the_api_and_marked_revoked(client, alice, ws_a):
    key, secret = api_key_create(workspace=ws_a, name="Old integration")
    assert api_create_lead(client, secret).status_code == 201
    client.force_login(alice.user)
    response = client.post(f"/settings/api-keys/{key.pk}/revoke/")
    assert response["Location"] == "/settings/api-keys/"
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api_create_lead(client, secret).status_code == 401
    page = client.get("/settings/api-keys/").text
    assert "Revoked “Old integration”: requests with it are refused now." in page
    assert f"Revoked {key.revoked_at:%b} " in page
    client.post(f"/settings/api-keys/{key.pk}/revoke/")
    assert ActionLog.objects.filter(event="api_key_revoked").count() == 1
    assert "was already revoked" in client.get("/settings/api-keys/").text


def test_usable_keys_are_listed_before_revoked_ones(client, alice, ws_a, django_assert_num_queries):
    for n in range(4):
        key, _ = api_key_create(workspace=ws_a, name=f"Key {n}")
        if n % 2:
            api_key_revoke(key=key, actor=Actor.system())
    client.force_login(alice.user)
    with django_assert_num_queries(4):  # session, user, membership, keys
        page = client.get("/settings/api-keys/").text
    order = re.findall(r"<th scope=\"row\">(Key \d)", page)
    assert order == ["Key 2", "Key 0", "Key 3", "Key 1"]


def test_another_workspaces_keys_are_neither_listed_nor_revocable(client, alice, ws_b):
    theirs, _ = api_key_create(workspace=ws_b, name="Bravo key")
    client.force_login(alice.user)
    assert "Bravo key" not in client.get("/settings/api-keys/").text
    assert client.post(f"/settings/api-keys/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_expired_key_is_shown_as_expired(client, alice, ws_a):
    key, _ = api_key_create(
        workspace=ws_a, name="Stale", expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    client.force_login(alice.user)
    page = client.get("/settings/api-keys/").text
    row = page[page.index(f'id="key-{key.pk}"') :]
    assert row.index("Expired") < row.index("</tr>")
