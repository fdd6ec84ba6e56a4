"""The pipeline board and the dashboard."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import ActionLog, Lead, Stage
from leads.selectors import dashboard_figures
from tests.conftest import make_rotation


def _stages(ws):
    return [
        Stage.objects.create(workspace=ws, slug="new", name="New", position=0),
        Stage.objects.create(workspace=ws, slug="won", name="Won", position=1, is_won=True),
    ]


def test_the_board_has_a_column_per_stage_with_counts_and_totals(client, alice, ws_a, make_lead):
    new, won = _stages(ws_a)
    make_lead(first_name="A", stage=new, monthly_transaction_volume=1000)
    make_lead(first_name="B", stage=new, monthly_transaction_volume=500)
    make_lead(first_name="C", stage=won)
    make_lead(first_name="D")
    client.force_login(alice.user)
    columns = client.get("/pipeline/").context["columns"]
    figures = [(c.stage.name if c.stage else None, c.count, c.total_volume) for c in columns]
    assert figures == [("New", 2, 1500), ("Won", 1, 0), (None, 1, 0)]
    assert [card.first_name for card in columns[0].cards] == ["B", "A"]


def test_the_board_is_filtered_like_the_list(client, bob, alice, ws_a, make_lead):
    new, _ = _stages(ws_a)
    make_lead(first_name="Mine", stage=new, assignee=bob, company="Acme")
    make_lead(first_name="Hers", stage=new, assignee=alice, company="Acme")
    make_lead(first_name="Other", stage=new, assignee=bob, company="Zeta")
    client.force_login(bob.user)
    columns = client.get("/pipeline/", {"q": "acme"}).context["columns"]
    assert [card.first_name for card in columns[0].cards] == ["Mine"]


@pytest.mark.parametrize("extra_stages", [0, 4])
def test_the_board_runs_a_fixed_number_of_queries(
    client, alice, bob, ws_a, make_lead, django_assert_num_queries, extra_stages
):
    stages = _stages(ws_a)
    stages += [
        Stage.objects.create(workspace=ws_a, slug=f"s{i}", name=f"S{i}", position=2 + i)
        for i in range(extra_stages)
    ]
    for i in range(40):
        make_lead(first_name=f"L{i}", stage=stages[i % len(stages)], assignee=(alice, bob)[i % 2])
    make_lead(first_name="", phone="+12065550143")  # titled by its phone, in "No stage"
    client.force_login(alice.user)
    # Session, user, memberships, the filter's five choice lists, stages, then one query
    # for every column's figures and cards and one for the cards' assignees: the same
    # for two stages or six, 40 leads or a million.
    with django_assert_num_queries(11):
        response = client.get("/pipeline/")
    columns = response.context["columns"]
    assert len(columns) == len(stages) + 1
    assert sum(c.count for c in columns) == 41
    people = {card.assignee.name if card.assignee else None for c in columns for card in c.cards}
    assert people == {"Alice Owner", "Bob Agent", None}


def test_cards_show_their_lead_and_link_to_it(client, alice, ws_a, make_lead):
    new, won = _stages(ws_a)
    named = make_lead(first_name="Ada", last_name="Lovelace", stage=new, company="Engines")
    by_email = make_lead(first_name="", email="only@example.com", stage=new)
    by_phone = make_lead(first_name="", phone="+12065550142", stage=won)
    client.force_login(alice.user)
    text = client.get("/pipeline/", HTTP_HX_REQUEST="true").text  # the board alone
    for lead, title in [
        (named, "Ada Lovelace"),
        (by_email, "only@example.com"),
        (by_phone, "+12065550142"),
    ]:
        link = reverse("leads:lead_detail", args=[lead.pk])
        assert f'<a href="{link}" class="card-title">{title}</a>' in text
        label = f'<label for="move-{lead.pk}" class="visually-hidden">Move {title} to</label>'
        assert label in text
    # Each card's form: the CSRF field and every stage, its own column's selected.
    assert text.count('name="csrfmiddlewaretoken"') == 3
    assert text.count(f'<option value="{won.pk}">Won</option>') == 2
    assert text.count(f'<option value="{won.pk}" selected>Won</option>') == 1
    assert text.count(f'<option value="{new.pk}" selected>New</option>') == 2


def test_a_column_past_the_exact_limit_says_so_instead_of_adding_up_every_lead(
    client, alice, ws_a, make_lead, monkeypatch
):
    from leads import selectors

    monkeypatch.setattr(selectors, "BOARD_EXACT_UP_TO", 5)
    stages = _stages(ws_a)
    for i in range(8):
        make_lead(first_name=f"Big{i}", stage=stages[0], monthly_transaction_volume=100)
    for i in range(3):
        make_lead(first_name=f"Small{i}", stage=stages[1], monthly_transaction_volume=100)
    client.force_login(alice.user)
    response = client.get("/pipeline/")
    big, small = response.context["columns"][:2]
    assert (big.count, big.capped, big.total_volume) == (5, True, 0)
    assert (small.count, small.capped, small.total_volume) == (3, False, 300)
    assert "5+ leads" in response.text and "$300/mo" in response.text


def test_moving_a_card_changes_the_stage_and_answers_with_the_board(client, bob, ws_a, make_lead):
    new, won = _stages(ws_a)
    lead = make_lead(first_name="Mover", stage=new)
    client.force_login(bob.user)
    response = client.post(
        "/pipeline/", {"lead": lead.pk, "stage": won.pk, "query": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'id="board"' in response.text and "Moved Mover to Won" in response.text
    lead.refresh_from_db()
    assert lead.stage == won
    assert ActionLog.objects.filter(lead=lead, summary="Stage changed to Won").exists()


def test_moving_to_another_workspaces_stage_is_refused(client, alice, ws_a, ws_b, make_lead):
    new, _ = _stages(ws_a)
    theirs = Stage.objects.create(workspace=ws_b, slug="x", name="X")
    lead = make_lead(first_name="Stay", stage=new)
    client.force_login(alice.user)
    response = client.post(
        "/pipeline/", {"lead": lead.pk, "stage": theirs.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.stage == new


def test_a_viewer_cannot_move_cards_and_sees_no_drag_handles(client, carol, ws_a, make_lead):
    new, won = _stages(ws_a)
    lead = make_lead(first_name="Fixed", stage=new)
    client.force_login(carol.user)
    assert 'draggable="true"' not in client.get("/pipeline/").text
    assert client.post("/pipeline/", {"lead": lead.pk, "stage": won.pk}).status_code == 403


def test_dashboard_counts_new_open_and_per_day(alice, bob, ws_a, make_lead):
    ws_a.default_timezone = "UTC"
    ws_a.save()
    new, won = _stages(ws_a)
    now = timezone.now()
    make_lead(first_name="Today", stage=new)
    old = make_lead(first_name="Old", stage=won)
    Lead.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(days=40))
    make_rotation(ws_a, [bob])
    from leads.actors import Actor
    from leads.services.leads import lead_create

    lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "Routed"})
    figures = dashboard_figures(alice, now=now)
    assert figures.new_today == 2
    assert figures.open_total == 2  # "Old" is won
    assert [b.count for b in figures.by_stage] == [1, 0, 1]  # New, Won, No stage
    assert figures.per_day[-1].count == 2 and len(figures.per_day) == 30
    assert [(r.name, [(b.label, b.count) for b in rows]) for r, rows in figures.rotations] == [
        ("default", [("Bob Agent", 1)])
    ]


def test_the_dashboard_page_draws_the_chart_on_the_server(
    client, alice, make_lead, django_assert_num_queries
):
    make_lead(first_name="X")
    client.force_login(alice.user)
    with django_assert_num_queries(10):
        response = client.get("/")
    assert response.status_code == 200
    assert "<svg" in response.text and 'class="bar"' in response.text
    assert "New today" in response.text
