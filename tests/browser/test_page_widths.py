"""Every staff page at a laptop's width (1366 px) and a phone's (390 px): it loads, the
page does not scroll sideways, nothing sticks out past its margin, and a screenshot of
each is written for people to look at (artifacts/screenshots/, git-ignored). One browser
context walks them all, with a workspace full of long names and addresses."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from campaigns.services import campaign_enroll_leads, campaign_queue_claim
from leads.actors import Actor
from leads.models import ImportJob, LeadSource, Membership, Stage, Team
from leads.services.api_keys import api_key_create
from leads.services.imports import import_job_create, import_job_run, import_job_start
from tests.api.autocalls.conftest import make_campaign
from tests.api.omni.conftest import make_checklist
from tests.browser.conftest import endpoint_with_a_failed_delivery, sign_in
from tests.conftest import make_member, make_rotation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"laptop": (1366, 900), "phone": (390, 844)}


@dataclass
class Screen:
    name: str
    path: str
    then: Callable | None = None  # what a person does on the page before we look


def upload(job_name: str, rows: list[list[str]]) -> SimpleUploadedFile:
    lines = ["First name,Last name,E-mail,Mobile,Company,Notes"]
    lines += [",".join(row) for row in rows]
    return SimpleUploadedFile(job_name, "\n".join(lines).encode(), content_type="text/csv")


PEOPLE = [
    ["Zoë", "Müller", "zoe.mueller@people.test", "(206) 555-0100", "Café Ltd", "Met at the fair"],
    ["Ann", "Lee", "ann.lee@people.test", "12", "Acme", "Phone is wrong"],
    ["Bo", "Chen", "bo.chen@people.test", "(206) 555-0102", "Chen & Daughters", ""],
]


@pytest.fixture
def workspace_in_use(ws_a, alice, make_lead, settings):
    """A workspace with something on every page: long names and addresses, a checklist,
    a duplicate to merge, routing, a key, a webhook with a delivery, imports in each
    state, and a campaign with a lead in alice's hands."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    actor = Actor(user=alice.user, membership=alice, source="manual")
    stages = [
        Stage.objects.create(workspace=ws_a, slug=slug, name=name, position=i)
        for i, (slug, name) in enumerate([("new", "New"), ("qualified", "Qualified for demo")])
    ]
    team = Team.objects.create(workspace=ws_a, name="Inbound enterprise accounts")
    source = LeadSource.objects.create(workspace=ws_a, team=team, name="Website contact form")
    agents = [
        make_member(ws_a, f"{n.lower()}@acme.test", Membership.Role.AGENT, f"{n} Agent")
        for n in ("Ann", "Ben")
    ]
    rotation = make_rotation(ws_a, agents, team=team)
    make_checklist(
        ws_a,
        [
            ("Company", [("ein", "EIN", "EIN", True, {})], None),
            ("Files", [("bank", "Bank statement", "BANK_STATEMENT", True, {})], None),
        ],
    )
    lead = make_lead(
        first_name="Grace Brewster",
        last_name="Murray Hopper",
        email="grace.brewster.murray.hopper@naval-research-laboratory.test",
        phone="6782319992",
        company="United States Navy Computer Programming Division",
        stage=stages[0],
        team=team,
        lead_source=source,
        assignee=agents[0],
        tags=["conference-2026", "enterprise"],
    )
    duplicate = make_lead(
        first_name="Grace", email="GRACE.BREWSTER.MURRAY.HOPPER@naval-research-laboratory.test"
    )
    for i in range(3):
        make_lead(first_name=f"Caller{i}", phone=f"20655501{10 + i}", stage=stages[1])

    api_key_create(workspace=ws_a, name="Website form integration", created_by=alice.user)
    endpoint = endpoint_with_a_failed_delivery(
        ws_a, "http://127.0.0.1:9/hooks/leadbook/lead-events"
    )

    draft = import_job_create(workspace=ws_a, member=alice, upload=upload("draft.csv", PEOPLE))
    running = import_job_create(workspace=ws_a, member=alice, upload=upload("running.csv", PEOPLE))
    import_job_start(
        job=running, actor=actor, mapping=running.mapping, on_duplicate="update", enqueue=False
    )
    ImportJob.objects.filter(pk=running.pk).update(status="running", processed_rows=1)
    done = import_job_create(workspace=ws_a, member=alice, upload=upload("done.csv", PEOPLE))
    import_job_start(
        job=done, actor=actor, mapping=done.mapping, on_duplicate="update", enqueue=False
    )
    import_job_run(job_id=done.pk)

    campaign = make_campaign(
        ws_a,
        name="Spring renewals for enterprise accounts",
        status="in-progress",
        variables=["offer", "renewal_date"],
        script="Hi {{first_name}}, {{agent_name}} from Acme: {{offer}} until {{renewal_date}}.",
    )
    callers = list(ws_a.leads.filter(first_name__startswith="Caller"))
    campaign_enroll_leads(campaign=campaign, actor=actor, leads=callers)
    campaign_queue_claim(campaign=campaign, agent=alice)
    return {
        "lead": lead,
        "duplicate": duplicate,
        "team": team,
        "source": source,
        "rotation": rotation,
        "endpoint": endpoint,
        "draft": draft,
        "running": running,
        "done": done,
        "campaign": campaign,
    }


def open_the_preview(page) -> None:
    page.get_by_role("button", name="Preview the first 20 rows").click()
    expect(page.locator("#preview table")).to_be_visible()


def choose_a_campaign_for_the_selection(page) -> None:
    page.locator('input[name="ids"]').first.check()
    page.get_by_role("button", name="Add to campaign…").click()
    expect(page.get_by_role("heading", name="Add 1 lead to a campaign")).to_be_visible()


def staff_screens(data) -> list[Screen]:
    lead, campaign = data["lead"], data["campaign"]
    return [
        Screen("dashboard", "/"),
        Screen("lead-list", "/leads/"),
        Screen("lead-list-add-to-campaign", "/leads/", choose_a_campaign_for_the_selection),
        Screen("pipeline", "/pipeline/"),
        Screen("lead-new", "/leads/new/"),
        Screen("lead-detail", f"/leads/{lead.pk}/"),
        Screen("lead-merge", f"/leads/{lead.pk}/merge/{data['duplicate'].pk}/"),
        Screen("imports", "/imports/"),
        Screen("import-mapping", f"/imports/{data['draft'].pk}/", open_the_preview),
        Screen("import-progress", f"/imports/{data['running'].pk}/"),
        Screen("import-result", f"/imports/{data['done'].pk}/"),
        Screen("campaigns", "/campaigns/"),
        Screen("campaign-new", "/campaigns/new/"),
        Screen("campaign-detail", f"/campaigns/{campaign.pk}/"),
        Screen("campaign-edit", f"/campaigns/{campaign.pk}/edit/"),
        Screen("call-queue", f"/campaigns/{campaign.pk}/queue/"),
        Screen("settings-routing", "/settings/routing/"),
        Screen("settings-team", f"/settings/routing/teams/{data['team'].pk}/"),
        Screen("settings-rotation", f"/settings/routing/rotations/{data['rotation'].pk}/"),
        Screen("settings-lead-source", f"/settings/routing/sources/{data['source'].pk}/"),
        Screen("settings-api-keys", "/settings/api-keys/"),
        Screen("settings-webhooks", "/settings/webhooks/"),
        Screen("settings-webhook", f"/settings/webhooks/{data['endpoint'].pk}/"),
        Screen("settings-audit", "/settings/audit/"),
        Screen("password-change", "/accounts/password/change/"),
        Screen("password-change-done", "/accounts/password/change/done/"),
    ]


def signed_out_screens(user) -> list[Screen]:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return [
        Screen("sign-in", "/accounts/login/"),
        Screen("password-reset", "/accounts/password/reset/"),
        Screen("password-reset-sent", "/accounts/password/reset/sent/"),
        Screen("password-reset-choose", f"/accounts/reset/{uid}/{token}/"),
        Screen("password-reset-done", "/accounts/reset/done/"),
    ]


# What reaches past the right edge of the page's content (main, inside its padding): the
# outermost such elements, leaving out what sits in a box of its own that scrolls and
# what is hidden for screen readers only. On a phone that margin is 12 px, so anything
# sticking out of it is either off the screen or pressed against its edge.
STICKING_OUT = """() => {
  const main = document.querySelector("main");
  const padding = parseFloat(getComputedStyle(main).paddingRight);
  const edge = main.getBoundingClientRect().right - padding + 1;
  const inScrollBox = el => {
    for (let up = el.parentElement; up && up !== main; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = el => el !== main && el.getBoundingClientRect().right > edge
    && el.getBoundingClientRect().width > 1 && !inScrollBox(el);
  return [...main.querySelectorAll("*")]
    .filter(el => out(el) && !out(el.parentElement))
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + (el.className ? "." + [...el.classList].join(".") : "")
      + " (" + Math.round(el.getBoundingClientRect().right) + "px)");
}"""


def look_at_each_width(page, shot, screens: list[Screen], first: int) -> list[str]:
    """Open each screen at each width; return what does not fit."""
    problems = []
    for number, screen in enumerate(screens, start=first):
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(page.base + screen.path)
            assert response is not None and response.ok, (
                f"{screen.path}: {response and response.status}"
            )
            if screen.then:
                screen.then(page)
            shot(page, f"{number:02d}-{screen.name}-{label}")
            where = f"{screen.path} ({screen.name}) at {width}px"
            wide, room = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if wide > room:
                problems.append(f"{where} scrolls sideways: {wide}px wide")
            if culprits := page.evaluate(STICKING_OUT):
                problems.append(f"{where}: past the page's margin: {', '.join(culprits)}")
    return problems


def test_every_staff_page_fits_a_laptop_and_a_phone(page, alice, workspace_in_use, shot):
    problems = look_at_each_width(page, shot, signed_out_screens(alice.user), first=50)
    sign_in(page, "alice@acme.test")
    screens = staff_screens(workspace_in_use)
    problems += look_at_each_width(page, shot, screens, first=60)
    assert problems == [], "\n".join(problems)
