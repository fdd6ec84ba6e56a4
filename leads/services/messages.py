"""Outbound messages to a lead: follow-ups, drafts awaiting approval, and sending.

A message is an ActionLog row (type MESSAGE or FOLLOW_UP_MESSAGE, channel EMAIL or SMS,
direction OUTBOUND), so the timeline shows it and OmniAI's lastAction / nextFollowUp /
nextDraft are read straight from it:

    draft_create ──► AWAITING_APPROVAL ──draft_approve──► PENDING ──send──► COMPLETED
    followup_schedule ───────────────────────────────────► PENDING ──send──► FAILED
    message_cancel / opt-out / not interested (follow-ups) ──────────────► CANCELLED

Nothing is sent inside a request: messages_send_due (a periodic task) sends what is due,
EMAIL through Django's email framework and SMS through leads.sms."""

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog, Lead
from leads.services.timeline import actionlog_record
from leads.sms import sms_send

logger = logging.getLogger("leadbook.messages")

Type = ActionLog.Type
Status = ActionLog.Status
Channel = ActionLog.Channel
MESSAGE_TYPES = (Type.MESSAGE, Type.FOLLOW_UP_MESSAGE)


def _check_sendable(lead: Lead, *, channel: str, follow_up: bool) -> None:
    """Refuse a message that could never be sent."""
    if channel not in (Channel.EMAIL, Channel.SMS):
        raise ValidationError({"channel": "Choose EMAIL or SMS."})
    if lead.opted_out_at is not None:
        raise ValidationError("This lead opted out: no messages may be sent.")
    if follow_up and lead.status == Lead.Status.NOT_INTERESTED:
        raise ValidationError("This lead is not interested: no follow-ups.")
    if channel == Channel.EMAIL and not lead.email:
        raise ValidationError({"channel": "This lead has no email address."})
    if channel == Channel.SMS and not lead.phone:
        raise ValidationError({"channel": "This lead has no phone number."})


def _check_text(body: str, subject: str) -> tuple[str, str]:
    body = (body or "").strip()
    subject = (subject or "").strip()
    errors = {}
    if not body:
        errors["body"] = "Write the message."
    if len(subject) > 255:
        errors["subject"] = "At most 255 characters."
    if errors:
        raise ValidationError(errors)
    return body, subject


def _message(
    *,
    lead: Lead,
    actor: Actor,
    type: str,
    status: str,
    channel: str,
    body: str,
    subject: str,
    scheduled_at: datetime.datetime | None,
    summary: str,
) -> ActionLog:
    return actionlog_record(
        workspace=lead.workspace,
        actor=actor,
        lead=lead,
        type=type,
        status=status,
        event="message_scheduled" if status == Status.PENDING else "message_drafted",
        summary=summary,
        channel=channel,
        direction=ActionLog.Direction.OUTBOUND,
        subject=subject,
        body=body,
        scheduled_at=scheduled_at,
    )


@transaction.atomic
def followup_schedule(
    *,
    lead: Lead,
    actor: Actor,
    channel: str,
    body: str,
    scheduled_at: datetime.datetime,
    subject: str = "",
) -> ActionLog:
    """Schedule a follow-up: sent by the background sender once scheduled_at has come."""
    _check_sendable(lead, channel=channel, follow_up=True)
    body, subject = _check_text(body, subject)
    if scheduled_at is None or timezone.is_naive(scheduled_at):
        raise ValidationError({"scheduled_at": "Give the time with its time zone."})
    return _message(
        lead=lead,
        actor=actor,
        type=Type.FOLLOW_UP_MESSAGE,
        status=Status.PENDING,
        channel=channel,
        body=body,
        subject=subject,
        scheduled_at=scheduled_at,
        summary=f"Follow-up by {channel.lower()} scheduled",
    )


@transaction.atomic
def draft_create(
    *, lead: Lead, actor: Actor, channel: str, body: str, subject: str = ""
) -> ActionLog:
    """A message written for someone to approve before it goes out."""
    _check_sendable(lead, channel=channel, follow_up=False)
    body, subject = _check_text(body, subject)
    return _message(
        lead=lead,
        actor=actor,
        type=Type.MESSAGE,
        status=Status.AWAITING_APPROVAL,
        channel=channel,
        body=body,
        subject=subject,
        scheduled_at=None,
        summary=f"Draft {channel.lower()} awaiting approval",
    )


def _locked_message(message: ActionLog, expected: tuple[str, ...]) -> ActionLog:
    # Lead first, then message: the order lead_update takes them, so no deadlock.
    Lead.objects.select_for_update().filter(pk=message.lead_id).first()
    locked = (
        ActionLog.objects.select_for_update(of=("self",))
        .filter(pk=message.pk)
        .select_related("lead")
    )
    current = locked.first()
    if current is None or current.type not in MESSAGE_TYPES:
        raise ValidationError("No such message.")
    if current.lead is None:
        raise ValidationError("The lead of this message was deleted.")
    if current.status not in expected:
        raise ValidationError(
            f"This message is {current.get_status_display().lower()}, not "
            + " or ".join(Status(s).label.lower() for s in expected)
            + "."
        )
    return current


@transaction.atomic
def draft_approve(
    *, draft: ActionLog, actor: Actor, send_at: datetime.datetime | None = None
) -> ActionLog:
    """Approve a draft: it is sent at send_at, or as soon as the sender next runs."""
    message = _locked_message(draft, (Status.AWAITING_APPROVAL,))
    _check_sendable(message.lead, channel=message.channel, follow_up=False)
    now = timezone.now()
    if send_at is not None and timezone.is_naive(send_at):
        raise ValidationError({"send_at": "Give the time with its time zone."})
    message.status = Status.PENDING
    message.scheduled_at = send_at or now
    message.output = {
        **(message.output or {}),
        "approvedBy": actor.label,
        "approvedAt": now.isoformat(),
    }
    message.save(update_fields=["status", "scheduled_at", "output"])
    return message


@transaction.atomic
def message_cancel(*, message: ActionLog, actor: Actor, reason: str = "") -> ActionLog:
    """Cancel a draft or a message not sent yet."""
    message = _locked_message(message, (Status.AWAITING_APPROVAL, Status.PENDING))
    message.status = Status.CANCELLED
    message.error = (reason or f"Cancelled by {actor.label}")[:1000]
    message.save(update_fields=["status", "error"])
    return message


# --- sending ------------------------------------------------------------------------------


def _deliver(message: ActionLog, lead: Lead) -> dict[str, Any]:
    """Hand the message to the email framework or the SMS backend. Raises on failure."""
    if message.channel == Channel.EMAIL:
        if not lead.email:
            raise ValueError("The lead has no email address.")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[lead.email],
            headers={"X-Leadbook-Message-Id": str(message.uuid)},
        )
        email.send(fail_silently=False)
        return {"channel": "EMAIL", "to": lead.email}
    if message.channel == Channel.SMS:
        to = lead.phone_e164
        provider_id = sms_send(to=to, body=message.body)
        return {"channel": "SMS", "to": to, "providerMessageId": provider_id}
    raise ValueError(f"Unknown channel “{message.channel}”.")


def message_send(*, message_id: int) -> ActionLog | None:
    """Send one due message, unless its lead opted out (then it is CANCELLED; so are
    follow-ups of a lead no longer interested). It ends COMPLETED, or FAILED with the
    error. The lead row is locked while sending, so an opt-out cannot slip in between
    the check and the send, and two workers never send the same message."""
    with transaction.atomic():
        message = ActionLog.objects.filter(pk=message_id).only("pk", "lead_id").first()
        if message is None:
            return None
        lead = Lead.objects.select_for_update().filter(pk=message.lead_id).first()
        message = (
            ActionLog.objects.select_for_update()
            .filter(pk=message_id, status=Status.PENDING, type__in=MESSAGE_TYPES)
            .first()
        )
        if message is None:  # sent, cancelled or claimed meanwhile
            return None
        now = timezone.now()
        cancel_reason = ""
        if lead is None:
            cancel_reason = "The lead was deleted."
        elif lead.opted_out_at is not None:
            cancel_reason = "Lead opted out"
        elif message.type == Type.FOLLOW_UP_MESSAGE and lead.status == Lead.Status.NOT_INTERESTED:
            cancel_reason = "Lead not interested"
        if cancel_reason:
            message.status = Status.CANCELLED
            message.error = cancel_reason
            message.save(update_fields=["status", "error"])
            return message
        try:
            result = _deliver(message, lead)
        except Exception as exc:  # the provider's failure is the message's outcome
            logger.warning("message %s failed: %s", message.pk, exc)
            message.status = Status.FAILED
            message.error = f"{type(exc).__name__}: {exc}"[:2000]
            message.save(update_fields=["status", "error"])
            return message
        message.status = Status.COMPLETED
        message.completed_at = now
        message.error = ""
        message.output = {**(message.output or {}), **result, "sentAt": now.isoformat()}
        message.save(update_fields=["status", "completed_at", "error", "output"])
        Lead.objects.filter(pk=lead.pk).update(
            last_contacted_at=now,
            last_interaction_at=now,
            interaction_count=models.F("interaction_count") + 1,
        )
        return message


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0


def messages_send_due(*, now: datetime.datetime | None = None, limit: int = 200) -> SendReport:
    """Send every PENDING message whose time has come (oldest first, at most `limit`)."""
    now = now or timezone.now()
    due = list(
        ActionLog.objects.filter(
            status=Status.PENDING,
            type__in=MESSAGE_TYPES,
            scheduled_at__lte=now,
        )
        .order_by("scheduled_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    report = SendReport()
    for pk in due:
        message = message_send(message_id=pk)
        if message is None:
            continue
        if message.status == Status.COMPLETED:
            report.sent += 1
        elif message.status == Status.FAILED:
            report.failed += 1
        elif message.status == Status.CANCELLED:
            report.cancelled += 1
    return report


# --- reading ------------------------------------------------------------------------------


@dataclass
class MessageSummary:
    """OmniAI's lastAction, nextFollowUp and nextDraft for one lead."""

    last_action: ActionLog | None
    next_follow_up: ActionLog | None
    next_draft: ActionLog | None


def lead_message_summary(lead: Lead) -> MessageSummary:
    """The latest sent outbound message, the next pending follow-up and the oldest draft
    awaiting approval: three indexed single-row reads."""
    messages = ActionLog.objects.messages().filter(lead=lead)
    return MessageSummary(
        last_action=messages.filter(status=Status.COMPLETED, direction=ActionLog.Direction.OUTBOUND)
        .order_by("-completed_at", "-id")
        .first(),
        next_follow_up=messages.filter(type=Type.FOLLOW_UP_MESSAGE, status=Status.PENDING)
        .order_by("scheduled_at", "id")
        .first(),
        next_draft=messages.filter(status=Status.AWAITING_APPROVAL)
        .order_by("created_at", "id")
        .first(),
    )


def message_summary_of(logs: Sequence[ActionLog]) -> MessageSummary:
    """lead_message_summary computed from a lead's complete timeline already in memory
    (same rules, no query)."""
    messages = [log for log in logs if log.type in (Type.MESSAGE, Type.FOLLOW_UP_MESSAGE)]
    sent = [
        m
        for m in messages
        if m.status == Status.COMPLETED and m.direction == ActionLog.Direction.OUTBOUND
    ]
    follow_ups = [
        m for m in messages if m.type == Type.FOLLOW_UP_MESSAGE and m.status == Status.PENDING
    ]
    drafts = [m for m in messages if m.status == Status.AWAITING_APPROVAL]
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return MessageSummary(
        last_action=max(
            sent,
            key=lambda m: (
                m.completed_at or datetime.datetime.min.replace(tzinfo=datetime.UTC),
                m.pk,
            ),
            default=None,
        ),
        next_follow_up=min(follow_ups, key=lambda m: (m.scheduled_at or never, m.pk), default=None),
        next_draft=min(drafts, key=lambda m: (m.created_at, m.pk), default=None),
    )
