"""Leadbook's benchmark: every family's create and list endpoints against reference views,
on PostgreSQL with a million leads, under gunicorn, all in one run.

    .venv/bin/python bench/run.py                  # build the dataset, then measure
    .venv/bin/python bench/run.py --reuse          # measure again on the existing dataset
    .venv/bin/python bench/run.py --only create    # scenarios whose name contains "create"

See bench/README.md. Everything runs on 127.0.0.1 only."""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = str(ROOT / ".venv" / "bin" / "python")
LUA = str(ROOT / "bench" / "lua" / "request.lua")
WORKSPACE = "Demo Sales"


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body: str | None = None
    headers: list[str] = field(default_factory=list)
    reference: str = "reference-insert"
    kind: str = "create"  # create | list


def sh(*args: str, env: dict | None = None, capture: bool = False) -> str:
    result = subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout if capture else ""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    return sh(PY, "manage.py", *args, env=env, capture=capture)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing Debian's package", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)


def build_dataset(env: dict, leads: int) -> dict:
    db = env["DATABASE_URL"].rsplit("/", 1)[1]
    admin = env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    manage(env, "migrate", "--noinput", "-v0")
    seed = json.loads(manage(env, "seed_demo", "--json", capture=True))
    started = time.perf_counter()
    print(
        manage(
            env, "generate_leads", "--workspace", WORKSPACE, "--count", str(leads), capture=True
        ).strip()
    )
    seed["generate_seconds"] = round(time.perf_counter() - started, 1)
    manage(env, "shell", "-c", PREPARE)
    (OUT / "seed.json").write_text(json.dumps(seed, indent=2))
    return seed


# Run inside the app: lift rate limits for the measurement, subscribe a webhook endpoint so
# every create writes its outbox row, and enrol 20,000 leads in the demo campaign so that
# the Autocalls list has a 1,000th page.
PREPARE = """
from django.db import connection
from leads.models import Workspace, WebhookEndpoint
ws = Workspace.objects.get(name="Demo Sales")
Workspace.objects.filter(pk=ws.pk).update(
    rate_limit_per_minute=10**9, rate_limit_per_hour=10**9, bulk_rate_limit_per_minute=10**9)
WebhookEndpoint.objects.get_or_create(
    workspace=ws, url="https://hooks.example.com/leadbook",
    defaults={"event_types": ["lead.created", "lead.updated"], "secret": "whsec_" + "0" * 32})
with connection.cursor() as c:
    c.execute('''
        INSERT INTO campaigns_campaignlead (workspace_id, campaign_id, lead_id, phone, variables,
            status, attempts, last_outcome, created_at, updated_at)
        SELECT l.workspace_id, c.id, l.id, l.phone, '{}'::jsonb, 'created', 0, '', l.created_at,
            l.created_at
        FROM leads_lead l JOIN campaigns_campaign c ON c.workspace_id = l.workspace_id
        WHERE l.workspace_id = %s ORDER BY l.id LIMIT 20000''', [ws.pk])
    c.execute("ANALYZE")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.site.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=2)
            return proc
        except Exception:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def get_json(url: str, headers: dict) -> dict:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def deep_mega_cursor(base: str, headers: dict, pages: int) -> str:
    """Follow next_cursor to the given page, as a polling integration would."""
    url = f"{base}/api/agents/crm/leads?limit=20"
    cursor = ""
    for _ in range(pages - 1):
        page = get_json(url + (f"&cursor={cursor}" if cursor else ""), headers)
        cursor = page["next_cursor"]
    return cursor


def scenarios(seed: dict, base: str) -> list[Scenario]:
    key = seed["api_key"]
    ws = seed["workspace"]
    inbound = next(t for t in seed["teams"] if t["name"] == "Inbound")
    bearer = f"Authorization: Bearer {key}"
    mega = [bearer, f"x-customer-id: {ws['uuid']}", "Content-Type: application/json"]
    json_ct = "Content-Type: application/json"
    idem = "Idempotency-Key: bench-{n}"
    cursor = deep_mega_cursor(
        base, {"Authorization": f"Bearer {key}", "x-customer-id": ws["uuid"]}, 1000
    )
    return [
        Scenario(
            "reference-json",
            "POST",
            "/bench/json",
            '{"first_name": "Ref {n}"}',
            [json_ct],
            reference="",
        ),
        Scenario(
            "reference-insert",
            "POST",
            "/bench/insert",
            '{"first_name": "Ref", "last_name": "{n}", "email": "{email}", "phone": "{phone}"}',
            [json_ct],
            reference="",
        ),
        Scenario(
            "omni-create",
            "POST",
            "/api/v1/leads",
            '{"firstName": "Bench", "lastName": "{n}", "email": "{email}", '
            '"phoneNumber": "{phone}", "businessName": "Co {n}", "checklistItems": '
            '[{"code": "business_name", "value": "Co {n}", "status": "COMPLETED"}]}',
            [f"x-api-key: {key}", json_ct, idem],
        ),
        Scenario(
            "mega-create",
            "POST",
            "/api/agents/crm/leads",
            '{"contact_name": "Bench {n}", "contact_email": "{email}", "contact_phone": "{phone}", '
            '"source_platform": "direct", "source_type": "form", "stage_slug": "new"}',
            [*mega, idem],
        ),
        Scenario(
            "pulse-create",
            "POST",
            "/api/leads",
            '{"firstName": "Bench", "lastName": "{n}", "email": "{email}", "phone": "{phone}", '
            f'"teamId": {inbound["id"]}, "leadSourceId": {inbound["lead_source_ids"][0]}}}',
            [bearer, json_ct, idem],
        ),
        Scenario(
            "autocalls-create",
            "POST",
            "/api/user/lead",
            f'{{"phone_number": "{{phone}}", "campaign_id": {seed["campaign_id"]}, '
            '"variables": {"customer_name": "Bench {n}", "email": "{email}"}}',
            [bearer, json_ct, idem],
        ),
        Scenario(
            "mega-list-first", "GET", "/api/agents/crm/leads?limit=20", None, mega, kind="list"
        ),
        Scenario(
            "mega-list-page-1000",
            "GET",
            f"/api/agents/crm/leads?limit=20&cursor={cursor}",
            None,
            mega,
            kind="list",
        ),
        Scenario(
            "pulse-list-first",
            "GET",
            f"/api/leads?pageSize=10&page=1&teamId={inbound['id']}&search=smith",
            None,
            [bearer],
            kind="list",
        ),
        Scenario(
            "pulse-list-page-1000",
            "GET",
            f"/api/leads?pageSize=10&page=1000&teamId={inbound['id']}",
            None,
            [bearer],
            kind="list",
        ),
        Scenario(
            "autocalls-list-first",
            "GET",
            "/api/user/leads?per_page=15&page=1",
            None,
            [bearer],
            kind="list",
        ),
        Scenario(
            "autocalls-list-page-1000",
            "GET",
            "/api/user/leads?per_page=15&page=1000",
            None,
            [bearer],
            kind="list",
        ),
    ]


def run_wrk(base: str, s: Scenario, seconds: int, connections: int, threads: int) -> dict:
    args = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        LUA,
        base,
        "--",
        s.method,
        s.path,
        s.body or "-",
        *s.headers,
    ]
    out = subprocess.run(args, check=True, text=True, capture_output=True)
    if out.stderr.strip():
        print(out.stderr.strip()[:600], file=sys.stderr)
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    return json.loads(line)


def worker_rss_mb(server: subprocess.Popen) -> list[float]:
    children = subprocess.run(
        ["ps", "--ppid", str(server.pid), "-o", "rss="], capture_output=True, text=True
    ).stdout.split()
    return [round(int(kb) / 1024, 1) for kb in children]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/leadbook_bench"
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the existing dataset")
    parser.add_argument("--seconds", type=int, default=15, help="per scenario")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="run scenarios whose name contains this")
    opts = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    env = {
        "DATABASE_URL": opts.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.site.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijkl",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    if opts.reuse and (OUT / "seed.json").exists():
        seed = json.loads((OUT / "seed.json").read_text())
    else:
        seed = build_dataset(env, opts.leads)
    manage(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, opts.workers)
    results: dict[str, dict] = {}
    try:
        for s in scenarios(seed, base):
            if opts.only and opts.only not in s.name and not s.name.startswith("reference"):
                continue
            if opts.warmup:
                run_wrk(base, s, opts.warmup, opts.connections, opts.threads)
            results[s.name] = {
                **run_wrk(base, s, opts.seconds, opts.connections, opts.threads),
                "scenario": s.__dict__,
            }
            r = results[s.name]
            print(
                f"{s.name:26} {r['rps']:9.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                f"p99 {r['p99_ms']:7.2f} ms  non-2xx {r['non2xx']}",
                flush=True,
            )
        total_requests = sum(r["requests"] for r in results.values())
        rss = worker_rss_mb(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    report(results, seed, rss, total_requests, opts)


def report(
    results: dict, seed: dict, rss: list[float], total: int, opts: argparse.Namespace
) -> None:
    ref = results.get("reference-insert")
    lines = [
        f"Leadbook benchmark — {time.strftime('%Y-%m-%d %H:%M')} — {opts.leads:,} leads, "
        f"gunicorn {opts.workers} workers, wrk {opts.threads} threads / {opts.connections} "
        f"connections, {opts.seconds} s per scenario",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | non-2xx | vs single-INSERT reference |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        ratio = ""
        if ref and name != "reference-insert" and r["scenario"]["kind"] == "create":
            ratio = f"{r['rps'] / ref['rps']:.0%} of req/s, p99 {r['p99_ms'] / ref['p99_ms']:.1f}x"
        lines.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['non2xx']} | {ratio} |"
        )
    for first, deep in (
        ("mega-list-first", "mega-list-page-1000"),
        ("pulse-list-first", "pulse-list-page-1000"),
        ("autocalls-list-first", "autocalls-list-page-1000"),
    ):
        if first in results and deep in results:
            a, b = results[first], results[deep]
            lines.append(f"\n{deep}: p50 {b['p50_ms'] / a['p50_ms']:.2f}x the first page's")
    lines.append(f"\nWorker RSS after {total:,} requests: {', '.join(f'{m} MB' for m in rss)}")
    if "generate_seconds" in seed:
        lines.append(f"Dataset: {opts.leads:,} leads generated in {seed['generate_seconds']} s")
    text = "\n".join(lines)
    print("\n" + text)
    (OUT / "results.md").write_text(text + "\n")
    (OUT / "results.json").write_text(json.dumps({"results": results, "rss_mb": rss}, indent=2))
    if any(r["non2xx"] for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
