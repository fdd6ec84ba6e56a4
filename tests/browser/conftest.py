"""Playwright (Python) driving Debian's Chromium against pytest-django's live server.

`make test` installs Chromium when it is missing; without it these tests are skipped with
a loud message. Each test writes screenshots under artifacts/screenshots/ (git-ignored)."""

import datetime
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from leads.actors import Actor
from leads.models import WebhookDelivery, WebhookEndpoint, Workspace
from leads.services.webhooks import webhook_endpoint_create
from tests.leads.conftest import make_lead  # noqa: F401  (shared fixture)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up and check data are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (make test installs it)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not Path(CHROMIUM).exists():
        terminalreporter.write_sep(
            "!", f"browser tests SKIPPED: no Chromium at {CHROMIUM}", red=True
        )


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser context; fails the test on any CSP violation or script error."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.base = live_server.url
    yield page
    context.close()
    assert problems == [], problems


@pytest.fixture
def shot():
    """shot(page, name): a full-page screenshot under artifacts/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        # caret="initial": hiding the caret leaves style="" on every input, which htmx
        # then copies while settling a swap, and our CSP rightly blocks.
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, caret="initial")

    return take


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(page.base + "/")


def endpoint_with_a_failed_delivery(workspace: Workspace, url: str) -> WebhookEndpoint:
    """A webhook endpoint (at a private address: allow those in settings first) whose
    one delivery, three minutes ago, failed six times with a 502."""
    endpoint, _ = webhook_endpoint_create(workspace=workspace, actor=Actor.system(), url=url)
    WebhookDelivery.objects.create(
        workspace=workspace,
        endpoint=endpoint,
        event_type="lead.created",
        body='{"type": "lead.created", "data": {"id": 1}}',
        status="failed",
        attempts=6,
        last_status_code=502,
        last_error="HTTP 502",
        created_at=timezone.now() - datetime.timedelta(minutes=3),
    )
    return endpoint
