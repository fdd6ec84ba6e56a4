"""/settings/audit/: the workspace's audit trail, filtered, in keyset pages, and as CSV."""

import csv
import datetime
import io
import re
import zoneinfo

from django.utils import timezone

from leads.actors import Actor, RequestMeta
from leads.models import ActionLog
from leads.services.api_keys import api_key_create
from leads.services.leads import lead_delete, lead_update
from leads.services.timeline import actionlog_record

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="entry-(\d+)"', page)]


def entry(ws, summary, *, actor=None, at=None, **kw):
    log = actionlog_record(
        workspace=ws,
        actor=actor or Actor.system(),
        type=kw.pop("type", ActionLog.Type.SETTINGS),
        summary=summary,
        event=kw.pop("event", "something_happened"),
        **kw,
    )
    if at is not None:
        ActionLog.objects.filter(pk=log.pk).update(created_at=at)
    return log


def test_the_trail_lists_this_workspaces_entries_newest_first(
    client, alice, ws_a, ws_b, django_assert_num_queries
):
    older = entry(ws_a, "Older", at=timezone.now() - datetime.timedelta(hours=2))
    newer = entry(ws_a, "Newer")
    entry(ws_b, "Bravo's secret business")
    client.force_login(alice.user)
    # Session, user, membership; people and keys for the "Who" menu; one page; the
    # recent event names.
    with django_assert_num_queries(7):
        page = client.get("/settings/audit/").text
    assert ids(page) == [newer.pk, older.pk]
    assert "Bravo" not in page


def test_pages_follow_each_other_without_gaps_or_repeats(client, alice, ws_a):
    start = timezone.now() - datetime.timedelta(days=1)
    made = [entry(ws_a, f"E{n}", at=start + datetime.timedelta(seconds=n // 3)) for n in range(120)]
    client.force_login(alice.user)
    seen: list[int] = []
    page = client.get("/settings/audit/").text
    while True:
        seen += ids(page)
        found = re.search(r'href="\?after=([^"]+)"', page)
        if not found:
            break
        page = client.get("/settings/audit/", {"after": found.group(1)}).text
    expected = list(
        ActionLog.objects.filter(workspace=ws_a)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(made) == 120 and seen == expected


def test_the_trail_filters_by_who_did_it(client, alice, bob, ws_a):
    key, _ = api_key_create(workspace=ws_a, name="Zapier")
    by_bob = entry(ws_a, "Bob's", actor=Actor(user=bob.user, membership=bob))
    by_key = entry(ws_a, "Key's", actor=Actor(api_key=key, source="api"))
    by_system = entry(ws_a, "System's")
    client.force_login(alice.user)
    assert ids(client.get("/settings/audit/", {"actor": f"user:{bob.user_id}"}).text) == [by_bob.pk]
    assert ids(client.get("/settings/audit/", {"actor": f"key:{key.pk}"}).text) == [by_key.pk]
    assert ids(client.get("/settings/audit/", {"actor": "system"}).text) == [by_system.pk]


def test_the_trail_filters_by_kind_event_and_lead_even_a_deleted_one(
    client, alice, ws_a, make_lead
):
    kept = make_lead(first_name="Kept")
    gone = make_lead(first_name="Gone")
    gone_pk = gone.pk
    lead_update(lead=kept, actor=Actor.system(), data={"company": "Acme"})
    lead_delete(lead=gone, actor=Actor.system())
    client.force_login(alice.user)
    page = client.get("/settings/audit/", {"lead": kept.pk}).text
    assert len(ids(page)) == 2 and f'href="/leads/{kept.pk}/"' in page
    deleted = client.get("/settings/audit/", {"lead": gone_pk}).text
    assert len(ids(deleted)) == 2 and f'#{gone_pk} <span class="muted">(deleted)</span>' in deleted
    updates = client.get("/settings/audit/", {"event": "lead_updated"}).text
    assert len(ids(updates)) == 1
    assert '<option value="lead_updated">' in updates  # suggested from recent entries
    notes = client.get("/settings/audit/", {"type": "SYSTEM_NOTE"}).text
    assert len(ids(notes)) == 4


def test_days_are_read_in_the_workspace_time_zone(client, alice, ws_a):
    # 23:30 in New York on March 3 is already March 4 in UTC.
    late = entry(ws_a, "Late", at=datetime.datetime(2026, 3, 3, 23, 30, tzinfo=NEW_YORK))
    early = entry(ws_a, "Early", at=datetime.datetime(2026, 3, 4, 0, 30, tzinfo=NEW_YORK))
    client.force_login(alice.user)
    on_3rd = {"date_from": "2026-03-03", "date_until": "2026-03-03"}
    assert ids(client.get("/settings/audit/", on_3rd).text) == [late.pk]
    from_4th = client.get("/settings/audit/", {"date_from": "2026-03-04"}).text
    assert ids(from_4th) == [early.pk]


def test_bad_filters_are_explained_not_a_server_error(client, alice, ws_a):
    entry(ws_a, "Anything")
    client.force_login(alice.user)
    for params, message in (
        ({"lead": "abc"}, "Enter a whole number."),
        ({"lead": str(2**70)}, "Ensure this value is less than or equal to"),
        ({"lead": "1.5"}, "Enter a whole number."),
        ({"date_from": "2026-05-02", "date_until": "2026-05-01"}, "on or after “From”"),
        ({"actor": "user:999999"}, "Select a valid choice."),
        ({"event": "x" * 65}, "at most 64 characters"),
    ):
        response = client.get("/settings/audit/", params)
        assert response.status_code == 200, params
        assert message in response.text, params
        assert ids(response.text) == []
    assert client.get("/settings/audit/", {"after": "bogus"}).status_code == 400


def test_another_workspaces_people_and_keys_are_not_offered(client, alice, dave, ws_b):
    api_key_create(workspace=ws_b, name="Bravo key")
    client.force_login(alice.user)
    page = client.get("/settings/audit/").text
    assert "dave@bravo.test" not in page and "Bravo key" not in page
    assert f'value="user:{alice.user_id}"' in page


def test_the_export_streams_the_filtered_trail_with_formulas_defused(
    client, alice, ws_a, ws_b, django_assert_max_num_queries
):
    actor = Actor(
        user=alice.user,
        membership=alice,
        request=RequestMeta(method="POST", path="/x", ip="203.0.113.7"),
    )
    entry(ws_a, '=HYPERLINK("http://evil")', actor=actor, event="team_created")
    entry(ws_a, "Other", event="team_updated")
    entry(ws_b, "Bravo", event="team_created")
    client.force_login(alice.user)
    with django_assert_max_num_queries(6):
        response = client.get("/settings/audit/export.csv", {"event": "team_created"})
        content = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 1
    assert rows[0]["summary"] == '\'=HYPERLINK("http://evil")'
    assert (rows[0]["actor"], rows[0]["request_ip"]) == ("alice@acme.test", "203.0.113.7")
    bad = client.get("/settings/audit/export.csv", {"lead": "abc"})
    assert bad.status_code == 400
