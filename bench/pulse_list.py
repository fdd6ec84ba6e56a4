"""How fast GET /api/leads (Pulse) answers on a big workspace.

Fills a PostgreSQL database with N leads in one workspace (set-based SQL, about a
minute per million rows), then times list requests through the whole Django stack
(auth, filters, capped count, page, audit prefetch, rendering).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_bench \\
        .venv/bin/python bench/pulse_list.py --leads 1000000

The database is migrated first; the bench workspace is dropped and refilled unless
--reuse is given. Never point this at a database you care about."""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leads_project.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijkl")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import NOT_PROVIDED  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from leads.models import Lead, Team, Workspace  # noqa: E402
from leads.services.api_keys import api_key_create  # noqa: E402

WORKSPACE = "Pulse bench"

# Columns given a per-row value; every other column gets its default (or NULL/"").
ROW_VALUES = {
    "uuid": "gen_random_uuid()",
    "workspace_id": "{ws}",
    "created_at": "now() - make_interval(secs => i * 30)",
    "updated_at": "now() - make_interval(secs => i * 30)",
    "first_name": "(ARRAY['Ada','Grace','Alan','Edsger','Barbara','Ken','Linus','Margaret'])"
    "[1 + i %% 8] || i",
    "last_name": "'Surname' || (i %% 5000)",
    "email": "'lead' || i || '@example.com'",
    "email_normalized": "'lead' || i || '@example.com'",
    "phone": "'+1415' || lpad((i %% 10000000)::text, 7, '0')",
    "phone_last10": "'415' || lpad((i %% 10000000)::text, 7, '0')",
    "company": "'Company ' || (i %% 20000)",
    "notes": "CASE WHEN i %% 100 = 0 THEN 'needs a callback' ELSE '' END",
    "archived_at": "CASE WHEN i %% 10 = 0 THEN now() ELSE NULL END",
    "team_id": "(ARRAY[{t1}, {t2}, {t3}])[1 + i %% 3]",
    "number_of_employees": "i %% 500",
}


def _default_sql(field: object) -> tuple[str, list]:
    if field.default is not NOT_PROVIDED:
        value = field.get_default()
        if isinstance(value, dict | list):
            return "%s::jsonb", [json.dumps(value)]
        return "%s", [value]
    if field.null:
        return "NULL", []
    return "''", []


def fill(count: int) -> tuple[Workspace, str]:
    Workspace.objects.filter(name=WORKSPACE).delete()
    workspace = Workspace.objects.create(name=WORKSPACE)
    teams = [Team.objects.create(workspace=workspace, name=f"Team {i}") for i in range(3)]
    _, key = api_key_create(workspace=workspace, name="bench")
    columns, expressions, params = [], [], []
    for field in Lead._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.column in ROW_VALUES:
            expressions.append(
                ROW_VALUES[field.column].format(
                    ws=workspace.pk, t1=teams[0].pk, t2=teams[1].pk, t3=teams[2].pk
                )
            )
        else:
            sql, values = _default_sql(field)
            expressions.append(sql)
            params += values
    started = time.perf_counter()
    step = 200_000
    with connection.cursor() as cursor:
        for start in range(0, count, step):
            stop = min(start + step, count)
            cursor.execute(
                f"INSERT INTO leads_lead ({', '.join(columns)}) "
                f"SELECT {', '.join(expressions)} FROM generate_series({start}, {stop - 1}) AS i",
                params,
            )
        cursor.execute("ANALYZE leads_lead")
    print(f"filled {count:,} leads in {time.perf_counter() - started:.1f}s")
    return workspace, key


def timed(client: Client, key: str, query: str, repeat: int) -> None:
    url = "/api/leads" + (f"?{query}" if query else "")
    headers = {"Authorization": f"Bearer {key}"}
    client.get(url, headers=headers)  # warm the cache and the key's last_used_at
    samples = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    estimated = response.get("Total-Count-Estimated") == "true"
    print(
        f"{query or '(default)':<46} median {statistics.median(samples):7.1f} ms  "
        f"max {max(samples):7.1f} ms  queries {len(queries.captured_queries):2d}  "
        f"totalCount {body['totalCount']:>9,}{' (estimate)' if estimated else ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench workspace")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a PostgreSQL database.")
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    existing = Workspace.objects.filter(name=WORKSPACE).first()
    if args.reuse and existing is not None:
        workspace = existing
        key = api_key_create(workspace=workspace, name="bench")[1]
    else:
        workspace, key = fill(args.leads)
    rows = Lead.objects.filter(workspace=workspace).count()
    print(f"workspace has {rows:,} leads; exact count limit {settings.PULSE_EXACT_COUNT_LIMIT:,}")
    started = time.perf_counter()
    Lead.objects.filter(workspace=workspace, archived_at__isnull=True).count()
    print(f"for comparison, one exact COUNT(*): {(time.perf_counter() - started) * 1000:.0f} ms")
    client = Client()
    team = Team.objects.filter(workspace=workspace).first()
    for query in (
        "",
        "page=2",
        "page=5000",
        "pageSize=100",
        "archived=all",
        f"teamId={team.pk}",
        "sort=-createdAt",
        "sort=firstName",
        "email=lead424242@example.com",
        "phone=(415) 042-4242",
        "search=415-042-4242",
        "search=lead424242",
        "search=callback",
        "search=ada",
        "createdAt=" + time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400 * 30)),
        "firstName=Grace9",
    ):
        timed(client, key, query, args.repeat)


if __name__ == "__main__":
    main()
