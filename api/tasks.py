from django_tasks import task

from api.idempotency import idempotency_purge as purge


@task()
def idempotency_purge() -> int:
    """Periodic: forget idempotency records past their retention."""
    return purge()
