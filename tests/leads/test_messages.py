"""Follow-ups and drafts: scheduling, approval, cancellation and real sending."""

import logging
import smtplib
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from leads import sms
from leads.models import ActionLog, Lead
from leads.services.leads import lead_create, lead_update
from leads.services.messages import (
    draft_approve,
    draft_create,
    followup_schedule,
    lead_message_summary,
    message_cancel,
    message_summary_of,
    messages_send_due,
)
from leads.tasks import messages_send_due as send_due_task
from tests.concurrency import run_in_threads


class BrokenSms(sms.BaseSmsBackend):
    def send(self, message: sms.SmsMessage) -> str:
        raise sms.SmsError("provider said no")


class BrokenEmail(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPException("mail server down")


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "leads.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def lead(ws_a, actor_a):
    return lead_create(
        workspace=ws_a,
        actor=actor_a,
        data={"first_name": "Mia", "email": "mia@example.com", "phone": "6782319992"},
        route=False,
    ).lead


def due_follow_up(lead, actor, channel="EMAIL", **kwargs):
    return followup_schedule(
        lead=lead,
        actor=actor,
        channel=channel,
        subject=kwargs.pop("subject", "Checking in"),
        body=kwargs.pop("body", "Any questions about the quote?"),
        scheduled_at=kwargs.pop("scheduled_at", timezone.now() - timedelta(seconds=1)),
    )


def test_a_due_email_follow_up_is_sent_by_the_periodic_task(lead, actor_a):
    message = due_follow_up(lead, actor_a)

    result = send_due_task.enqueue()

    assert result.return_value == {"sent": 1, "failed": 0, "cancelled": 0}
    [email] = mail.outbox
    assert email.to == ["mia@example.com"]
    assert (email.subject, email.body) == ("Checking in", "Any questions about the quote?")
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    message.refresh_from_db()
    assert message.status == "COMPLETED" and message.completed_at is not None
    assert message.output["to"] == "mia@example.com"
    lead.refresh_from_db()
    assert lead.last_contacted_at is not None and lead.interaction_count == 1
    assert lead_message_summary(lead).last_action == message


def test_an_sms_goes_through_the_configured_backend(lead, actor_a, sms_outbox):
    message = due_follow_up(lead, actor_a, channel="SMS", body="Hi Mia, Leadbook here")

    messages_send_due()

    assert sms_outbox == [sms.SmsMessage(to="+16782319992", body="Hi Mia, Leadbook here")]
    message.refresh_from_db()
    assert message.status == "COMPLETED"
    assert message.output["providerMessageId"] == "locmem-1"


def test_the_default_sms_backend_only_logs(lead, actor_a, settings, caplog):
    settings.SMS_BACKEND = "leads.sms.LoggingSmsBackend"
    due_follow_up(lead, actor_a, channel="SMS", body="Logged only")
    with caplog.at_level(logging.INFO, logger="leadbook.sms"):
        messages_send_due()
    assert "Logged only" in caplog.text and "+16782319992" in caplog.text
    assert ActionLog.objects.messages().get().status == "COMPLETED"


def test_a_message_not_yet_due_waits(lead, actor_a):
    message = due_follow_up(lead, actor_a, scheduled_at=timezone.now() + timedelta(hours=1))
    assert messages_send_due().sent == 0
    assert mail.outbox == []
    assert messages_send_due(now=timezone.now() + timedelta(hours=2)).sent == 1
    message.refresh_from_db()
    assert message.status == "COMPLETED"


def test_a_lead_that_opts_out_before_the_send_time_gets_nothing(lead, actor_a, sms_outbox):
    email = due_follow_up(lead, actor_a, scheduled_at=timezone.now() + timedelta(hours=1))
    text = due_follow_up(lead, actor_a, channel="SMS")
    lead_update(lead=lead, actor=actor_a, data={"opted_out": True})

    report = messages_send_due(now=timezone.now() + timedelta(hours=2))

    assert report.sent == 0
    assert mail.outbox == [] and sms_outbox == []
    for message in (email, text):
        message.refresh_from_db()
        assert message.status == "CANCELLED" and message.error == "Lead opted out"


def test_the_sender_checks_the_opt_out_again_at_send_time(lead, actor_a):
    message = due_follow_up(lead, actor_a)
    Lead.objects.filter(pk=lead.pk).update(opted_out_at=timezone.now())  # e.g. an import

    report = messages_send_due()

    assert (report.sent, report.cancelled) == (0, 1)
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == "CANCELLED"


def test_a_follow_up_for_a_lead_no_longer_interested_is_cancelled_at_send_time(lead, actor_a):
    message = due_follow_up(lead, actor_a)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.NOT_INTERESTED)
    assert messages_send_due().cancelled == 1
    message.refresh_from_db()
    assert message.error == "Lead not interested"


def test_a_provider_failure_marks_the_message_failed_with_the_error(lead, actor_a, settings):
    settings.SMS_BACKEND = "tests.leads.test_messages.BrokenSms"
    settings.EMAIL_BACKEND = "tests.leads.test_messages.BrokenEmail"
    text = due_follow_up(lead, actor_a, channel="SMS")
    email = due_follow_up(lead, actor_a)

    report = messages_send_due()

    assert (report.sent, report.failed) == (0, 2)
    text.refresh_from_db()
    email.refresh_from_db()
    assert (text.status, text.error) == ("FAILED", "SmsError: provider said no")
    assert (email.status, email.error) == ("FAILED", "SMTPException: mail server down")
    assert messages_send_due().failed == 0  # a failed message is not retried


def test_a_draft_waits_for_approval_then_goes_out(lead, actor_a, bob):
    draft = draft_create(lead=lead, actor=actor_a, channel="EMAIL", subject="Quote", body="Here")
    assert messages_send_due().sent == 0
    assert lead_message_summary(lead).next_draft == draft

    approver = type(actor_a)(user=bob.user, membership=bob)
    approved = draft_approve(draft=draft, actor=approver)

    assert approved.status == "PENDING" and approved.output["approvedBy"] == "bob@acme.test"
    assert lead_message_summary(lead).next_draft is None
    assert messages_send_due().sent == 1
    assert [m.subject for m in mail.outbox] == ["Quote"]


def test_an_approved_draft_can_be_scheduled_for_later(lead, actor_a):
    draft = draft_create(lead=lead, actor=actor_a, channel="SMS", body="Later")
    draft_approve(draft=draft, actor=actor_a, send_at=timezone.now() + timedelta(days=1))
    assert messages_send_due().sent == 0
    draft.refresh_from_db()
    assert draft.status == "PENDING" and draft.scheduled_at > timezone.now()


def test_cancelled_drafts_and_follow_ups_are_never_sent(lead, actor_a):
    draft = draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="No")
    follow_up = due_follow_up(lead, actor_a)
    message_cancel(message=draft, actor=actor_a)
    message_cancel(message=follow_up, actor=actor_a, reason="Changed my mind")

    assert messages_send_due().sent == 0
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.error) == ("CANCELLED", "Changed my mind")
    with pytest.raises(ValidationError):
        draft_approve(draft=draft, actor=actor_a)
    with pytest.raises(ValidationError):
        message_cancel(message=follow_up, actor=actor_a)


def test_messages_that_could_never_be_sent_are_refused(ws_a, actor_a, lead):
    no_contact = lead_create(workspace=ws_a, actor=actor_a, data={"first_name": "X"}).lead
    with pytest.raises(ValidationError):
        due_follow_up(no_contact, actor_a)
    with pytest.raises(ValidationError):
        draft_create(lead=no_contact, actor=actor_a, channel="SMS", body="x")
    with pytest.raises(ValidationError):
        draft_create(lead=lead, actor=actor_a, channel="FAX", body="x")
    with pytest.raises(ValidationError):
        draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="   ")
    with pytest.raises(ValidationError):
        due_follow_up(lead, actor_a, scheduled_at=timezone.now().replace(tzinfo=None))
    lead_update(lead=lead, actor=actor_a, data={"status": "not_interested"})
    with pytest.raises(ValidationError):
        due_follow_up(lead, actor_a)
    draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="A reply is still fine")
    lead_update(lead=lead, actor=actor_a, data={"opted_out": True})
    with pytest.raises(ValidationError):
        draft_create(lead=lead, actor=actor_a, channel="EMAIL", body="x")
    assert ActionLog.objects.messages().exclude(status="CANCELLED").count() == 0


def test_the_worker_runs_the_sender_periodically():
    paths = dict(settings.PERIODIC_TASKS)
    assert "leads.tasks.messages_send_due" in paths
    assert import_string("leads.tasks.messages_send_due") is send_due_task


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_message_twice(ws_a, actor_a):
    assert connection.vendor == "postgresql"
    lead = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Race", "email": "race@example.com"}
    ).lead
    for n in range(30):
        due_follow_up(lead, actor_a, subject=f"#{n}")

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        results, errors = run_in_threads(4, lambda _: messages_send_due().sent)

    assert errors == []
    assert sum(results) == 30
    assert sorted(m.subject for m in mail.outbox) == sorted(f"#{n}" for n in range(30))
    assert set(ActionLog.objects.messages().values_list("status", flat=True)) == {"COMPLETED"}


def test_the_summary_from_a_timeline_in_hand_matches_the_one_read_from_the_database(lead, actor_a):
    now = timezone.now()
    followup_schedule(
        lead=lead, actor=actor_a, channel="SMS", body="later", scheduled_at=now + timedelta(days=2)
    )
    soonest = followup_schedule(
        lead=lead, actor=actor_a, channel="SMS", body="soon", scheduled_at=now + timedelta(days=1)
    )
    first_draft = draft_create(lead=lead, actor=actor_a, channel="EMAIL", subject="A", body="one")
    draft_create(lead=lead, actor=actor_a, channel="EMAIL", subject="B", body="two")
    sent = due_follow_up(lead, actor_a)
    messages_send_due()
    timeline = list(ActionLog.objects.for_lead(lead))
    from_db, in_hand = lead_message_summary(lead), message_summary_of(timeline)
    assert (in_hand.last_action, in_hand.next_follow_up, in_hand.next_draft) == (
        from_db.last_action,
        from_db.next_follow_up,
        from_db.next_draft,
    )
    assert (from_db.last_action, from_db.next_follow_up, from_db.next_draft) == (
        sent,
        soonest,
        first_draft,
    )
