"""Webhook delivery throughput of one worker: N lead events queued for a receiver on
127.0.0.1 (its own process), then one worker process sends them all; prints
deliveries per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbook_bench \\
        .venv/bin/python bench/webhook_bench.py --events 5000

Uses the workspace "Demo Sales" (run seed_demo first; bench/run.py does). Delivery is
the real path: lease, signature (Standard Webhooks + X-Mega-Signature), SSRF check of
the URL, HTTP POST, outcome recorded."""

import argparse
import json
import multiprocessing
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def receiver(port_queue: multiprocessing.Queue) -> None:
    class Handler(BaseHTTPRequestHandler):
        # A receiver that answers like a production server: keep-alive, the whole
        # response in one write, no Nagle delay on small packets.
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    opts = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=receiver, args=(ports,), daemon=True)
    server.start()
    port = ports.get(timeout=10)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leads_project.settings")
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"  # the receiver is on 127.0.0.1
    # A worker runs with DEBUG off, whatever a local .env says: DEBUG keeps every SQL
    # statement in memory, which halved the figure.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "webhook-bench-only-" + "x" * 32)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import transaction

    from leads.actors import Actor
    from leads.models import Lead, WebhookDelivery, WebhookEndpoint, Workspace
    from leads.services.events import lead_event_emit
    from leads.services.webhooks import webhook_deliveries_sweep, webhook_endpoint_create

    workspace = Workspace.objects.get(name="Demo Sales")
    WebhookEndpoint.objects.filter(workspace=workspace, description="webhook bench").delete()
    WebhookEndpoint.objects.filter(workspace=workspace).update(is_active=False)
    # Only this run's deliveries may be pending, so the sweep measures them alone.
    WebhookDelivery.objects.filter(status="pending").update(status="failed")
    endpoint, _ = webhook_endpoint_create(
        workspace=workspace,
        actor=Actor.system(),
        url=f"http://127.0.0.1:{port}/hook",
        event_types=["lead.updated"],
        description="webhook bench",
    )
    leads = list(Lead.objects.filter(workspace=workspace)[: opts.events])
    with transaction.atomic():
        for lead in leads:  # the real outbox rows, as a change would write them
            lead_event_emit(lead=lead, event_type="lead.updated", changes={"score": 1})
    pending = WebhookDelivery.objects.filter(endpoint=endpoint, status="pending")
    total = pending.count()

    from django.conf import settings

    settings.WEBHOOK_SWEEP_BATCH = 100_000
    settings.WEBHOOK_SWEEP_SECONDS = 3600
    started = time.perf_counter()
    outcomes = webhook_deliveries_sweep()
    elapsed = time.perf_counter() - started
    delivered = WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").count()
    result = {
        "events": total,
        "delivered": delivered,
        "seconds": round(elapsed, 2),
        "deliveries_per_second": round(delivered / elapsed, 1),
        "outcomes": outcomes,
    }
    print(json.dumps(result))
    endpoint.delete()
    server.terminate()


if __name__ == "__main__":
    main()
