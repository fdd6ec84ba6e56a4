"""The lead list: search, filters, sort, keyset pages, bulk actions, CSV and saved views."""

import datetime
import zoneinfo

import pytest

from campaigns.services import campaign_enroll_leads
from leads.actors import Actor
from leads.models import ActionLog, Lead, LeadSource, SavedView, Stage, Tag, Team, Workspace
from leads.pagination import keyset_page, parse_sort
from tests.api.autocalls.conftest import make_campaign
from tests.conftest import make_rotation

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def names(response) -> list[str]:
    return [lead.first_name for lead in response.context["page"].items]


@pytest.mark.parametrize(
    "typed", ["(678) 231-9992", "678.231.9992", "+1 678 231 9992", "16782319992", "231-9992"]
)
def test_a_lead_is_found_by_its_phone_typed_in_any_format(client, alice, make_lead, typed):
    make_lead(first_name="Phoned", phone="6782319992")
    make_lead(first_name="Other", phone="2065550101")
    client.force_login(alice.user)
    assert names(client.get("/leads/", {"q": typed})) == ["Phoned"]


def test_search_matches_every_word_across_name_email_and_company(client, alice, make_lead):
    make_lead(first_name="Grace", last_name="Hopper", company="Navy", email="gh@navy.test")
    make_lead(first_name="Grace", last_name="Kelly", company="Films")
    client.force_login(alice.user)
    assert names(client.get("/leads/", {"q": "grace navy"})) == ["Grace"]
    assert len(names(client.get("/leads/", {"q": "GRACE"}))) == 2
    assert names(client.get("/leads/", {"q": "gh@navy"})) == ["Grace"]


def test_filters_narrow_the_list(client, alice, bob, ws_a, make_lead):
    new = Stage.objects.create(workspace=ws_a, slug="new", name="New")
    team = Team.objects.create(workspace=ws_a, name="Inbound")
    make_lead(first_name="Staged", stage=new, team=team, tags=["hot"])
    make_lead(first_name="Bobs", assignee=bob)
    make_lead(first_name="Gone", archived=True)
    make_lead(first_name="Quiet", opted_out=True)
    client.force_login(alice.user)
    tag = Tag.objects.get(name="hot")
    assert names(client.get("/leads/", {"stage": new.pk})) == ["Staged"]
    assert names(client.get("/leads/", {"team": team.pk})) == ["Staged"]
    assert names(client.get("/leads/", {"tag": tag.pk})) == ["Staged"]
    assert names(client.get("/leads/", {"assignee": bob.pk})) == ["Bobs"]
    assert names(client.get("/leads/", {"opted_out": "yes"})) == ["Quiet"]
    assert names(client.get("/leads/", {"archived": "yes"})) == ["Gone"]
    assert "Gone" not in names(client.get("/leads/"))
    assert set(names(client.get("/leads/", {"assignee": "none"}))) == {"Staged", "Quiet"}


def test_status_source_and_campaign_filters_narrow_the_list(client, alice, ws_a, make_lead):
    web = LeadSource.objects.create(workspace=ws_a, name="Website")
    make_lead(first_name="Reviewing", status=Lead.Status.REVIEW)
    make_lead(first_name="Done", status=Lead.Status.COMPLETED, lead_source=web)
    called = make_lead(first_name="Called", phone="2065550101")
    make_lead(first_name="Other", phone="2065550102")
    campaign = make_campaign(ws_a, name="Renewals")
    campaign_enroll_leads(campaign=campaign, actor=Actor.system(), leads=[called])
    client.force_login(alice.user)
    assert names(client.get("/leads/", {"status": "review"})) == ["Reviewing"]
    both = client.get("/leads/", {"status": ["review", "completed"]})
    assert set(names(both)) == {"Reviewing", "Done"}
    assert names(client.get("/leads/", {"source": web.pk})) == ["Done"]
    assert names(client.get("/leads/", {"campaign": campaign.pk})) == ["Called"]
    assert names(client.get("/leads/", {"status": "review", "source": web.pk})) == []


def created_at(lead: Lead, local: datetime.datetime) -> None:
    Lead.objects.filter(pk=lead.pk).update(created_at=local)


def test_the_created_range_means_days_in_the_workspaces_time_zone(client, alice, make_lead):
    # The workspace works in New York: 22:00 there on Jan 1 is already Jan 2 in UTC.
    late = make_lead(first_name="Late")
    created_at(late, datetime.datetime(2026, 1, 1, 22, 0, tzinfo=NEW_YORK))
    early = make_lead(first_name="Early")
    created_at(early, datetime.datetime(2026, 1, 2, 0, 30, tzinfo=NEW_YORK))
    before = make_lead(first_name="Before")
    created_at(before, datetime.datetime(2025, 12, 31, 23, 59, tzinfo=NEW_YORK))
    client.force_login(alice.user)

    jan_1 = client.get("/leads/", {"created_after": "2026-01-01", "created_before": "2026-01-01"})
    assert names(jan_1) == ["Late"]
    assert ">Jan 1, 2026</time>" in jan_1.text and "Jan 2, 2026" not in jan_1.text
    assert names(client.get("/leads/", {"created_after": "2026-01-02"})) == ["Early"]
    assert names(client.get("/leads/", {"created_before": "2025-12-31"})) == ["Before"]
    everything = client.get("/leads/", {"created_after": "2025-12-31", "sort": "created"})
    assert names(everything) == ["Before", "Late", "Early"]
    # The board and the CSV export read the same filters.
    board = client.get(
        "/pipeline/", {"created_after": "2026-01-01", "created_before": "2026-01-01"}
    )
    assert "Late" in board.text and "Early" not in board.text


def test_the_created_range_follows_the_workspace_when_its_zone_changes(client, alice, make_lead):
    lead = make_lead(first_name="Noon")
    # Noon in New York on Jan 1 is 02:00 on Jan 2 in Tokyo.
    created_at(lead, datetime.datetime(2026, 1, 1, 12, 0, tzinfo=NEW_YORK))
    Workspace.objects.filter(pk=alice.workspace_id).update(default_timezone="Asia/Tokyo")
    client.force_login(alice.user)
    response = client.get(
        "/leads/", {"created_after": "2026-01-02", "created_before": "2026-01-02"}
    )
    assert names(response) == ["Noon"]
    assert ">Jan 2, 2026</time>" in response.text


@pytest.mark.parametrize("key", ["stage", "team", "source", "tag", "campaign", "assignee"])
def test_a_filter_naming_another_workspaces_object_is_an_error_not_a_leak(
    client, alice, dave, ws_b, make_lead, key
):
    stage = Stage.objects.create(workspace=ws_b, slug="x", name="Theirs")
    team = Team.objects.create(workspace=ws_b, name="Their team")
    source = LeadSource.objects.create(workspace=ws_b, name="Their source")
    secret = make_lead(
        workspace=ws_b,
        first_name="Secret",
        phone="2065550199",
        stage=stage,
        team=team,
        lead_source=source,
        assignee=dave,
        tags=["theirs"],
    )
    campaign = make_campaign(ws_b, name="Their campaign")
    campaign_enroll_leads(campaign=campaign, actor=Actor.system(), leads=[secret])
    foreign = {
        "stage": stage.pk,
        "team": team.pk,
        "source": source.pk,
        "tag": Tag.objects.get(workspace=ws_b).pk,
        "campaign": campaign.pk,
        "assignee": dave.pk,
    }
    make_lead(first_name="Mine")
    client.force_login(alice.user)
    response = client.get("/leads/", {key: foreign[key]})
    assert response.status_code == 200
    assert "Some filters are not valid" in response.text
    assert "Secret" not in response.text and "Mine" not in response.text


def test_an_agent_lists_only_their_own_and_unassigned_leads(client, alice, bob, make_lead):
    make_lead(first_name="Mine", assignee=bob)
    make_lead(first_name="Free")
    make_lead(first_name="Hers", assignee=alice)
    client.force_login(bob.user)
    assert set(names(client.get("/leads/"))) == {"Mine", "Free"}


def test_another_workspaces_leads_never_show(client, dave, make_lead, ws_a):
    make_lead(first_name="Acme")
    client.force_login(dave.user)
    response = client.get("/leads/", {"q": "Acme"})
    assert names(response) == []


def test_columns_sort_both_ways(client, alice, make_lead):
    for name in ("Bea", "Abe", "Cid"):
        make_lead(first_name=name, last_name=name, company=f"{name} Co")
    client.force_login(alice.user)
    assert names(client.get("/leads/", {"sort": "name"})) == ["Abe", "Bea", "Cid"]
    assert names(client.get("/leads/", {"sort": "-company"})) == ["Cid", "Bea", "Abe"]
    assert names(client.get("/leads/", {"sort": "created"})) == ["Bea", "Abe", "Cid"]
    assert names(client.get("/leads/", {"sort": "nonsense"})) == ["Cid", "Abe", "Bea"]


@pytest.mark.parametrize("sort", ["-created", "created", "name", "-name", "company", "-updated"])
def test_keyset_pages_walk_every_lead_once_forwards_and_backwards(ws_a, sort):
    Lead.objects.bulk_create(
        [
            Lead(workspace=ws_a, first_name=f"F{i % 3}", last_name=f"L{i % 4}", company=f"C{i % 2}")
            for i in range(23)
        ]
    )
    qs = Lead.objects.for_workspace(ws_a)
    order = parse_sort(sort)
    expected = list(qs.order_by(*order.order_by).values_list("pk", flat=True))
    seen, pages, after = [], [], None
    while True:
        page = keyset_page(qs, sort=order, after=after, size=5)
        pages.append(page)
        seen += [lead.pk for lead in page.items]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == expected
    # Back from the last page, one page at a time, gives the same pages.
    back = keyset_page(qs, sort=order, before=pages[-1].previous_cursor, size=5)
    assert [lead.pk for lead in back.items] == [lead.pk for lead in pages[-2].items]


def test_a_tampered_page_link_is_a_clear_400(client, alice):
    client.force_login(alice.user)
    response = client.get("/leads/", {"after": "not-a-cursor"})
    assert response.status_code == 400
    assert "not valid any more" in response.text


def test_the_list_runs_a_fixed_number_of_queries(
    client, alice, ws_a, make_lead, django_assert_num_queries
):
    stage = Stage.objects.create(workspace=ws_a, slug="n", name="N")
    for i in range(60):
        make_lead(first_name=f"L{i}", stage=stage, assignee=alice, tags=["t"])
    client.force_login(alice.user)
    with django_assert_num_queries(16):
        response = client.get("/leads/", {"q": "L", "tag": Tag.objects.get().pk})
    assert len(response.context["page"].items) == 50


def test_htmx_gets_only_the_results(client, alice, make_lead):
    make_lead(first_name="Partial")
    client.force_login(alice.user)
    response = client.get("/leads/", HTTP_HX_REQUEST="true")
    assert "Partial" in response.text
    assert "<html" not in response.text and 'id="results"' in response.text


def test_bulk_stage_change_writes_one_timeline_entry_per_lead(client, bob, ws_a, make_lead):
    stage = Stage.objects.create(workspace=ws_a, slug="won", name="Won")
    leads = [make_lead(first_name=f"B{i}") for i in range(3)]
    client.force_login(bob.user)
    response = client.post(
        "/leads/bulk/", {"action": "stage", "stage": stage.pk, "ids": [x.pk for x in leads]}
    )
    assert response.status_code == 302
    assert Lead.objects.filter(stage=stage).count() == 3
    assert ActionLog.objects.filter(summary="Stage changed to Won").count() == 3


def test_bulk_tagging_keeps_existing_tags(client, alice, make_lead):
    lead = make_lead(first_name="T", tags=["old"])
    client.force_login(alice.user)
    client.post("/leads/bulk/", {"action": "tag", "tags": "new, hot", "ids": [lead.pk]})
    assert sorted(lead.tags.values_list("name", flat=True)) == ["hot", "new", "old"]


def test_bulk_assign_and_rotation_are_for_managers(client, bob, mia, ws_a, make_lead):
    lead = make_lead(first_name="R")
    client.force_login(bob.user)
    denied = client.post("/leads/bulk/", {"action": "assign", "assignee": bob.pk, "ids": [lead.pk]})
    assert denied.status_code == 403
    make_rotation(ws_a, [bob])
    client.force_login(mia.user)
    client.post("/leads/bulk/", {"action": "rotation", "ids": [lead.pk]})
    lead.refresh_from_db()
    assert lead.assignee == bob
    log = ActionLog.objects.get(lead=lead, type=ActionLog.Type.ASSIGNMENT)
    assert "Next in rotation" in log.description and "mia@acme.test" in log.description


def test_bulk_action_with_a_foreign_lead_changes_nothing(client, alice, make_lead, ws_b):
    mine = make_lead(first_name="Mine")
    theirs = make_lead(workspace=ws_b, first_name="Theirs")
    client.force_login(alice.user)
    response = client.post(
        "/leads/bulk/", {"action": "archive", "ids": [mine.pk, theirs.pk]}, follow=True
    )
    assert "nothing was changed" in response.text
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.archived_at is None and theirs.archived_at is None


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode().splitlines()


def test_export_streams_the_whole_filtered_list_as_csv(
    client, alice, make_lead, django_assert_max_num_queries
):
    make_lead(first_name="Keep", company="=HYPERLINK(1)", tags=["x"])
    make_lead(first_name="Skip")
    client.force_login(alice.user)
    with django_assert_max_num_queries(8):
        response = client.get("/leads/export.csv", {"q": "keep"})
        rows = _csv(response)
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0].startswith("id,uuid,first_name")
    assert len(rows) == 2 and "Keep" in rows[1]
    assert "'=HYPERLINK(1)" in rows[1]  # defused for spreadsheets


def test_export_of_the_selection_only_includes_visible_selected_leads(
    client, bob, alice, make_lead
):
    mine = make_lead(first_name="Mine", assignee=bob)
    hers = make_lead(first_name="Hers", assignee=alice)
    client.force_login(bob.user)
    rows = _csv(client.post("/leads/bulk/", {"action": "export", "ids": [mine.pk, hers.pk]}))
    assert len(rows) == 2 and "Mine" in rows[1]


def test_saved_views_belong_to_one_member(client, alice, bob, ws_a):
    client.force_login(alice.user)
    client.post("/leads/views/", {"name": "Hot ones", "query": "q=hot&after=zzz&bogus=1"})
    view = SavedView.objects.get()
    assert (view.membership, view.query) == (alice, "q=hot")
    assert "Hot ones" in client.get("/leads/").text
    client.force_login(bob.user)
    assert "Hot ones" not in client.get("/leads/").text
    assert client.post(f"/leads/views/{view.pk}/delete/").status_code == 404
    client.force_login(alice.user)
    client.post(f"/leads/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()
