"""GET /api/agents/crm/leads: filters, keyset cursors bound to their sort, limits, totals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.mega import listing
from leads.actors import Actor
from leads.models import Lead, Stage
from leads.services.leads import lead_create
from tests.api.mega.conftest import LEAD_KEYS, error

SYSTEM = Actor.system()


def make_leads(ws, count, **extra):
    """Leads with distinct, increasing created/updated/interaction times."""
    start = timezone.now() - timedelta(days=1)
    leads = []
    for i in range(count):
        lead = lead_create(
            workspace=ws,
            actor=SYSTEM,
            data={"first_name": f"Lead{i:03d}", "email": f"lead{i}@example.com", **extra},
            route=False,
        ).lead
        at = start + timedelta(minutes=i)
        Lead.objects.filter(pk=lead.pk).update(
            created_at=at, updated_at=at + timedelta(seconds=30), last_interaction_at=None
        )
        leads.append(lead)
    return leads


def ids(response) -> list[str]:
    return [lead["id"] for lead in response.json()["leads"]]


def walk(mega, params) -> list[str]:
    """Follow next_cursor to the end; returns every id seen, in order."""
    seen: list[str] = []
    response = mega.get("leads", params)
    for _ in range(100):
        assert response.status_code == 200, response.content
        seen += ids(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return seen
        response = mega.get("leads", {**params, "cursor": cursor})
    raise AssertionError("the cursor never ended")


def test_the_default_page_is_sorted_by_updated_at_ascending(
    mega_a, ws_a, django_assert_max_num_queries
):
    leads = make_leads(ws_a, 25)
    Lead.objects.filter(pk=leads[0].pk).update(updated_at=timezone.now())
    with django_assert_max_num_queries(6):
        response = mega_a.get("leads")
    body = response.json()
    assert set(body) == {"leads", "total", "limit", "offset", "next_cursor"}
    assert (body["total"], body["limit"], body["offset"]) == (25, 20, 0)
    assert ids(response) == [str(lead.uuid) for lead in leads[1:21]]
    assert body["next_cursor"]
    assert set(body["leads"][0]) == LEAD_KEYS - {"custom_fields"}
    assert "Total-Count-Estimated" not in response


def test_a_page_of_a_hundred_leads_costs_the_same_queries_as_one(
    mega_a, ws_a, bob, pipeline_a, django_assert_max_num_queries
):
    make_leads(ws_a, 100, stage=pipeline_a["new"], assignee=bob)
    with django_assert_max_num_queries(6):
        response = mega_a.get("leads", {"limit": 100, "include_custom_fields": "true"})
    assert len(response.json()["leads"]) == 100
    assert response.json()["leads"][0]["owner"]["name"] == "Bob Agent"


@pytest.mark.parametrize("sort_by", ["created_at", "updated_at", "last_interaction_at"])
@pytest.mark.parametrize("sort_dir", ["asc", "desc"])
def test_following_next_cursor_visits_every_lead_once_in_order(mega_a, ws_a, sort_by, sort_dir):
    leads = make_leads(ws_a, 23)
    same = timezone.now() - timedelta(hours=2)
    # Ties on the sort column and leads never interacted with must not be lost or repeated.
    Lead.objects.filter(pk__in=[leads[3].pk, leads[4].pk, leads[5].pk]).update(
        created_at=same, updated_at=same
    )
    for i, lead in enumerate(leads[:15]):
        Lead.objects.filter(pk=lead.pk).update(last_interaction_at=same + timedelta(minutes=i % 4))
    expected = list(
        Lead.objects.filter(workspace=ws_a)
        .order_by(
            *(
                [listing.F(sort_by).desc(nulls_first=True), "-pk"]
                if sort_dir == "desc"
                else [listing.F(sort_by).asc(nulls_last=True), "pk"]
            )
        )
        .values_list("uuid", flat=True)
    )
    seen = walk(mega_a, {"sort_by": sort_by, "sort_dir": sort_dir, "limit": 4})
    assert seen == [str(u) for u in expected]


def test_the_last_page_has_no_next_cursor(mega_a, ws_a):
    make_leads(ws_a, 4)
    assert mega_a.get("leads", {"limit": 4}).json()["next_cursor"] is None
    assert mega_a.get("leads", {"limit": 3}).json()["next_cursor"] is not None
    empty = mega_a.get("leads", {"offset": 10}).json()
    assert empty["leads"] == [] and empty["next_cursor"] is None and empty["total"] == 4


def test_polling_by_updated_at_picks_up_changes_after_the_cursor(mega_a, ws_a):
    leads = make_leads(ws_a, 3)
    first = mega_a.get("leads", {"limit": 3, "sort_by": "updated_at"}).json()
    assert first["next_cursor"] is None
    last_seen = mega_a.get("leads", {"limit": 2}).json()["next_cursor"]
    Lead.objects.filter(pk=leads[0].pk).update(updated_at=timezone.now())
    assert ids(mega_a.get("leads", {"cursor": last_seen})) == [
        str(leads[2].uuid),
        str(leads[0].uuid),
    ]


def test_a_cursor_is_refused_under_another_sort(mega_a, ws_a):
    make_leads(ws_a, 5)
    cursor = mega_a.get("leads", {"limit": 2, "sort_by": "created_at"}).json()["next_cursor"]
    for params in (
        {"sort_by": "updated_at"},
        {"sort_by": "created_at", "sort_dir": "desc"},
        {},  # default sort is updated_at
    ):
        response = mega_a.get("leads", {**params, "cursor": cursor})
        assert response.status_code == 400
        assert error(response)["reason"] == "cursor_sort_mismatch"
        assert "sort_by=created_at" in error(response)["message"]
    ok = mega_a.get("leads", {"sort_by": "created_at", "sort_dir": "asc", "cursor": cursor})
    assert ok.status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoiY3JlYXRlZF9hdCJ9:1:abc", "x" * 500])
def test_a_forged_cursor_is_a_400(mega_a, cursor):
    response = mega_a.get("leads", {"cursor": cursor})
    assert response.status_code == 400 and error(response)["reason"] == "invalid_cursor"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"sort_by": "name"},
        {"sort_dir": "up"},
        {"status": "open"},
        {"stageId": "not-a-uuid"},
        {"created_since": "yesterday"},
        {"updated_since": "2026-13-45"},
        {"include_custom_fields": "maybe"},
    ],
)
def test_bad_parameters_are_a_400_naming_them(mega_a, params):
    response = mega_a.get("leads", params)
    assert response.status_code == 400
    assert next(iter(params)) in error(response)["message"]


def test_limit_and_offset_page_for_back_compat(mega_a, ws_a):
    leads = make_leads(ws_a, 7)
    response = mega_a.get("leads", {"limit": 3, "offset": 3})
    assert ids(response) == [str(lead.uuid) for lead in leads[3:6]]
    assert response.json()["offset"] == 3
    rest = mega_a.get("leads", {"limit": 3, "cursor": response.json()["next_cursor"]})
    assert ids(rest) == [str(leads[6].uuid)]


def test_status_follows_stage_archive_and_closing_statuses(mega_a, ws_a, pipeline_a):
    active, won, lost, not_interested, archived = make_leads(ws_a, 5)
    Lead.objects.filter(pk=won.pk).update(stage=pipeline_a["won"])
    Lead.objects.filter(pk=lost.pk).update(stage=pipeline_a["lost"])
    Lead.objects.filter(pk=not_interested.pk).update(status=Lead.Status.NOT_INTERESTED)
    Lead.objects.filter(pk=archived.pk).update(archived_at=timezone.now(), stage=pipeline_a["won"])
    Lead.objects.filter(pk=active.pk).update(stage=pipeline_a["new"])
    expected = {
        "active": [active],
        "won": [won],
        "lost": [lost, not_interested],
        "archived": [archived],
        "nurture": [],
    }
    for status, leads in expected.items():
        response = mega_a.get("leads", {"status": status})
        assert ids(response) == [str(lead.uuid) for lead in leads], status
        assert all(lead["status"] == status for lead in response.json()["leads"])


def test_filters_by_stage_id_dates_and_lead_line(mega_a, ws_a, ws_b, pipeline_a):
    leads = make_leads(ws_a, 4)
    Lead.objects.filter(pk=leads[1].pk).update(stage=pipeline_a["new"], lead_line="seller")
    stage = pipeline_a["new"]
    assert ids(mega_a.get("leads", {"stageId": str(stage.uuid)})) == [str(leads[1].uuid)]
    foreign = Stage.objects.create(workspace=ws_b, slug="new", name="New")
    assert ids(mega_a.get("leads", {"stageId": str(foreign.uuid)})) == []
    assert ids(mega_a.get("leads", {"lead_line": "seller"})) == [str(leads[1].uuid)]
    since = Lead.objects.get(pk=leads[2].pk).created_at
    assert ids(mega_a.get("leads", {"created_since": since.isoformat()})) == [
        str(leads[2].uuid),
        str(leads[3].uuid),
    ]
    updated = Lead.objects.get(pk=leads[3].pk).updated_at
    as_z = updated.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert ids(mega_a.get("leads", {"updated_since": as_z})) == [str(leads[3].uuid)]


@pytest.mark.parametrize(
    "term",
    ["jane", "BUYER", "jane buyer", "jane@example", "(206) 555-0123", "+1 206 555 0123", "5550123"],
)
def test_search_covers_name_email_and_phone_in_any_format(mega_a, ws_a, term):
    jane = lead_create(
        workspace=ws_a,
        actor=SYSTEM,
        data={
            "first_name": "Jane",
            "last_name": "Buyer",
            "email": "jane@example.com",
            "phone": "2065550123",
        },
        route=False,
    ).lead
    lead_create(
        workspace=ws_a,
        actor=SYSTEM,
        data={"first_name": "Other", "email": "o@x.com", "phone": "3125550100"},
        route=False,
    )
    assert ids(mega_a.get("leads", {"search": term})) == [str(jane.uuid)]


def test_custom_fields_are_included_only_on_request(mega_a, ws_a, pipeline_a):
    lead_create(
        workspace=ws_a,
        actor=SYSTEM,
        data={"first_name": "C", "custom_fields": {"budget": "1"}},
        route=False,
    )
    assert "custom_fields" not in mega_a.get("leads").json()["leads"][0]
    lead = mega_a.get("leads", {"include_custom_fields": "true"}).json()["leads"][0]
    assert lead["custom_fields"] == {"budget": "1"}


def test_another_workspace_sees_none_of_these_leads(mega_a, mega_b, ws_a):
    make_leads(ws_a, 3)
    response = mega_b.get("leads")
    assert response.status_code == 200
    assert response.json()["leads"] == [] and response.json()["total"] == 0
    cursor = mega_a.get("leads", {"limit": 1}).json()["next_cursor"]
    assert mega_b.get("leads", {"cursor": cursor}).json()["leads"] == []


def test_reading_needs_the_read_scope(mega_with_scopes):
    response = mega_with_scopes("leads:write").get("leads")
    assert response.status_code == 403 and "leads:read" in error(response)["message"]


def test_the_total_is_exact_up_to_the_cap_and_flagged_beyond(mega_a, ws_a, monkeypatch):
    make_leads(ws_a, 6)
    monkeypatch.setattr(listing, "EXACT_TOTAL_CAP", 5)
    response = mega_a.get("leads", {"limit": 2})
    from django.db import connection

    if connection.vendor == "postgresql":
        assert response.json()["total"] >= 6
        assert response["Total-Count-Estimated"] == "true"
    else:
        assert response.json()["total"] == 6
    monkeypatch.setattr(listing, "EXACT_TOTAL_CAP", 6)
    exact = mega_a.get("leads", {"limit": 2})
    assert exact.json()["total"] == 6 and "Total-Count-Estimated" not in exact


def test_a_last_page_has_its_exact_total_without_a_count(mega_a, ws_a, monkeypatch):
    """Even past the cap: the rows before the last page and on it are all there are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_leads(ws_a, 6)
    monkeypatch.setattr(listing, "EXACT_TOTAL_CAP", 5)
    with CaptureQueriesContext(connection) as queries:
        response = mega_a.get("leads", {"limit": 4, "offset": 4})
    assert response.json()["total"] == 6 and len(response.json()["leads"]) == 2
    assert "Total-Count-Estimated" not in response
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
