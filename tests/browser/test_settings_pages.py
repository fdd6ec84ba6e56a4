"""The settings pages in a real browser: routing, API keys, webhooks, audit trail."""

import pytest
from playwright.sync_api import expect

from leads.actors import Actor
from leads.models import ApiKey, Lead
from leads.services.leads import lead_create
from tests.browser.conftest import endpoint_with_a_failed_delivery, sign_in
from tests.conftest import make_member, make_rotation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team_people(ws_a):
    return [make_member(ws_a, f"{n.lower()}@acme.test", "agent", n) for n in ("Ann", "Ben")]


def next_assignments(page, rotation):
    return page.locator(f"#rotation-{rotation.pk} .upcoming-list li")


def test_a_rotation_edit_changes_the_next_assignment(page, alice, ws_a, team_people, shot):
    ann, ben = team_people
    rotation = make_rotation(ws_a, [ann, ben])
    sign_in(page, "alice@acme.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Routing", exact=True)).to_be_visible()
    expect(next_assignments(page, rotation)).to_have_text(["Ann", "Ben", "Ann", "Ben", "Ann"])
    shot(page, "30-routing")

    # Ben goes first and takes two turns per cycle.
    page.get_by_role("link", name="default").click()
    page.get_by_label("Turns per cycle, row 2").fill("2")
    page.get_by_label("Order, row 1").fill("2")
    page.get_by_label("Order, row 2").fill("1")
    shot(page, "31-rotation-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the rotation “default”.")
    expect(next_assignments(page, rotation)).to_have_text(["Ben", "Ann", "Ben", "Ben", "Ann"])

    # Ben is out of office: in place, the preview skips him.
    page.get_by_role("button", name="Mark away: Ben").click()
    expect(page.locator(f"#rotation-{rotation.pk}")).to_contain_text("Ben is away")
    expect(next_assignments(page, rotation)).to_have_text(["Ann"] * 5)
    shot(page, "32-routing-away")

    lead = lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "New"}).lead
    assert lead.assignee == ann


def test_an_api_key_is_created_used_revoked_and_then_refused(page, alice, ws_a, shot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "alice@acme.test")
    page.goto(page.base + "/settings/api-keys/")
    page.get_by_label("Name").fill("Zapier")
    page.get_by_role("button", name="Create key").click()
    secret_box = page.get_by_label("The new API key")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert secret.startswith("lb_")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    shot(page, "33-api-key-created")

    body = {"firstName": "Via", "lastName": "Api", "phoneNumber": "6782319992"}
    created = page.request.post(
        page.base + "/api/v1/leads", data=body, headers={"x-api-key": secret}
    )
    assert created.status == 201
    assert Lead.objects.filter(workspace=ws_a, last_name="Api").exists()

    page.goto(page.base + "/settings/api-keys/")
    expect(page.locator("body")).not_to_contain_text(secret)
    page.get_by_text("Revoke…").click()
    page.get_by_role("button", name="Revoke “Zapier” for good").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked “Zapier”")
    shot(page, "34-api-key-revoked")
    assert ApiKey.objects.get(name="Zapier").revoked_at is not None

    refused = page.request.post(
        page.base + "/api/v1/leads", data=body, headers={"x-api-key": secret}
    )
    assert refused.status == 401


def test_the_webhook_and_audit_pages_show_deliveries_and_the_trail(
    page, alice, ws_a, settings, shot
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint_with_a_failed_delivery(ws_a, "http://127.0.0.1:9/hook")
    sign_in(page, "alice@acme.test")
    page.goto(page.base + "/settings/webhooks/")
    page.get_by_role("link", name="http://127.0.0.1:9/hook").click()
    page.get_by_text("Payload and response").click()
    expect(page.get_by_label("Payload sent")).to_contain_text('"type": "lead.created"')
    shot(page, "35-webhook-deliveries")
    page.get_by_role("button", name="Rotate the secret").click()
    expect(page.get_by_label("The new signing secret")).to_have_value(ws_a.webhooks.get().secret)

    page.get_by_role("link", name="Audit trail").click()
    expect(page.locator(".audit-table")).to_contain_text("Webhook secret rotated")
    page.get_by_label("Event").fill("webhook_secret_rotated")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".audit-table tbody tr")).to_have_count(1)
    shot(page, "36-audit")
