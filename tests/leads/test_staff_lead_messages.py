"""Follow-ups and drafts on the lead page: schedule, draft, approve, cancel."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog
from leads.services.messages import draft_create, followup_schedule

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def local(dt: datetime.datetime) -> str:
    """What a datetime-local box sends for `dt`, in the workspace's zone (New York)."""
    return dt.astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def lead(make_lead):
    return make_lead(first_name="Ada", email="ada@engines.test", phone="6782319992")


def compose(client, lead, intent, htmx=True, **data):
    body = {"channel": "EMAIL", "subject": "", "body": "", "send_at": "", "intent": intent}
    body.update(data)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/leads/{lead.pk}/messages/", body, **extra)


def test_a_follow_up_is_scheduled_in_the_workspace_time_zone(
    client, bob, lead, django_assert_max_num_queries
):
    when = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    client.force_login(bob.user)
    with django_assert_max_num_queries(12):
        response = compose(
            client, lead, "schedule", subject="Checking in", body="Hi Ada", send_at=local(when)
        )
    assert response.status_code == 204 and response["HX-Redirect"] == f"/leads/{lead.pk}/"
    message = ActionLog.objects.get(lead=lead, type="FOLLOW_UP_MESSAGE")
    assert (message.status, message.channel, message.subject) == ("PENDING", "EMAIL", "Checking in")
    assert message.scheduled_at == when
    assert message.actor_user == bob.user
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Follow-up scheduled." in page
    assert "Hi Ada" in page and "Cancel<span" in page


def test_a_draft_waits_for_approval_and_then_goes_out(
    client, bob, lead, django_assert_max_num_queries
):
    client.force_login(bob.user)
    compose(client, lead, "draft", channel="SMS", body="Your application is ready")
    draft = ActionLog.objects.get(lead=lead, type="MESSAGE")
    assert draft.status == "AWAITING_APPROVAL" and draft.scheduled_at is None
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Awaiting approval" in page and "Approve<span" in page
    before = timezone.now()
    with django_assert_max_num_queries(10):
        response = client.post(f"/leads/{lead.pk}/messages/{draft.pk}/approve/", {"send_at": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "PENDING" and draft.scheduled_at >= before
    assert draft.output["approvedBy"] == "bob@acme.test"


def test_a_draft_can_be_approved_for_a_later_time(client, bob, lead):
    draft = draft_create(lead=lead, actor=Actor.system(), channel="EMAIL", body="Later")
    when = (timezone.now() + datetime.timedelta(hours=5)).replace(second=0, microsecond=0)
    client.force_login(bob.user)
    client.post(f"/leads/{lead.pk}/messages/{draft.pk}/approve/", {"send_at": local(when)})
    draft.refresh_from_db()
    assert draft.status == "PENDING" and draft.scheduled_at == when


def test_cancelling_stops_a_draft_or_a_follow_up(client, bob, lead):
    later = timezone.now() + datetime.timedelta(days=1)
    follow_up = followup_schedule(
        lead=lead, actor=Actor.system(), channel="EMAIL", body="x", scheduled_at=later
    )
    draft = draft_create(lead=lead, actor=Actor.system(), channel="EMAIL", body="y")
    client.force_login(bob.user)
    for message in (follow_up, draft):
        response = client.post(
            f"/leads/{lead.pk}/messages/{message.pk}/cancel/", HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 204
        message.refresh_from_db()
        assert message.status == "CANCELLED" and message.error == "Cancelled by bob@acme.test"
    assert "Nothing waiting to go out." in client.get(f"/leads/{lead.pk}/").text
    # Cancelled twice: a clear refusal, not a crash.
    response = client.post(f"/leads/{lead.pk}/messages/{draft.pk}/cancel/", HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "This message is cancelled" in response.text


def test_a_follow_up_without_a_time_comes_back_with_the_error_and_the_text(client, bob, lead):
    client.force_login(bob.user)
    response = compose(client, lead, "schedule", subject="Hello", body="Keep this text")
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert 'id="id_send_at_error">Choose when the follow-up goes out.' in response.text
    assert "Keep this text" in response.text and 'value="Hello"' in response.text
    assert not ActionLog.objects.messages().exists()


def test_a_time_in_the_past_is_refused(client, bob, lead):
    client.force_login(bob.user)
    past = timezone.now() - datetime.timedelta(hours=1)
    response = compose(client, lead, "schedule", body="Late", send_at=local(past))
    assert response.status_code == 422
    assert "Choose a time that has not passed yet." in response.text
    assert not ActionLog.objects.messages().exists()


def test_the_services_refusals_come_back_beside_the_fields(client, bob, make_lead):
    no_email = make_lead(first_name="NoMail", phone="6782319992")
    client.force_login(bob.user)
    response = compose(client, no_email, "draft", channel="EMAIL", body="Hi")
    assert response.status_code == 422
    assert 'id="id_channel_error">This lead has no email address.' in response.text
    response = compose(client, no_email, "draft", channel="EMAIL", body="")
    assert 'id="id_body_error">Write the message.' in response.text
    assert not ActionLog.objects.messages().exists()


def test_without_htmx_an_error_renders_the_whole_page_with_the_composer_filled(client, bob, lead):
    client.force_login(bob.user)
    response = compose(client, lead, "schedule", htmx=False, body="Typed before the error")
    assert response.status_code == 200
    assert "<h1>Ada</h1>" in response.text
    assert "Typed before the error" in response.text
    assert "Choose when the follow-up goes out." in response.text


def test_an_opted_out_lead_gets_no_composer_and_no_messages(client, bob, make_lead):
    lead = make_lead(first_name="Gone", email="gone@x.test", opted_out=True)
    client.force_login(bob.user)
    page = client.get(f"/leads/{lead.pk}/").text
    assert "This lead opted out: no messages can be written or sent." in page
    assert "Schedule follow-up" not in page
    response = compose(client, lead, "draft", body="Hi")
    assert response.status_code == 422
    assert "This lead opted out" in response.text
    assert not ActionLog.objects.messages().exists()


def test_messages_respect_roles_leads_and_workspaces(
    client, ws_b, alice, bob, carol, dave, lead, make_lead
):
    draft = draft_create(lead=lead, actor=Actor.system(), channel="EMAIL", body="y")
    other = make_lead(first_name="Other", email="o@x.test")
    alices = make_lead(first_name="Alices", email="a@x.test", assignee=alice)
    client.force_login(carol.user)
    assert compose(client, lead, "draft", body="Hi").status_code == 403
    assert client.post(f"/leads/{lead.pk}/messages/{draft.pk}/cancel/").status_code == 403
    client.force_login(bob.user)
    # The draft is not the other lead's, and Alice's lead is not Bob's to see.
    assert client.post(f"/leads/{other.pk}/messages/{draft.pk}/cancel/").status_code == 404
    assert compose(client, alices, "draft", body="Hi").status_code == 404
    client.force_login(dave.user)
    assert client.post(f"/leads/{lead.pk}/messages/{draft.pk}/approve/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == "AWAITING_APPROVAL"
    assert ActionLog.objects.messages().count() == 1


def test_the_timeline_shows_the_message_text(client, bob, lead):
    followup_schedule(
        lead=lead,
        actor=Actor.system(),
        channel="EMAIL",
        subject="About your loan",
        body="Line one\nLine two",
        scheduled_at=timezone.now() + datetime.timedelta(hours=1),
    )
    client.force_login(bob.user)
    page = client.get(f"/leads/{lead.pk}/", {"panel": "timeline"}, HTTP_HX_REQUEST="true").text
    assert "<strong>About your loan</strong><br>Line one<br>Line two" in page
