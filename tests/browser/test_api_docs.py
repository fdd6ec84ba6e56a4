"""The API docs pages in a real browser, under the site's Content Security Policy and with
nothing fetched from another origin."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# ReDoc's sidebar always asks cdn.redoc.ly for the Redocly logo; the CSP refuses it (the
# page stays offline) and ReDoc hides the image. It is the one refusal expected here.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def docs_page(browser, live_server) -> Iterator:
    """A page that records CSP refusals, script errors and anything fetched from another
    origin (a refused request fails, it does not finish)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            page.problems.append(message.text)
            if "Content Security Policy" in message.text and REDOCLY_LOGO not in message.text
            else None
        ),
    )
    page.on(
        "requestfinished",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else page.problems.append(f"fetched {request.url}")
        ),
    )
    page.base = live_server.url
    yield page
    context.close()


def operation_count(page) -> int:
    schema = page.request.get(page.base + "/api/schema/?format=json").json()
    return sum(len(operations) for operations in schema["paths"].values())


def test_swagger_ui_renders_every_operation(docs_page, shot):
    page = docs_page
    page.goto(page.base + "/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    expect(operations).to_have_count(operation_count(page))
    expect(
        page.locator(".opblock-summary-path", has_text="/api/agents/crm/leads/bulk")
    ).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Failed to load API definition")
    shot(page, "90-api-docs-swagger")
    assert page.problems == []


def test_redoc_renders_every_operation_offline(docs_page, shot):
    page = docs_page
    page.goto(page.base + "/api/redoc/")
    operations = page.locator("[data-section-id^='operation/']")
    expect(operations.first).to_be_attached(timeout=30_000)  # ReDoc parses 1 MB of JS first
    expect(operations).to_have_count(operation_count(page))
    expect(page.get_by_role("heading", name="Create (or merge) a single lead")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Something went wrong")
    shot(page, "91-api-docs-redoc")
    assert page.problems == []
