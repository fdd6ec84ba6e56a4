"""Staff lead list at a million leads: generate them on PostgreSQL, then time the pages.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_ui
    DEBUG=0 .venv/bin/python bench/lead_list_1m.py --leads 1000000

Rows are generated inside PostgreSQL (INSERT … SELECT generate_series), so a million take
about a minute. Timings are server time: each request goes through Django's full stack
in-process (middleware, view, queries, template) with the test client, no network. Every
scenario runs REPEAT times after one warm-up; the median and the worst are reported.
Results are written to bench/out/lead_list_1m.json."""

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
from django.db.models import BooleanField, CharField, JSONField, TextField  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from leads.models import Lead, Membership, Stage, Tag, User, Workspace  # noqa: E402
from leads.pagination import _encode, parse_sort  # noqa: E402

WORKSPACE = "Bench 1M"
REPEAT = 7
FIRST = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Dennis", "Radia", "Ken", "Frances", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Liskov", "Ritchie", "Perlman", "Thompson"]
COMPANY = ["Engines", "Compilers", "Kernels", "Networks", "Optimizers", "Systems", "Labs"]


def setup() -> tuple[Workspace, list[Membership], list[Stage]]:
    workspace, _ = Workspace.objects.get_or_create(name=WORKSPACE)
    members = []
    for i, role in enumerate(["owner"] + ["agent"] * 9):
        email = f"bench{i}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password="bench-password-123"
        )
        member, _ = Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": role, "display_name": email}
        )
        members.append(member)
    stages = [
        Stage.objects.get_or_create(
            workspace=workspace, slug=slug, defaults={"name": slug, "position": i}
        )[0]
        for i, slug in enumerate(["new", "contacted", "qualified", "proposal", "won", "lost"])
    ]
    Tag.objects.get_or_create(workspace=workspace, name="hot")
    return workspace, members, stages


def fill(workspace: Workspace, members: list[Membership], stages: list[Stage], total: int) -> None:
    have = Lead.objects.filter(workspace=workspace).count()
    if have >= total:
        print(f"{have} leads already there")
        return
    given = {
        "uuid": "md5(random()::text || g)::uuid",
        "workspace_id": str(workspace.pk),
        "first_name": f"(ARRAY{FIRST!r})[1 + g % {len(FIRST)}]",
        "last_name": f"(ARRAY{LAST!r})[1 + (g / 7) % {len(LAST)}] || (g % 1000)::text",
        "email": "'person' || g || '@example' || (g % 97) || '.test'",
        "email_normalized": "'person' || g || '@example' || (g % 97) || '.test'",
        "phone": "'+1206' || lpad((2000000 + g)::text, 7, '0')",
        "phone_last10": "'206' || lpad((2000000 + g)::text, 7, '0')",
        "company": f"(ARRAY{COMPANY!r})[1 + (g / 3) % {len(COMPANY)}] || ' ' || (g % 5000)",
        "stage_id": f"(ARRAY{[s.pk for s in stages]!r})[1 + (g / 11) % {len(stages)}]",
        "assignee_id": (
            f"CASE WHEN g % 10 = 0 THEN NULL ELSE "
            f"(ARRAY{[m.pk for m in members]!r})[1 + g % {len(members)}] END"
        ),
        "status": "'in_progress'",
        "assignee_type": "'HUMAN_AGENT'",
        "monthly_transaction_volume": "(g % 50) * 1000",
        "created_at": "now() - ((g::float / {total}) * interval '365 days')",
        "updated_at": "now() - ((g::float / {total}) * interval '300 days')",
        "archived_at": "CASE WHEN g % 50 = 0 THEN now() END",
        "interaction_count": "0",
    }
    columns, values = [], []
    for f in Lead._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.column in given:
            values.append(given[f.column])
        elif f.null:
            values.append("NULL")
        elif isinstance(f, BooleanField):
            values.append("false")
        elif isinstance(f, JSONField):
            values.append("'{}'::jsonb")
        elif isinstance(f, CharField | TextField):
            values.append("''")
        else:
            values.append("0")
    batch = 100_000
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(have + 1, total + 1, batch):
            end = min(start + batch - 1, total)
            sql = (
                f"INSERT INTO leads_lead ({', '.join(columns)}) "
                f"SELECT {', '.join(values)} FROM generate_series({start}, {end}) AS g"
            ).replace("{total}", str(total))
            cursor.execute(sql)
            print(f"  {end} leads ({time.perf_counter() - started:.0f}s)", flush=True)
        cursor.execute("ANALYZE leads_lead")


def timed(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm-up
    runs = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        response = client.get(url)
        runs.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(runs), max(runs), len(response.content)


def deep_cursor(workspace: Workspace, sort_param: str, offset: int, **filters: object) -> str:
    sort = parse_sort(sort_param)
    qs = Lead.objects.filter(workspace=workspace, archived_at__isnull=True, **filters)
    row = qs.order_by(*sort.order_by)[offset : offset + 1].get()
    return _encode(sort, row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "set DATABASE_URL to your PostgreSQL database"
    workspace, members, stages = setup()
    fill(workspace, members, stages, args.leads)
    total = Lead.objects.filter(workspace=workspace).count()
    owner, agent = Client(), Client()
    owner.force_login(members[0].user)
    agent.force_login(members[1].user)
    deep = deep_cursor(workspace, "-created", 900_000 * total // 1_000_000)
    deep_name = deep_cursor(workspace, "name", 800_000 * total // 1_000_000)
    deep_company = deep_cursor(workspace, "-company", 700_000 * total // 1_000_000)
    stage = stages[2].pk
    month_end = timezone.localdate() - timezone.timedelta(days=60)
    month_start = month_end - timezone.timedelta(days=30)
    deep_stage = deep_cursor(workspace, "-created", 100_000 * total // 1_000_000, stage_id=stage)
    scenarios = [
        ("owner, first page (newest)", owner, "/leads/"),
        ("owner, page at row 900,000 (newest first)", owner, f"/leads/?after={deep}"),
        ("owner, sort by name, page at row 800,000", owner, f"/leads/?sort=name&after={deep_name}"),
        (
            "owner, sort by company desc, page at row 700,000",
            owner,
            f"/leads/?sort=-company&after={deep_company}",
        ),
        ("owner, stage filter, first page", owner, f"/leads/?stage={stage}"),
        (
            "owner, stage filter, page at row 100,000 of the stage",
            owner,
            f"/leads/?stage={stage}&after={deep_stage}",
        ),
        (
            "owner, created in one month, stage filter",
            owner,
            f"/leads/?created_after={month_start}&created_before={month_end}&stage={stage}",
        ),
        ("owner, search a word (name/email/company)", owner, "/leads/?q=torvalds"),
        ("owner, search two words", owner, "/leads/?q=grace%20hopper12"),
        ("owner, search an email fragment", owner, "/leads/?q=person77777@"),
        ("owner, phone typed another way", owner, "/leads/?q=(206)%20250-0042"),
        ("owner, partial phone (5 digits)", owner, "/leads/?q=50042"),
        ("agent, first page (own + unassigned)", agent, "/leads/"),
        ("agent, search a word", agent, "/leads/?q=liskov"),
        ("owner, pipeline board", owner, "/pipeline/"),
        ("owner, dashboard", owner, "/"),
    ]
    results = []
    print(f"\n{total:,} leads in workspace “{WORKSPACE}”; median / worst of {REPEAT} runs")
    for label, client, url in scenarios:
        median, worst, size = timed(client, url)
        results.append(
            {
                "scenario": label,
                "url": url,
                "median_ms": round(median, 1),
                "worst_ms": round(worst, 1),
                "bytes": size,
            }
        )
        print(f"{median:8.1f} ms {worst:8.1f} ms  {label}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "lead_list_1m.json").write_text(
        json.dumps({"leads": total, "at": timezone.now().isoformat(), "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
