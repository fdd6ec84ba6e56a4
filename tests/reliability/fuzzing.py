"""Running Schemathesis against our own OpenAPI document, served by a live server.

Used by tests/reliability/test_fuzz.py: a bounded run in `make test`, thousands of cases
in `make fuzz` (FUZZ_EXAMPLES, FUZZ_PHASES). The JSON report of each run is summarised
into figures that docs/reliability.md quotes."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The checks of the reliability battery (FUZZ-1) plus the conformance checks of content
# types and headers. Every one must find nothing, except negative_data_rejection (ST201),
# whose findings are reported, not failed: DRF coerces some values the schema does not
# list (0/1 for a boolean, a number for a string, a blank query parameter for an absent
# one), which is leniency, not a contradiction of what the API answers
# (docs/reliability.md). positive_data_acceptance is left out: OpenAPI cannot say "a
# phone number that exists", "a name not yet taken" or "an id of this workspace", so a
# schema-valid body may rightly get a 400/422.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]
REPORTED_ONLY = {"ST201"}  # negative_data_rejection: schema-violating request accepted
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


@dataclass(frozen=True)
class FuzzRun:
    """What one Schemathesis run found."""

    label: str
    cases: int
    operations: int
    failures: list[dict[str, Any]]
    lenient: list[dict[str, Any]]
    errors: list[Any]
    seconds: float
    seed: int
    output: str

    def summary(self) -> str:
        return (
            f"{self.label}: {self.cases} cases (seed {self.seed}) over {self.operations} "
            f"operations in {self.seconds:.0f} s, {len(self.failures)} failures, "
            f"{len(self.errors)} errors; leniency (ST201) on "
            f"{sorted({o for f in self.lenient for o in f['operations']}) or 'no operation'}"
        )


def examples() -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", "4"))


def seed() -> int | None:
    """Fixed by default so `make test` is repeatable; `make fuzz` passes FUZZ_SEED= for a
    fresh one each run (the report prints it, to replay a finding)."""
    value = os.environ.get("FUZZ_SEED", "1")
    return int(value) if value else None


def phases() -> str:
    return os.environ.get("FUZZ_PHASES", "examples,fuzzing,stateful")


def config_file(path: Path, parameters: dict[str, dict[str, Any]]) -> Path:
    """A schemathesis.toml naming real ids for the operations whose ids no response of
    another operation supplies (Schemathesis warns about "missing test data" otherwise)."""
    lines = []
    for operation_path, values in parameters.items():
        lines.append("[[operations]]")
        lines.append(f"include-path = {json.dumps(operation_path)}")
        pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items())
        lines.append(f"parameters = {{ {pairs} }}")
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def run_schemathesis(
    *,
    label: str,
    base_url: str,
    headers: dict[str, str],
    report_dir: Path,
    config: Path,
    include_tag: str | None = None,
) -> FuzzRun:
    args = [
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/schema/",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        phases(),
        "--max-examples",
        str(examples()),
        "--workers",
        "1",
        "--report",
        "json",
        "--report-dir",
        str(report_dir),
        "--output-truncate",
        "true",
        "--no-color",
    ]
    if seed() is not None:
        args += ["--seed", str(seed())]
    if include_tag:
        args += ["--include-tag", include_tag]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS")}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=1800)
    reports = sorted(report_dir.glob("json-*.json"))
    if not reports:
        raise AssertionError(f"Schemathesis wrote no report:\n{done.stdout}\n{done.stderr}")
    report = json.loads(reports[-1].read_text())
    return FuzzRun(
        label=label,
        cases=report["test_cases"]["generated"],
        operations=report["operations"]["tested"],
        failures=[f for f in report["failures"] if f["code"] not in REPORTED_ONLY],
        lenient=[f for f in report["failures"] if f["code"] in REPORTED_ONLY],
        errors=report["errors"],
        seconds=report["running_time"],
        seed=report["seed"],
        output=done.stdout[-20000:],
    )
