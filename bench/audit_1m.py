"""The settings audit trail at a million entries: generate them on PostgreSQL, then time
the page and its filters.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_yourname
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/audit_1m.py --entries 1000000

Rows are generated inside PostgreSQL (INSERT … SELECT generate_series): 80% by ten
people, 15% by one API key, 4.9% by Leadbook itself, 0.1% by a second, rarely used key;
one event in a thousand is a rare one; a third of the entries belong to one of 2,000
leads; they spread over a year. Timings are server time through Django's full stack
in-process (test client, no network): median and worst of REPEAT runs after a warm-up.
Results go to bench/out/audit_1m.json."""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leads_project.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from leads.models import ActionLog, ApiKey, Lead, Membership, User, Workspace  # noqa: E402
from leads.pagination import _encode  # noqa: E402
from leads.services.api_keys import api_key_create  # noqa: E402
from leads.views.settings.audit import NEWEST_FIRST  # noqa: E402

WORKSPACE = "Bench audit 1M"
REPEAT = 7
LEADS = 2000
EVENTS = ["lead_updated", "lead_created", "lead_assigned", "message_scheduled", "team_updated"]


def setup() -> tuple[Workspace, list[Membership], ApiKey, ApiKey, list[int]]:
    workspace, _ = Workspace.objects.get_or_create(name=WORKSPACE)
    members = []
    for i in range(10):
        email = f"audit{i}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password="bench-password-123"
        )
        member, _ = Membership.objects.get_or_create(
            workspace=workspace,
            user=user,
            defaults={"role": "owner" if i == 0 else "agent", "display_name": email},
        )
        members.append(member)
    keys = list(ApiKey.objects.filter(workspace=workspace).order_by("pk"))
    while len(keys) < 2:
        keys.append(api_key_create(workspace=workspace, name=f"Bench key {len(keys)}")[0])
    have = Lead.objects.filter(workspace=workspace).count()
    if have < LEADS:
        Lead.objects.bulk_create(
            Lead(workspace=workspace, first_name=f"Audit {n}") for n in range(have, LEADS)
        )
    leads = list(
        Lead.objects.filter(workspace=workspace).order_by("pk").values_list("pk", flat=True)
    )
    return workspace, members, keys[0], keys[1], leads


def fill(workspace, members, busy_key, rare_key, leads, total: int) -> None:
    have = ActionLog.objects.filter(workspace=workspace).count()
    if have >= total:
        print(f"{have} entries already there")
        return
    users = [m.user_id for m in members]
    first, last = leads[0], leads[-1]
    actor_user = f"CASE WHEN g % 100 < 80 THEN (ARRAY{users!r})[1 + g % {len(users)}] END"
    actor_key = (
        f"CASE WHEN g % 1000 = 999 THEN {rare_key.pk} "
        f"WHEN g % 100 >= 80 AND g % 100 < 95 THEN {busy_key.pk} END"
    )
    lead = f"CASE WHEN g % 3 = 0 THEN {first} + (g / 3) % ({last - first + 1}) END"
    columns = {
        "uuid": "md5(random()::text || g)::uuid",
        "workspace_id": str(workspace.pk),
        "lead_id": lead,
        "lead_pk": lead,
        "type": "(ARRAY['MANUAL_UPDATE','API_ACTIVITY','SETTINGS','ASSIGNMENT'])[1 + g % 4]",
        "status": "'COMPLETED'",
        "event": (
            f"CASE WHEN g % 1000 = 500 THEN 'webhook_secret_rotated' "
            f"ELSE (ARRAY{EVENTS!r})[1 + g % {len(EVENTS)}] END"
        ),
        "summary": "'Bench entry ' || g",
        "description": "''",
        "input": """jsonb_build_object('eventType', 'lead_updated', 'n', g)""",
        "error": "''",
        "channel": "''",
        "direction": "''",
        "subject": "''",
        "body": "''",
        "actor_user_id": actor_user,
        "actor_key_id": actor_key,
        "actor_label": "'bench'",
        "request_method": "'POST'",
        "request_path": "'/api/v1/leads'",
        "created_at": f"now() - ((g::float / {total}) * interval '365 days')",
    }
    batch = 100_000
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(have + 1, total + 1, batch):
            end = min(start + batch - 1, total)
            cursor.execute(
                f"INSERT INTO leads_actionlog ({', '.join(columns)}) "
                f"SELECT {', '.join(columns.values())} FROM generate_series({start}, {end}) AS g"
            )
            print(f"  {end} entries ({time.perf_counter() - started:.0f}s)", flush=True)
        cursor.execute("ANALYZE leads_actionlog")


def timed(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm-up
    runs = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        runs.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(runs), max(runs), len(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "set DATABASE_URL to your PostgreSQL database"
    workspace, members, busy_key, rare_key, leads = setup()
    fill(workspace, members, busy_key, rare_key, leads, args.entries)
    total = ActionLog.objects.filter(workspace=workspace).count()
    owner = Client()
    owner.force_login(members[0].user)
    row = ActionLog.objects.filter(workspace=workspace).order_by(*NEWEST_FIRST.order_by)[
        900_000 * total // 1_000_000
    ]
    deep = _encode(NEWEST_FIRST, row)
    day = timezone.localdate(timezone.now() - timezone.timedelta(days=100))
    scenarios = [
        ("first page (newest)", "/settings/audit/"),
        ("page at entry 900,000", f"/settings/audit/?after={deep}"),
        ("one person (8% of entries)", f"/settings/audit/?actor=user:{members[3].user_id}"),
        ("busy API key (15%)", f"/settings/audit/?actor=key:{busy_key.pk}"),
        ("rare API key (0.1%)", f"/settings/audit/?actor=key:{rare_key.pk}"),
        ("Leadbook itself (4.9%)", "/settings/audit/?actor=system"),
        ("common event (20%)", "/settings/audit/?event=lead_created"),
        ("rare event (0.1%)", "/settings/audit/?event=webhook_secret_rotated"),
        ("event that never happened", "/settings/audit/?event=nothing_like_this"),
        ("one lead", f"/settings/audit/?lead={leads[len(leads) // 2]}"),
        ("one day, 100 days ago", f"/settings/audit/?date_from={day}&date_until={day}"),
        ("kind API activity", "/settings/audit/?type=API_ACTIVITY"),
        (
            "CSV of one day (~2,700 rows)",
            f"/settings/audit/export.csv?date_from={day}&date_until={day}",
        ),
    ]
    results = []
    print(f"\n{total:,} audit entries in “{WORKSPACE}”; median / worst of {REPEAT} runs")
    for label, url in scenarios:
        median, worst, size = timed(owner, url)
        results.append(
            {
                "scenario": label,
                "url": url,
                "median_ms": round(median, 1),
                "worst_ms": round(worst, 1),
                "bytes": size,
            }
        )
        print(f"{median:8.1f} ms {worst:8.1f} ms  {label}", flush=True)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit_1m.json").write_text(
        json.dumps(
            {"entries": total, "at": timezone.now().isoformat(), "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
