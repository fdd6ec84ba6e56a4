"""Background tasks of the leads app (run by `manage.py worker`)."""

from django_tasks import task

from leads.services import webhooks

# --- Webhook delivery ------------------------------------------------------------------


@task()
def webhook_deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """Send deliveries that were just committed (queued by the outbox after commit)."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = webhooks.webhook_deliver(delivery_id=delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@task()
def webhook_deliveries_sweep() -> dict[str, int]:
    """Periodic: retries that are due, and deliveries whose worker died (lease expired)."""
    return webhooks.webhook_deliveries_sweep()
