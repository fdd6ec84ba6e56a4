"""Fixtures of the reliability battery, and the figures it reports at the end of a run."""

from collections import Counter

import pytest

from leads.services import webhooks
from tests.reliability.world import Tenant, build_tenant

FIGURES: list[str] = []
# Calls the tenancy matrix made, by face ("api", "staff"), and the route-methods walked.
MATRIX_CALLS: Counter[str] = Counter()
MATRIX_ROUTES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = list(FIGURES)
    if MATRIX_CALLS:
        faces = ", ".join(
            f"{face}: {MATRIX_ROUTES[face]} route-methods, {MATRIX_CALLS[face]:,} calls"
            for face in sorted(MATRIX_CALLS)
        )
        lines.append(f"TENANCY MATRIX {faces}")
    if lines:
        terminalreporter.write_sep("=", "reliability figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def tenant_a(db) -> Tenant:
    return build_tenant("Acme", "acme")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return build_tenant("Bravo", "bravo")


@pytest.fixture
def no_outbound_http(monkeypatch) -> list[str]:
    """Webhook URLs resolve to a public documentation address, and nothing is ever sent:
    the tests stay on 127.0.0.1. Returns the URLs a delivery would have gone to."""
    sent: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    def post(target, body, headers, timeout):
        sent.append(target.url)
        return webhooks.AttemptResult(200)

    monkeypatch.setattr(webhooks, "_resolve", resolve)
    monkeypatch.setattr(webhooks, "_post", post)
    return sent
