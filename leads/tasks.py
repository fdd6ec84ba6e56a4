"""Background tasks of the leads app (run by `manage.py worker`)."""

from django_tasks import task

from leads.services import imports as import_services
from leads.services import messages as message_services
from leads.services import webhooks

# --- Messages: follow-ups and approved drafts (see leads/services/messages.py) ------------


@task()
def messages_send_due() -> dict[str, int]:
    """Periodic: send every follow-up and approved draft whose time has come."""
    report = message_services.messages_send_due()
    return {"sent": report.sent, "failed": report.failed, "cancelled": report.cancelled}


# --- Webhook delivery (see leads/services/webhooks.py) ----------------------------------


@task()
def webhook_deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """Send deliveries that were just committed (queued by the outbox after commit)."""
    return webhooks.webhook_deliver_many(delivery_ids=delivery_ids)


@task()
def webhook_deliveries_sweep() -> dict[str, int]:
    """Periodic: retries that are due, and deliveries whose worker died (lease expired)."""
    return webhooks.webhook_deliveries_sweep()


# --- Imports (see leads/services/imports.py) --------------------------------------------


@task()
def import_job_process(job_id: int) -> dict[str, int]:
    """Import a queued file's rows (resumes where a previous worker stopped)."""
    job = import_services.import_job_run(job_id=job_id)
    return {"processed": job.processed_rows, "created": job.created_count}


@task()
def import_job_revert(job_id: int) -> dict[str, int]:
    """Undo an import: restore what it updated, delete what it created."""
    job = import_services.import_job_revert_run(job_id=job_id)
    return {"deleted": job.revert_deleted, "restored": job.revert_restored}


@task()
def imports_resume_stale() -> dict[str, int]:
    """Periodic: imports and reverts whose worker died are queued again."""
    return {"requeued": import_services.imports_resume_stale()}
