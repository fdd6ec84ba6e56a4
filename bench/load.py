"""Load held (reliability battery LOAD-1): the create endpoint of every family, at a steady
rate, all four at once, against gunicorn + PostgreSQL on 127.0.0.1; then every answer is
reconciled with the database.

    .venv/bin/python bench/load.py                       # 3 minutes, 10 req/s per family
    .venv/bin/python bench/load.py --seconds 60 --rate 5

Passes (exit 0) when fewer than 0.1% of the requests failed, and every request answered
2xx has exactly one lead, one "lead created" timeline entry (for Autocalls it records the
enrolment too) and one outbox row, plus for Autocalls one campaign lead; rows no answer
accounts for may only be requests in flight when wrk stopped (one per connection).
Everything runs on 127.0.0.1; webhooks are queued in the outbox and never sent (no task
worker runs). Writes bench/out/load.md and load.json. See docs/reliability.md."""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = str(ROOT / ".venv" / "bin" / "python")
LUA = str(ROOT / "bench" / "lua" / "steady.lua")
MARKERS = {"omni": "Loadomni", "mega": "Loadmega", "pulse": "Loadpulse", "autocalls": "Loadcalls"}
AREAS = {"omni": "212", "mega": "312", "pulse": "415", "autocalls": "617"}

PREPARE = """
import json
from campaigns.models import Campaign
from leads.models import Workspace, WebhookEndpoint
ws = Workspace.objects.get(name="Demo Sales")
Workspace.objects.filter(pk=ws.pk).update(
    rate_limit_per_minute=10**9, rate_limit_per_hour=10**9, bulk_rate_limit_per_minute=10**9)
WebhookEndpoint.objects.get_or_create(
    workspace=ws, url="https://hooks.example.com/leadbook-load",
    defaults={"event_types": ["lead.created"], "secret": "whsec_" + "0" * 43})
campaign = Campaign.objects.create(
    workspace=ws, name="Load campaign", timezone="UTC", allowed_hours_start="00:00",
    allowed_hours_end="23:59",
    allowed_days=["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
print(json.dumps({"campaign_id": campaign.pk}))
"""

RECONCILE = """
import json, sys
from collections import Counter
from campaigns.models import CampaignLead
from leads.models import ActionLog, Lead, WebhookDelivery
markers = json.loads(sys.argv[-1])
out = {}
for family, marker in markers.items():
    leads = Lead.objects.filter(first_name=marker)
    per_token = Counter(e.split("@")[0][5:] for e in leads.values_list("email", flat=True))
    logs = Counter(
        e.split("@")[0][5:]
        for e in ActionLog.objects.filter(event="lead_created", lead__first_name=marker)
        .values_list("lead__email", flat=True)
    )
    outbox = Counter()
    for body in WebhookDelivery.objects.filter(
        event_type="lead.created", body__contains=marker
    ).values_list("body", flat=True):
        start = body.index("load-") + 5
        outbox[body[start : body.index("@", start)]] += 1
    extra = {}
    if family == "autocalls":
        entries = CampaignLead.objects.filter(campaign__name="Load campaign")
        extra["campaign_leads"] = Counter(
            e.split("@")[0][5:] for e in entries.values_list("lead__email", flat=True)
        )
    out[family] = {
        "leads": per_token, "timeline": logs, "outbox": outbox,
        **extra,
    }
print(json.dumps(out))
"""


def scenario(family: str, seed: dict, campaign_id: int) -> tuple[str, str, str, list[str]]:
    key, ws = seed["api_key"], seed["workspace"]
    inbound = next(t for t in seed["teams"] if t["name"] == "Inbound")
    bearer = f"Authorization: Bearer {key}"
    json_ct = "Content-Type: application/json"
    idem = "Idempotency-Key: load-{n}"
    marker = MARKERS[family]
    if family == "omni":
        body = (
            f'{{"firstName": "{marker}", "lastName": "{{n}}", "email": "{{email}}", '
            '"phoneNumber": "{phone}"}'
        )
        return "POST", "/api/v1/leads", body, [f"x-api-key: {key}", json_ct, idem]
    if family == "mega":
        body = (
            f'{{"contact_name": "{marker} {{n}}", "contact_email": "{{email}}", '
            '"contact_phone": "{phone}", "source_platform": "direct", "stage_slug": "new"}'
        )
        return (
            "POST",
            "/api/agents/crm/leads",
            body,
            [bearer, f"x-customer-id: {ws['uuid']}", json_ct, idem],
        )
    if family == "pulse":
        body = (
            f'{{"firstName": "{marker}", "lastName": "{{n}}", "email": "{{email}}", '
            f'"phone": "{{phone}}", "teamId": {inbound["id"]}, '
            f'"leadSourceId": {inbound["lead_source_ids"][0]}}}'
        )
        return "POST", "/api/leads", body, [bearer, json_ct, idem]
    body = (
        f'{{"phone_number": "{{phone}}", "campaign_id": {campaign_id}, '
        f'"variables": {{"customer_name": "{marker} {{n}}", "email": "{{email}}"}}}}'
    )
    return "POST", "/api/user/lead", body, [bearer, json_ct, idem]


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout


def fresh_database(env: dict) -> tuple[dict, int]:
    import psycopg

    url = env["DATABASE_URL"]
    db, admin = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    manage(env, "migrate", "--noinput", "-v0")
    seed = json.loads(manage(env, "seed_demo", "--json"))
    prepared = manage(env, "shell", "-c", PREPARE).strip().splitlines()[-1]
    return seed, json.loads(prepared)["campaign_id"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "leads_project.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/lb_rel_load")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--rate", type=float, default=10, help="requests/s per family")
    # Each connection waits connections/rate seconds between requests: more connections
    # keep the rate steady when answers are slow.
    parser.add_argument("--connections", type=int, default=4, help="per family")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    OUT.mkdir(parents=True, exist_ok=True)
    env = {
        "DATABASE_URL": opts.database_url,
        "DJANGO_SETTINGS_MODULE": "leads_project.settings",
        "DEBUG": "0",
        "SECRET_KEY": "load-test-only-secret-key-0123456789abcdefghijkl",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TASKS_BACKEND": "database",  # deliveries wait in the outbox: nothing is sent
        "LOG_LEVEL": "WARNING",
    }
    seed, campaign_id = fresh_database(env)
    manage(env, "collectstatic", "--noinput", "-v0")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, opts.workers)
    delay_ms = int(1000 * opts.connections / opts.rate)
    tmp = Path(tempfile.mkdtemp(prefix="leadbook-load-"))
    runs: dict[str, subprocess.Popen] = {}
    try:
        for family in MARKERS:
            method, path, body, headers = scenario(family, seed, campaign_id)
            args = [
                "wrk",
                "-t",
                str(opts.connections),
                "-c",
                str(opts.connections),
                "-d",
                f"{opts.seconds}s",
                "--timeout",
                "10s",
                "-s",
                LUA,
                base,
                "--",
                str(delay_ms),
                AREAS[family],
                str(tmp / f"{family}.tokens"),
                method,
                path,
                body,
                *headers,
            ]
            runs[family] = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        results = {}
        for family, proc in runs.items():
            stdout, _ = proc.communicate(timeout=opts.seconds + 120)
            results[family] = json.loads([x for x in stdout.splitlines() if x.startswith("{")][-1])
        time.sleep(2)  # let the last requests in flight finish
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    counts = json.loads(
        manage(env, "shell", "-c", RECONCILE.replace("sys.argv[-1]", repr(json.dumps(MARKERS))))
        .strip()
        .splitlines()[-1]
    )
    report(results, counts, tmp, opts)


def report(results: dict, counts: dict, tmp: Path, opts: argparse.Namespace) -> None:
    lines = [
        f"Leadbook load test — {time.strftime('%Y-%m-%d %H:%M')} — {opts.seconds} s, "
        f"{opts.rate:g} req/s per family ({4 * opts.rate:g} in all), gunicorn "
        f"{opts.workers} workers, PostgreSQL, wrk {opts.connections} connections per family",
        "",
        "| family | requests | req/s | 2xx | failed | error rate | p50 ms | p95 ms | p99 ms "
        "| max ms | leads | timeline | outbox | reconciled |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    problems = []
    total = failed = 0
    for family, r in results.items():
        tokens = [t for t in (tmp / f"{family}.tokens").read_text().split() if t]
        c = counts[family]
        ok_tokens = set(tokens)
        issues = []
        if "?" in ok_tokens or len(ok_tokens) != len(tokens):
            issues.append("a 2xx answer without a token, or a token answered twice")
        tables = ["leads", "timeline", "outbox"]
        if family == "autocalls":
            tables.append("campaign_leads")  # its enrolment is in the lead_created entry
        for table in tables:
            rows = c[table]
            missing = [t for t in ok_tokens if rows.get(t, 0) != 1]
            unanswered = [t for t in rows if t not in ok_tokens]
            if missing:
                issues.append(f"{len(missing)} 2xx answers without exactly one {table} row")
            # Rows no counted answer explains: requests still in flight when wrk stopped.
            if len(unanswered) > opts.connections:
                issues.append(f"{len(unanswered)} {table} rows no answer accounts for")
        requests = r["ok"] + r["failed"] + r["socket_errors"]
        total += requests
        failed += r["failed"] + r["socket_errors"]
        rate = (r["failed"] + r["socket_errors"]) / requests if requests else 1
        lines.append(
            f"| {family} | {requests} | {requests / r['seconds']:.1f} | {r['ok']} "
            f"| {r['failed'] + r['socket_errors']} "
            f"| {rate:.3%} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['max_ms']:.1f} | {sum(c['leads'].values())} | {sum(c['timeline'].values())} "
            f"| {sum(c['outbox'].values())} | {'yes' if not issues else '; '.join(issues)} |"
        )
        if r["samples"]:
            lines.append(f"\n{family} failures (first three): {r['samples']}\n")
        problems += [f"{family}: {i}" for i in issues]
    error_rate = failed / total if total else 1
    lines.append(f"\nAll families: {total} requests, {failed} failed ({error_rate:.3%}).")
    if error_rate >= 0.001:
        problems.append(f"error rate {error_rate:.3%} is not under 0.1%")
    lines.append("PASS" if not problems else "FAIL: " + "; ".join(problems))
    text = "\n".join(lines)
    print(text)
    (OUT / "load.md").write_text(text + "\n")
    (OUT / "load.json").write_text(json.dumps({"results": results}, indent=2))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
