"""/settings/routing/: teams, lead sources, rotations, and who gets the next leads."""

import re

import pytest

from leads.actors import Actor
from leads.models import ActionLog, LeadSource, Rotation, RotationMember, Team
from leads.services.leads import lead_create
from tests.conftest import make_member, make_rotation


@pytest.fixture
def ann(ws_a):
    return make_member(ws_a, "ann@acme.test", "agent", "Ann")


@pytest.fixture
def ben(ws_a):
    return make_member(ws_a, "ben@acme.test", "agent", "Ben")


def upcoming(page: str, rotation: Rotation) -> list[str]:
    """The names in a rotation card's "Next assignments" list."""
    card = page[page.index(f'id="rotation-{rotation.pk}"') :]
    block = card[card.index('class="upcoming-list"') : card.index("</ol>")]
    return re.findall(r"<li>([^<]+)</li>", block)


def seat_rows(rows):
    """Form data for the seat table: [(member pk, weight, order)] plus the formset counts."""
    data = {"seats-TOTAL_FORMS": str(len(rows)), "seats-INITIAL_FORMS": "0"}
    for n, (member, weight, order) in enumerate(rows):
        data[f"seats-{n}-member"] = str(member) if member else ""
        data[f"seats-{n}-weight"] = str(weight) if weight else ""
        data[f"seats-{n}-ORDER"] = str(order) if order else ""
    return data


def test_the_page_shows_every_rotation_with_its_next_five_assignments(
    client, alice, ws_a, ann, ben, django_assert_num_queries
):
    rotation = make_rotation(ws_a, [ann, ben])
    RotationMember.objects.filter(rotation=rotation, membership=ann).update(weight=2)
    team = Team.objects.create(workspace=ws_a, name="East")
    team.members.set([ann, ben])
    LeadSource.objects.create(workspace=ws_a, team=team, name="Web form")
    client.force_login(alice.user)
    with django_assert_num_queries(8):
        page = client.get("/settings/routing/").text
    # Weights 2:1, spread out: Ann, Ben, Ann, then the cycle again.
    assert upcoming(page, rotation) == ["Ann", "Ben", "Ann", "Ann", "Ben"]
    assert "East" in page and "Web form" in page and "Ann, Ben" in page


def test_the_page_costs_the_same_with_many_rotations_and_teams(
    client, alice, ws_a, ann, ben, django_assert_num_queries
):
    for n in range(6):
        team = Team.objects.create(workspace=ws_a, name=f"Team {n}")
        team.members.set([ann, ben])
        LeadSource.objects.create(workspace=ws_a, team=team, name=f"Source {n}")
        make_rotation(ws_a, [ann, ben, alice], team=team)
    client.force_login(alice.user)
    with django_assert_num_queries(8):
        response = client.get("/settings/routing/")
    assert response.text.count('class="upcoming-list"') == 6


def test_a_team_is_created_with_its_members_and_recorded(
    client, alice, ws_a, ann, ben, django_assert_max_num_queries
):
    client.force_login(alice.user)
    with django_assert_max_num_queries(14):
        response = client.post(
            "/settings/routing/teams/new/",
            {"name": "North", "is_active": "on", "members": [ann.pk, ben.pk]},
        )
    team = Team.objects.get(workspace=ws_a, name="North")
    assert response["Location"] == f"/settings/routing/#team-{team.pk}"
    assert set(team.members.all()) == {ann, ben}
    log = ActionLog.objects.get(event="team_created")
    assert log.type == "SETTINGS" and log.actor_user == alice.user and log.lead is None


def test_a_taken_team_name_comes_back_beside_the_field_with_the_form_kept(client, alice, ws_a, ann):
    Team.objects.create(workspace=ws_a, name="North")
    client.force_login(alice.user)
    response = client.post("/settings/routing/teams/new/", {"name": "north", "members": [ann.pk]})
    assert response.status_code == 200
    assert 'id="id_name_error">A team named “north” already exists.' in response.text
    assert re.search(f'value="{ann.pk}" id="id_members_\\d+" checked', response.text)
    assert Team.objects.count() == 1


def test_a_team_is_renamed_paused_and_its_members_replaced(client, alice, ws_a, ann, ben):
    team = Team.objects.create(workspace=ws_a, name="North")
    team.members.set([ann])
    client.force_login(alice.user)
    page = client.get(f"/settings/routing/teams/{team.pk}/").text
    assert 'value="North"' in page
    client.post(f"/settings/routing/teams/{team.pk}/", {"name": "North-East", "members": [ben.pk]})
    team.refresh_from_db()
    assert (team.name, team.is_active) == ("North-East", False)
    assert list(team.members.all()) == [ben]


def test_a_member_of_another_workspace_cannot_join_a_team(client, alice, dave, ws_a):
    client.force_login(alice.user)
    response = client.post("/settings/routing/teams/new/", {"name": "X", "members": [dave.pk]})
    assert "is not one of the available choices" in response.text
    assert not Team.objects.exists()


def test_lead_sources_are_created_for_a_team_and_moved(
    client, alice, ws_a, ws_b, django_assert_max_num_queries
):
    team = Team.objects.create(workspace=ws_a, name="East")
    theirs = Team.objects.create(workspace=ws_b, name="Theirs")
    client.force_login(alice.user)
    with django_assert_max_num_queries(9):
        client.post(
            "/settings/routing/sources/new/", {"name": "Web", "team": team.pk, "is_active": "on"}
        )
    source = LeadSource.objects.get(name="Web")
    assert (source.team, source.is_active) == (team, True)
    response = client.post(
        f"/settings/routing/sources/{source.pk}/", {"name": "Web", "team": theirs.pk}
    )
    assert "not one of the available choices" in response.text
    client.post(f"/settings/routing/sources/{source.pk}/", {"name": "Website", "team": ""})
    source.refresh_from_db()
    assert (source.name, source.team, source.is_active) == ("Website", None, False)
    assert ActionLog.objects.filter(event="lead_source_updated").count() == 1


def test_a_rotation_is_created_with_members_in_order_and_weights(
    client, alice, ws_a, ann, ben, django_assert_max_num_queries
):
    team = Team.objects.create(workspace=ws_a, name="East")
    client.force_login(alice.user)
    data = {"name": "East rota", "team": team.pk, "status": "active"}
    data.update(seat_rows([(ann.pk, 1, 2), (ben.pk, 3, 1), (None, None, None)]))
    # One query per member row to check the choice (at most 50 rows), the rest fixed.
    with django_assert_max_num_queries(17):
        response = client.post("/settings/routing/rotations/new/", data)
    rotation = Rotation.objects.get(name="East rota")
    assert response["Location"] == f"/settings/routing/#rotation-{rotation.pk}"
    seats = list(rotation.members.order_by("order"))
    assert [(s.membership, s.weight) for s in seats] == [(ben, 3), (ann, 1)]
    page = client.get("/settings/routing/").text
    assert upcoming(page, rotation) == ["Ben", "Ben", "Ann", "Ben", "Ben"]


def test_editing_a_rotation_changes_who_gets_the_next_lead(client, alice, ws_a, ann, ben):
    rotation = make_rotation(ws_a, [ann, ben])
    client.force_login(alice.user)
    page = client.get(f"/settings/routing/rotations/{rotation.pk}/").text
    assert 'name="seats-TOTAL_FORMS" value="4"' in page  # two members, two blank rows
    data = {"name": "default", "team": "", "status": "active"}
    data.update(seat_rows([(ann.pk, 1, 2), (ben.pk, 1, 1)]))
    client.post(f"/settings/routing/rotations/{rotation.pk}/", data)
    assert upcoming(client.get("/settings/routing/").text, rotation)[0] == "Ben"
    lead = lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "Next"}).lead
    assert lead.assignee == ben
    log = ActionLog.objects.get(event="rotation_updated")
    assert log.input["changes"]["members"] == [
        {"email": "ben@acme.test", "weight": 1},
        {"email": "ann@acme.test", "weight": 1},
    ]


def test_a_removed_row_takes_the_member_out(client, alice, ws_a, ann, ben):
    rotation = make_rotation(ws_a, [ann, ben])
    client.force_login(alice.user)
    data = {"name": "default", "team": "", "status": "active"}
    data.update(seat_rows([(ann.pk, 1, 1), (ben.pk, 1, 2)]))
    data["seats-0-DELETE"] = "on"
    client.post(f"/settings/routing/rotations/{rotation.pk}/", data)
    assert [s.membership for s in rotation.members.all()] == [ben]


def test_the_same_member_twice_is_refused_with_a_clear_message(client, alice, ws_a, ann):
    rotation = make_rotation(ws_a, [ann])
    client.force_login(alice.user)
    data = {"name": "default", "team": "", "status": "active"}
    data.update(seat_rows([(ann.pk, 1, 1), (ann.pk, 2, 2)]))
    response = client.post(f"/settings/routing/rotations/{rotation.pk}/", data)
    assert response.status_code == 200
    assert "Ann is listed twice: give them one row and a higher weight." in response.text
    assert rotation.members.get().weight == 1


def test_a_second_active_rotation_for_a_team_is_refused_and_nothing_changes(
    client, alice, ws_a, ann
):
    team = Team.objects.create(workspace=ws_a, name="East")
    first = make_rotation(ws_a, [ann], team=team)
    client.force_login(alice.user)
    data = {"name": "Second", "team": team.pk, "status": "active"}
    data.update(seat_rows([(ann.pk, 1, 1)]))
    response = client.post("/settings/routing/rotations/new/", data)
    assert response.status_code == 200
    assert f"already has an active rotation ({first.pk})" in response.text
    assert 'value="Second"' in response.text  # nothing typed is lost
    assert Rotation.objects.count() == 1
    data["status"] = "queued"
    client.post("/settings/routing/rotations/new/", data)
    assert Rotation.objects.get(name="Second").status == "queued"


def test_a_rotation_without_a_team_must_be_the_default(client, alice, ws_a, ann):
    client.force_login(alice.user)
    data = {"name": "Night shift", "team": "", "status": "active"}
    data.update(seat_rows([(ann.pk, 1, 1)]))
    response = client.post("/settings/routing/rotations/new/", data)
    assert "name it “default”" in response.text
    assert not Rotation.objects.exists()
    # One made through the API under another name may still be edited as it is.
    legacy = make_rotation(ws_a, [ann], name="Night shift")
    data["status"] = "queued"
    response = client.post(f"/settings/routing/rotations/{legacy.pk}/", data)
    assert response.status_code == 302
    legacy.refresh_from_db()
    assert (legacy.name, legacy.status) == ("Night shift", "queued")


def test_viewers_and_other_workspaces_members_cannot_take_turns(client, alice, carol, dave, ws_a):
    rotation = make_rotation(ws_a, [alice])
    client.force_login(alice.user)
    for stranger in (carol, dave):
        data = {"name": "default", "team": "", "status": "active"}
        data.update(seat_rows([(stranger.pk, 1, 1)]))
        response = client.post(f"/settings/routing/rotations/{rotation.pk}/", data)
        assert "not one of the available choices" in response.text
    assert [s.membership for s in rotation.members.all()] == [alice]


def test_a_weight_out_of_range_is_shown_on_its_row_with_the_other_errors(client, alice, ws_a, ann):
    rotation = make_rotation(ws_a, [ann])
    client.force_login(alice.user)
    data = {"name": "", "team": "", "status": "active"}
    data.update(seat_rows([(ann.pk, 101, 1)]))
    response = client.post(f"/settings/routing/rotations/{rotation.pk}/", data)
    assert 'id="id_name_error">This field is required.' in response.text
    assert "Ensure this value is less than or equal to 100." in response.text
    assert rotation.members.get().weight == 1


def test_a_member_marked_away_is_skipped_until_back(
    client, alice, ws_a, ann, ben, django_assert_max_num_queries
):
    rotation = make_rotation(ws_a, [ann, ben])
    seat = rotation.members.get(membership=ann)
    client.force_login(alice.user)
    url = f"/settings/routing/rotations/{rotation.pk}/seats/{seat.pk}/availability/"
    with django_assert_max_num_queries(11):
        response = client.post(url, {"taking_leads": "false"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<article")
    assert "Ann is away: turns skip them." in response.text
    assert upcoming(response.text, rotation) == ["Ben"] * 5
    lead = lead_create(workspace=ws_a, actor=Actor.system(), data={"first_name": "L"}).lead
    assert lead.assignee == ben
    assert ActionLog.objects.get(event="rotation_member_availability").summary == (
        "Ann is away from rotation “default”"
    )
    client.post(url, {"taking_leads": "true"})
    seat.refresh_from_db()
    assert seat.is_active and seat.order == 0 and seat.weight == 1


def test_a_seat_of_another_rotation_is_not_found(client, alice, ws_a, ann):
    one = make_rotation(ws_a, [ann])
    other = make_rotation(ws_a, [ann], team=Team.objects.create(workspace=ws_a, name="T"))
    seat = other.members.get()
    client.force_login(alice.user)
    url = f"/settings/routing/rotations/{one.pk}/seats/{seat.pk}/availability/"
    assert client.post(url, {"taking_leads": "false"}).status_code == 404
    seat.refresh_from_db()
    assert seat.is_active
