"""Background tasks of the leads app (run by `manage.py worker`)."""

from django_tasks import task

from leads.services import messages as message_services

# --- Messages: follow-ups and approved drafts (see leads/services/messages.py) ------------


@task()
def messages_send_due() -> dict[str, int]:
    """Periodic: send every follow-up and approved draft whose time has come."""
    report = message_services.messages_send_due()
    return {"sent": report.sent, "failed": report.failed, "cancelled": report.cancelled}


# --- end of messages tasks ----------------------------------------------------------------
