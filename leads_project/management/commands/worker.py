"""The background worker: runs queued tasks (django-tasks' db_worker, or an RQ worker
when TASKS_BACKEND=rq) and, beside it, queues the periodic jobs listed in
settings.PERIODIC_TASKS at their intervals.

Several workers may run at once; every periodic job is safe to run twice."""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger("leadbook.worker")


def _schedule(stop: threading.Event) -> None:
    jobs = [(import_string(path), seconds) for path, seconds in settings.PERIODIC_TASKS]
    next_run = [0.0] * len(jobs)
    while not stop.is_set():
        now = time.monotonic()
        for i, (task, seconds) in enumerate(jobs):
            if now >= next_run[i]:
                try:
                    task.enqueue()
                except Exception:
                    logger.exception("could not queue periodic task %s", task.name)
                finally:
                    close_old_connections()
                next_run[i] = now + seconds
        stop.wait(1.0)


class Command(BaseCommand):
    help = "Run background tasks and queue the periodic ones (webhook retries, purges, …)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-schedule", action="store_true", help="Do not queue periodic jobs."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["no_schedule"] and settings.PERIODIC_TASKS:
            threading.Thread(target=_schedule, args=(stop,), daemon=True, name="scheduler").start()
        try:
            if settings.TASKS_BACKEND == "rq":
                call_command("rqworker", "default", "--job-class", "django_tasks_rq.Job")
            else:
                call_command("db_worker", "--no-reload", "--interval", "0.5")
        finally:
            stop.set()
