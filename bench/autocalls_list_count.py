"""How much the Autocalls list's `total` costs on a large table.

Fills one workspace with N campaign leads (default 1,000,000) in a scratch database and
times the exact COUNT against the capped one the list uses, plus a whole list request.

    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/autocalls_list_count.py
    DATABASE_URL=sqlite:////tmp/scratch.sqlite3 .venv/bin/python bench/autocalls_list_count.py

Never point it at a database you care about: it migrates and writes to it."""

import os
import statistics
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leads_project.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijkl")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from campaigns.models import Campaign, CampaignLead  # noqa: E402
from leads.models import Lead, Workspace  # noqa: E402
from leads.services.api_keys import api_key_create  # noqa: E402

ROWS = int(os.environ.get("ROWS", "1000000"))
CAPS = (10_000, 100_000)


def timed(fn, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def fill() -> tuple[Workspace, Campaign]:
    workspace, _ = Workspace.objects.get_or_create(name="Bench")
    campaign, _ = Campaign.objects.get_or_create(
        workspace=workspace, name="Bench", defaults={"timezone": "America/New_York"}
    )
    have = CampaignLead.objects.filter(campaign=campaign).count()
    if have >= ROWS:
        return workspace, campaign
    lead = Lead.objects.create(workspace=workspace, first_name="Bench")
    batch = 20_000
    for start in range(have, ROWS, batch):
        CampaignLead.objects.bulk_create(
            CampaignLead(
                workspace=workspace,
                campaign=campaign,
                lead=lead,
                phone=f"+1212{n:07d}",
                status="completed" if n % 4 == 0 else "created",
            )
            for n in range(start, min(start + batch, ROWS))
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return workspace, campaign


def main() -> None:
    call_command("migrate", verbosity=0)
    workspace, _ = fill()
    qs = CampaignLead.objects.filter(workspace=workspace)
    print(f"{connection.vendor}: {qs.count():,} campaign leads in one workspace")
    print(f"  exact COUNT(*)                     {timed(lambda: qs.count()):8.1f} ms")
    for cap in CAPS:
        capped = lambda cap=cap: qs.order_by()[: cap + 1].count()  # noqa: E731
        print(f"  capped count (cap {cap:>7,})        {timed(capped):8.1f} ms")
    filtered = qs.filter(status="created")
    print(f"  exact COUNT(*) status=created      {timed(lambda: filtered.count()):8.1f} ms")
    secret = api_key_create(workspace=workspace, name="bench")[1]
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}
    for url in ("/api/user/leads", "/api/user/leads?page=500", "/api/user/leads?status=created"):
        ms = timed(lambda url=url: client.get(url, headers=headers))
        total = client.get(url, headers=headers).json()["total"]
        print(f"  GET {url:<34} {ms:8.1f} ms  total={total:,}")


if __name__ == "__main__":
    main()
