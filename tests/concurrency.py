"""Running real threads against the database in concurrency tests."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_in_threads(
    count: int, target: Callable[[int], Any]
) -> tuple[list[Any], list[BaseException]]:
    """Start `count` threads that call target(n) at the same moment; return their results
    and errors. Every thread closes its own database connections when done."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = target(n)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
