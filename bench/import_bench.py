"""Import speed and memory: a CSV of N rows imported with duplicate matching against a
workspace that already holds M leads, on a PostgreSQL database you name.

    .venv/bin/python bench/import_bench.py \\
        --database postgres://postgres@127.0.0.1:5432/lb_import_bench \\
        --rows 100000 --existing 1000000 [--rss-rows 1000000]

It creates the database if needed, migrates it, fills the workspace with `seed_demo` and
`generate_leads` up to --existing leads (kept between runs), writes the CSV (10 % of rows
repeat an existing lead's email or phone, 1 % have an invalid phone), then runs `manage.py
import_leads` in a child process exactly as a person would and reports rows per second
(the command's own timing, the wall clock and CPU time of the whole process) and the
child's peak RSS (wait4), beside a same-run yardstick: COPY of as many lead-like rows into
an empty table (targets are ratios to it: 5,000 rows/s is about 3.5 % of the ~140,000
rows/s COPY of issue 10's reference machine, 20,000 rows/s about 14 %). With --rss-rows it
also imports a file of that many rows (on-duplicate=create, into a throwaway workspace) to
show that memory does not grow with the file. Results go to bench/out/import_bench.json."""

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FIRST = "Ada Grace Alan Linus Barbara Dennis Radia Ken Frances Tim Margaret Edsger".split()
LAST = "Lovelace Hopper Turing Torvalds Liskov Ritchie Perlman Thompson Allen Lee".split()
COMPANY = "Engines Compilers Kernels Networks Optimizers Systems Labs Bakery Dental".split()
AREAS = "212 213 305 312 404 415 503 512 617 702 713 206 303 602 919 801".split()


def env(database: str, media: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": "leads_project.settings",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnop",
        "DEBUG": "0",
        "MEDIA_ROOT": media,
        "TASKS_BACKEND": "immediate",
        "LOG_LEVEL": "WARNING",
        "IMPORT_MAX_ROWS": "2000000",
        "IMPORT_MAX_BYTES": str(1024 * 1024 * 1024),
    }


def manage(environ: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=environ,
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def query(environ: dict[str, str], sql: str, params: list) -> list[tuple]:
    import psycopg

    with psycopg.connect(environ["DATABASE_URL"]) as conn:
        return conn.execute(sql, params).fetchall()


def existing_leads(environ: dict[str, str], workspace: str) -> int:
    rows = query(
        environ,
        "SELECT count(*) FROM leads_lead l JOIN leads_workspace w ON w.id = l.workspace_id "
        "WHERE w.name = %s",
        [workspace],
    )
    return rows[0][0]


def ensure_database(url: str) -> None:
    """Create the database if it does not exist yet (one that does is kept, with the
    leads already generated in it)."""
    import psycopg

    db, admin = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
            conn.execute(f'CREATE DATABASE "{db}"')


def prepare(environ: dict[str, str], workspace: str, existing: int) -> None:
    ensure_database(environ["DATABASE_URL"])
    manage(environ, "migrate", "--noinput", "-v0")
    if not query(environ, "SELECT 1 FROM leads_workspace WHERE name = %s", [workspace]):
        manage(environ, "seed_demo", "--workspace", workspace)
    have = existing_leads(environ, workspace)
    if have < existing:
        print(f"generating {existing - have:,} leads …", file=sys.stderr)
        manage(environ, "generate_leads", "--workspace", workspace, "--count", str(existing - have))


def write_csv(
    path: Path, rows: int, *, duplicates: list[tuple[str, str]], dup_share: float, seed: int
) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First name", "Last name", "Email", "Phone", "Company", "Notes"])
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}.{seed}.{i}@import.test".lower()
            phone = f"({rng.choice(AREAS)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            roll = rng.random()
            if duplicates and roll < dup_share / 2:
                email = rng.choice(duplicates)[0] or email
            elif duplicates and roll < dup_share:
                email, phone = "", rng.choice(duplicates)[1] or phone
            elif roll > 0.99:
                phone = "12"  # invalid: the row fails alone
            company = f"{rng.choice(LAST)} {rng.choice(COMPANY)}"
            writer.writerow([first, last, email, phone, company, f"row {i}"])


def run_import(environ: dict[str, str], path: Path, workspace: str, policy: str) -> dict:
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            PYTHON,
            str(ROOT / "manage.py"),
            "import_leads",
            str(path),
            "--workspace",
            workspace,
            "--on-duplicate",
            policy,
        ],
        env=environ,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if status != 0:
        raise SystemExit(f"import_leads failed ({status}): {output}")
    match = re.search(
        r"([\d,]+) created, ([\d,]+) updated, ([\d,]+) skipped, ([\d,]+) failed in "
        r"([\d.]+) s \(([\d,]+) rows/s\)",
        output,
    )
    if not match:
        raise SystemExit(f"unexpected output: {output}")
    numbers = [float(g.replace(",", "")) for g in match.groups()]
    return {
        "created": int(numbers[0]),
        "updated": int(numbers[1]),
        "skipped": int(numbers[2]),
        "failed": int(numbers[3]),
        "import_seconds": numbers[4],
        "rows_per_second": numbers[5],
        "process_wall_seconds": round(wall, 2),
        "process_cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def reference_copy(environ: dict[str, str], rows: int) -> dict:
    """The same run's yardstick (issue 10 measures targets as ratios): COPY of as many
    lead-like rows into a fresh table, the fastest way into PostgreSQL."""
    import psycopg

    rng = random.Random(1)
    data = [
        (
            rng.choice(FIRST),
            rng.choice(LAST),
            f"ref{i}@import.test",
            f"+1{rng.choice(AREAS)}{rng.randint(2000000, 9999999)}",
            rng.choice(COMPANY),
        )
        for i in range(rows)
    ]
    with psycopg.connect(environ["DATABASE_URL"]) as conn:
        # A real (logged) table, like the reference: a temporary one skips the WAL.
        conn.execute("DROP TABLE IF EXISTS bench_lead_like")
        conn.execute(
            "CREATE TABLE bench_lead_like (id bigserial PRIMARY KEY, first_name text, "
            "last_name text, email text, phone text, company text, "
            "created_at timestamptz DEFAULT now())"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY bench_lead_like (first_name, last_name, email, phone, company) FROM STDIN"
        ) as copy:
            for row in data:
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_lead_like")
        conn.commit()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="postgres://… (it is migrated)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--workspace", default="Import bench")
    parser.add_argument("--dup-share", type=float, default=0.10)
    parser.add_argument("--rss-rows", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        raise SystemExit("--database must be a PostgreSQL URL")
    seed = args.seed if args.seed is not None else int(time.time())
    media = tempfile.mkdtemp(prefix="import-bench-media-")
    environ = env(args.database, media)
    prepare(environ, args.workspace, args.existing)
    sample = query(
        environ,
        "SELECT l.email, l.phone FROM leads_lead l JOIN leads_workspace w ON w.id = "
        "l.workspace_id WHERE w.name = %s ORDER BY l.id DESC LIMIT 20000",
        [args.workspace],
    )
    results: dict = {"existing_leads": existing_leads(environ, args.workspace)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.csv"
        write_csv(path, args.rows, duplicates=sample, dup_share=args.dup_share, seed=seed)
        results["file_mb"] = round(path.stat().st_size / 1e6, 1)
        results["rows"] = args.rows
        results["reference_copy"] = reference_copy(environ, args.rows)
        results["update"] = run_import(environ, path, args.workspace, "update")
        results["ratio_to_copy"] = round(
            results["update"]["rows_per_second"] / results["reference_copy"]["rows_per_second"], 4
        )
        results["load_average"] = os.getloadavg()
        print(json.dumps(results, indent=2))
        if args.rss_rows:
            big = Path(tmp) / "big.csv"
            write_csv(big, args.rss_rows, duplicates=[], dup_share=0, seed=seed + 1)
            throwaway = f"{args.workspace} RSS {seed}"
            manage(environ, "seed_demo", "--workspace", throwaway)
            results["rss_file"] = {
                "rows": args.rss_rows,
                "file_mb": round(big.stat().st_size / 1e6, 1),
                **run_import(environ, big, throwaway, "create"),
            }
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "import_bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
