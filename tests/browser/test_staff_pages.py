"""The staff pages in a real browser: sign in, create, find, move, merge, read-only, focus."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead, Stage
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stages(ws_a):
    return [
        Stage.objects.create(workspace=ws_a, slug=slug, name=name, position=i, color=color)
        for i, (slug, name, color) in enumerate(
            [
                ("new", "New", "#2563eb"),
                ("contacted", "Contacted", "#0891b2"),
                ("won", "Won", "#16a34a"),
            ]
        )
    ]


def test_a_member_signs_in_and_sees_the_dashboard(page, alice, shot):
    page.goto(page.base + "/leads/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/leads/"))
    shot(page, "01-login")
    page.get_by_label("Email").fill("alice@acme.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("Email")).to_have_value("alice@acme.test")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(page.base + "/leads/")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shot(page, "02-dashboard")


def test_a_lead_created_through_the_form_is_found_by_its_phone_in_another_format(
    page, alice, stages, shot
):
    sign_in(page, "alice@acme.test")
    page.get_by_role("link", name="New lead").first.click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Create lead").click()
    # The error comes back beside the field (htmx swap) and nothing typed is lost.
    expect(page.locator("#id_phone_error")).to_contain_text("not a valid phone number")
    expect(page.get_by_label("First name")).to_have_value("Grace")
    shot(page, "03-new-lead-error")
    page.get_by_label("Phone").fill("(678) 231-9992")
    page.get_by_label("Email").fill("grace@navy.test")
    page.get_by_role("button", name="Create lead").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator(".lead-contact")).to_contain_text("+16782319992")
    shot(page, "04-lead-detail")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_label("Search").fill("678.231.9992")
    expect(page.locator(".result-count")).to_contain_text("1 lead")
    expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=678.231.9992"))
    shot(page, "05-lead-list-search")


def test_a_lead_moves_on_the_board_by_keyboard_and_by_drag(page, alice, stages, make_lead, shot):
    lead = make_lead(first_name="Mover", stage=stages[0])
    sign_in(page, "alice@acme.test")
    page.goto(page.base + "/pipeline/")
    card = page.locator(f'.card[data-lead="{lead.pk}"]')
    card.focus()
    page.keyboard.press("ArrowRight")
    moved = page.locator(f'.column[data-stage="{stages[1].pk}"] .card[data-lead="{lead.pk}"]')
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()
    expect(page.locator("#board-status")).to_have_text("Moved Mover to Contacted.")
    lead.refresh_from_db()
    assert lead.stage == stages[1]

    moved.drag_to(page.locator(f'.column[data-stage="{stages[2].pk}"]'))
    expect(
        page.locator(f'.column[data-stage="{stages[2].pk}"] .card[data-lead="{lead.pk}"]')
    ).to_be_visible()
    lead.refresh_from_db()
    assert lead.stage == stages[2]
    expect(page.locator(f'.column[data-stage="{stages[2].pk}"] .count')).to_have_text("1 lead")
    shot(page, "06-pipeline")


def test_two_matching_leads_are_merged(page, alice, make_lead, shot):
    keep = make_lead(first_name="Ada", email="ada@engines.test")
    dupe = make_lead(
        first_name="Ada",
        last_name="Lovelace",
        email="ADA@engines.test",
        company="Analytical Engines",
    )
    sign_in(page, "alice@acme.test")
    page.goto(page.base + f"/leads/{keep.pk}/")
    page.get_by_role("link", name="Merge into this lead…").click()
    expect(page.get_by_role("heading", name=f"Merge #{dupe.pk} into #{keep.pk}")).to_be_visible()
    shot(page, "07-merge-choose")
    page.get_by_role("button", name="Review the merge").click()
    expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    shot(page, "08-merge-review")
    page.get_by_role("button", name="Merge the leads").click()
    expect(page.get_by_role("status")).to_contain_text(f"Merged lead #{dupe.pk}")
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    shot(page, "09-merged")
    dupe.refresh_from_db()
    assert dupe.merged_into_id == keep.pk
    assert Lead.objects.get(pk=keep.pk).company == "Analytical Engines"


def test_a_viewer_reads_but_cannot_edit(page, carol, stages, make_lead, shot):
    lead = make_lead(first_name="Read", last_name="Only", stage=stages[0])
    sign_in(page, "carol@acme.test")
    page.goto(page.base + f"/leads/{lead.pk}/")
    expect(page.get_by_role("heading", name="Read Only")).to_be_visible()
    expect(page.get_by_text("your role cannot change it")).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_role("button", name="Change stage")).to_have_count(0)
    expect(page.get_by_role("link", name="New lead")).to_have_count(0)
    shot(page, "10-viewer-lead")
    page.goto(page.base + "/pipeline/")
    expect(page.locator('.card[draggable="true"]')).to_have_count(0)
    page.goto(page.base + "/leads/new/")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def outline_colour(page, locator) -> str:
    locator.focus()
    return locator.evaluate("element => getComputedStyle(element).outlineColor")


def test_the_focus_ring_takes_the_shade_of_its_surface(page, alice):
    sign_in(page, "alice@acme.test")
    page.keyboard.press("Tab")  # from here on focus is shown as for a keyboard user
    nav = page.get_by_role("navigation", name="Main")
    # Bright amber on the dark top bar, dark amber on the light page (stylesheet values).
    assert outline_colour(page, nav.get_by_role("link", name="Leads")) == "rgb(245, 158, 11)"
    assert outline_colour(page, page.locator("main a").first) == "rgb(180, 83, 9)"
