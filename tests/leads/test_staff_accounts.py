"""Signing in by email, lockout after repeated failures, signing out, passwords."""

import re

import pytest
from django.core import mail
from django.test import override_settings


def test_a_member_signs_in_with_email_and_password_and_lands_on_the_dashboard(client, alice):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert '<label for="id_username">Email' in page.text
    response = client.post(
        "/accounts/login/",
        {"username": "ALICE@acme.test", "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Dashboard" in response.text and "Alice Owner" in response.text


def test_a_wrong_password_is_refused_next_to_the_form_and_keeps_the_email(client, alice):
    response = client.post("/accounts/login/", {"username": "alice@acme.test", "password": "wrong"})
    assert response.status_code == 200
    assert "do not match an account" in response.text
    assert 'value="alice@acme.test"' in response.text


def test_the_login_page_sends_you_back_where_you_were_going(client, alice):
    response = client.post(
        "/accounts/login/?next=/pipeline/",
        {"username": "alice@acme.test", "password": "correct-horse-battery", "next": "/pipeline/"},
    )
    assert response["Location"] == "/pipeline/"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_with_a_clear_message(client, alice):
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice@acme.test", "password": "nope"})
    locked = client.post("/accounts/login/", {"username": "alice@acme.test", "password": "nope"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert 'value="alice@acme.test"' in locked.text
    # Even the right password is refused while locked.
    again = client.post(
        "/accounts/login/", {"username": "alice@acme.test", "password": "correct-horse-battery"}
    )
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_signing_out_takes_a_post_and_ends_the_session(client, alice):
    client.force_login(alice.user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/leads/").status_code == 302


def test_a_member_changes_their_password(client, alice):
    client.force_login(alice.user)
    bad = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": "a", "new_password2": "b"},
    )
    assert bad.status_code == 200
    assert "Your old password was entered incorrectly" in bad.text
    good = client.post(
        "/accounts/password/change/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "quiet-lantern-river-42",
            "new_password2": "quiet-lantern-river-42",
        },
    )
    assert good["Location"] == "/accounts/password/change/done/"
    alice.user.refresh_from_db()
    assert alice.user.check_password("quiet-lantern-river-42")


def test_a_forgotten_password_is_reset_through_an_emailed_link(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "alice@acme.test"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "quiet-lantern-river-42", "new_password2": "quiet-lantern-river-42"},
    )
    assert done["Location"] == "/accounts/reset/done/"
    alice.user.refresh_from_db()
    assert alice.user.check_password("quiet-lantern-river-42")


@pytest.mark.django_db
def test_a_reset_for_an_unknown_email_looks_the_same_but_sends_nothing(client):
    response = client.post("/accounts/password/reset/", {"email": "ghost@acme.test"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_the_workspace_switcher_changes_what_every_page_shows(client, alice, ws_b, make_lead):
    from leads.models import Membership

    Membership.objects.create(workspace=ws_b, user=alice.user, role=Membership.Role.AGENT)
    make_lead(first_name="Alpha")
    make_lead(workspace=ws_b, first_name="Zulu")
    client.force_login(alice.user)
    first = client.get("/leads/").text
    assert "Alpha" in first and "Zulu" not in first
    assert "Bravo Sales" in first  # offered in the switcher
    client.post("/workspace/switch/", {"workspace": ws_b.pk, "next": "/leads/?q=x"})
    second = client.get("/leads/").text
    assert "Zulu" in second and "Alpha" not in second


def test_switching_to_a_workspace_you_are_not_in_changes_nothing(client, alice, ws_b, make_lead):
    make_lead(first_name="Alpha")
    client.force_login(alice.user)
    response = client.post("/workspace/switch/", {"workspace": ws_b.pk}, follow=True)
    assert "not a member of that workspace" in response.text
    assert "Alpha" in client.get("/leads/").text


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_lockout_is_per_email_so_colleagues_on_the_same_network_still_sign_in(client, alice, bob):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "Alice@acme.test", "password": "nope"})
    response = client.post(
        "/accounts/login/", {"username": "bob@acme.test", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
