"""Load held (reliability battery LOAD-1): the create endpoint of every family, at a steady
rate, all four at once, against gunicorn + PostgreSQL on 127.0.0.1; then every request is
reconciled with the database.

    .venv/bin/python bench/load.py                       # 3 minutes, 10 req/s per family
    .venv/bin/python bench/load.py --seconds 60 --rate 5

wrk logs every request it sends (a unique token, in the lead's address and its
Idempotency-Key) and every answer. Passes (exit 0) when fewer than 0.1% of the requests
failed and the database matches the log exactly:
- every request answered 2xx has exactly one lead, one "lead created" timeline entry (for
  Autocalls it records the enrolment too) and one outbox row, plus for Autocalls one
  campaign lead, and its answer names its own address;
- a request answered otherwise left no row;
- a request sent but never answered (in flight when wrk stopped) left all of its rows or
  none: these are counted apart;
- every row written during the run belongs to a request that was sent.
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PY = sys.executable  # the virtualenv's python that runs this script
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
# Rows past these ids are the run's: each must belong to a request wrk sent.
from django.db.models import Max
from campaigns.models import CampaignLead
from leads.models import ActionLog, Lead, WebhookDelivery
marks = {
    name: model.objects.aggregate(m=Max("pk"))["m"] or 0
    for name, model in (("leads", Lead), ("timeline", ActionLog),
                        ("outbox", WebhookDelivery), ("campaign_leads", CampaignLead))
}
print(json.dumps({"campaign_id": campaign.pk, "marks": marks}))
"""

RECONCILE = """
import json, re, sys
from campaigns.models import CampaignLead
from leads.models import ActionLog, Lead, WebhookDelivery
marks = json.loads(sys.argv[-1])
TOKEN = re.compile(r"load-(\\d+x\\d+x\\d+)@example\\.com")

def token(text):
    found = TOKEN.search(text or "")
    return found.group(1) if found else "?"

# The token of every row written during the run ("?": a row that names no request).
print(json.dumps({
    "leads": [token(e) for e in Lead.objects.filter(pk__gt=marks["leads"])
              .values_list("email", flat=True)],
    "timeline": [token(e) for e in ActionLog.objects.filter(
        pk__gt=marks["timeline"], event="lead_created").values_list("lead__email", flat=True)],
    "outbox": [token(b) for b in WebhookDelivery.objects.filter(pk__gt=marks["outbox"])
               .values_list("body", flat=True)],
    "campaign_leads": [token(e) for e in CampaignLead.objects.filter(
        pk__gt=marks["campaign_leads"]).values_list("lead__email", flat=True)],
}))
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


def fresh_database(env: dict) -> tuple[dict, dict]:
    """A new database with the demo data; the seed, and the load campaign's id with the
    highest row ids before the run."""
    import psycopg

    url = env["DATABASE_URL"]
    db, admin = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    manage(env, "migrate", "--noinput", "-v0")
    seed = json.loads(manage(env, "seed_demo", "--json"))
    prepared = manage(env, "shell", "-c", PREPARE).strip().splitlines()[-1]
    return seed, json.loads(prepared)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            str(Path(PY).with_name("gunicorn")),
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
    seed, prepared = fresh_database(env)
    campaign_id = prepared["campaign_id"]
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
                str(tmp / f"{family}.log"),
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
    rows = json.loads(
        manage(
            env,
            "shell",
            "-c",
            RECONCILE.replace("sys.argv[-1]", repr(json.dumps(prepared["marks"]))),
        )
        .strip()
        .splitlines()[-1]
    )
    report(results, rows, tmp, opts)


@dataclass
class Ledger:
    """What wrk's log says of one family's requests, by token."""

    sent: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> set[str]:
        return {t for t, status in self.answers.items() if 200 <= status < 300}

    @property
    def refused(self) -> set[str]:
        return {t for t, status in self.answers.items() if not 200 <= status < 300}

    @property
    def unanswered(self) -> set[str]:
        return set(self.sent) - set(self.answers)


def read_log(path: Path) -> Ledger:
    """wrk's log: `S <token>` per request sent, `A <status> <token> <echoed>` per answer."""
    ledger = Ledger()
    for line in path.read_text().splitlines():
        kind, *rest = line.split()
        if kind == "S":
            ledger.sent.append(rest[0])
            continue
        status, token, echoed = int(rest[0]), rest[1], rest[2]
        if token in ledger.answers or token not in ledger.sent:
            ledger.problems.append(f"an answer to {token}, which was not awaiting one")
        ledger.answers[token] = status
        if 200 <= status < 300 and echoed != token:
            ledger.problems.append(f"the 2xx answer to {token} names {echoed}")
    if len(set(ledger.sent)) != len(ledger.sent):
        ledger.problems.append("a token was sent twice")
    return ledger


def reconcile(ledger: Ledger, tables: dict[str, Counter]) -> tuple[int, list[str]]:
    """Match the family's rows to its requests exactly; how many requests sent but never
    answered landed, and what does not match."""
    issues = list(ledger.problems)
    sent = set(ledger.sent)
    for table, rows in tables.items():
        unknown = sum(n for t, n in rows.items() if t not in sent)
        if unknown:
            issues.append(f"{unknown} {table} rows of no request sent")
        wrong = sum(1 for t in ledger.ok if rows[t] != 1)
        if wrong:
            issues.append(f"{wrong} 2xx answers without exactly one {table} row")
        written = sum(1 for t in ledger.refused if rows[t])
        if written:
            issues.append(f"{written} refused requests left {table} rows")
    landed = 0
    for token in ledger.unanswered:
        counts = {rows[token] for rows in tables.values()}
        if counts == {1}:
            landed += 1
        elif counts != {0}:
            issues.append(f"{token}, sent but not answered, left a partial write: {counts}")
    return landed, issues


def report(results: dict, rows: dict, tmp: Path, opts: argparse.Namespace) -> None:
    lines = [
        f"Leadbook load test — {time.strftime('%Y-%m-%d %H:%M')} — {opts.seconds} s, "
        f"{opts.rate:g} req/s per family ({4 * opts.rate:g} in all), gunicorn "
        f"{opts.workers} workers, PostgreSQL, wrk {opts.connections} connections per family",
        "",
        "| family | requests | req/s | 2xx | failed | error rate | p50 ms | p95 ms | p99 ms "
        "| max ms | leads | timeline | outbox | no answer (landed) | reconciled |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    # Each family's tokens start with its area code: the rows are split by it.
    family_of = {area: family for family, area in AREAS.items()}
    by_family = {family: {table: Counter() for table in rows} for family in MARKERS}
    unknown = Counter()
    for table, tokens in rows.items():
        for token in tokens:
            family = family_of.get(token.split("x")[0])
            if family is None:
                unknown[table] += 1
            else:
                by_family[family][table][token] += 1
    problems = [f"{n} {table} rows of no request sent" for table, n in unknown.items()]
    total = failed = 0
    for family, r in results.items():
        ledger = read_log(tmp / f"{family}.log")
        tables = by_family[family]
        if family != "autocalls":
            extra = sum(tables.pop("campaign_leads").values())
            if extra:
                problems.append(f"{family}: {extra} campaign leads")
        landed, issues = reconcile(ledger, tables)
        if r["ok"] != len(ledger.ok):
            issues.append(f"wrk counted {r['ok']} 2xx answers, its log {len(ledger.ok)}")
        requests = r["ok"] + r["failed"] + r["socket_errors"]
        total += requests
        failed += r["failed"] + r["socket_errors"]
        rate = (r["failed"] + r["socket_errors"]) / requests if requests else 1
        lines.append(
            f"| {family} | {requests} | {requests / r['seconds']:.1f} | {r['ok']} "
            f"| {r['failed'] + r['socket_errors']} "
            f"| {rate:.3%} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['max_ms']:.1f} | {sum(tables['leads'].values())} "
            f"| {sum(tables['timeline'].values())} | {sum(tables['outbox'].values())} "
            f"| {len(ledger.unanswered)} ({landed}) "
            f"| {'yes' if not issues else '; '.join(issues)} |"
        )
        if r["samples"]:
            lines.append(f"\n{family} failures (first three): {r['samples']}\n")
        problems += [f"{family}: {i}" for i in issues]
    error_rate = failed / total if total else 1
    lines.append(f"\nAll families: {total} requests, {failed} failed ({error_rate:.3%}).")
    lines.append(
        "No answer: sent but not answered when wrk stopped (wrk also builds one request "
        "per run to check the script and never sends it); landed: all of its rows exist."
    )
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
