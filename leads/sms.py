"""Sending text messages through a pluggable backend, the way Django sends email.

settings.SMS_BACKEND is the dotted path of a class with this interface:

    class MyProviderBackend(leads.sms.BaseSmsBackend):
        def send(self, message: SmsMessage) -> str:
            # deliver message.body to message.to (E.164) from message.sender;
            # return the provider's message id; raise SmsError when it refuses.

The default, LoggingSmsBackend, only writes each message to the "leadbook.sms" log, so a
new installation never texts anyone by accident. LocmemSmsBackend keeps messages in
`leads.sms.outbox` for tests. A real provider's backend reads its credentials from
settings and lives in the deployment's own package."""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("leadbook.sms")


class SmsError(Exception):
    """The backend could not send the message; the text says why."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    sender: str = ""


class BaseSmsBackend:
    """Subclass and implement send()."""

    def send(self, message: SmsMessage) -> str:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Logs the message instead of sending it (the default)."""

    def send(self, message: SmsMessage) -> str:
        message_id = f"log-{uuid.uuid4()}"
        logger.info(
            "SMS %s to %s from %s: %s",
            message_id,
            message.to,
            message.sender or "-",
            message.body,
        )
        return message_id


outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in leads.sms.outbox (tests)."""

    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        return f"locmem-{len(outbox)}"


def sms_backend() -> BaseSmsBackend:
    """An instance of settings.SMS_BACKEND."""
    return import_string(settings.SMS_BACKEND)()


def sms_send(*, to: str, body: str) -> str:
    """Send one text message; returns the provider's id or raises SmsError."""
    if not to:
        raise SmsError("No phone number to send to.")
    return sms_backend().send(SmsMessage(to=to, body=body, sender=settings.SMS_FROM))
