"""FUZZ-1: Schemathesis against our own OpenAPI document, for all four families, with a
workspace key and with a Pulse session token. Nothing may answer 5xx, contradict the
schema (status, body, headers, content type) or accept a request without valid
credentials.

`make test` runs a bounded pass (FUZZ_EXAMPLES=4 per operation, a few hundred cases);
`make fuzz` runs thousands (docs/reliability.md has the last figures)."""

import pytest

from tests.reliability.conftest import FIGURES
from tests.reliability.fuzzing import config_file, run_schemathesis


def _failure_report(run) -> str:
    lines = [run.summary()]
    for failure in run.failures:
        lines.append(f"  {failure['code']} {failure['title']}: {failure['operations']}")
    lines.append(run.output)
    return "\n".join(lines)


@pytest.mark.django_db(transaction=True)
def test_fuzzing_our_own_schema_finds_no_server_error_contradiction_or_auth_bypass(
    live_server, tenant_a, tenant_b, no_outbound_http, tmp_path
):
    ids = tenant_a.ids
    config = config_file(
        tmp_path / "schemathesis.toml",
        {
            "/api/agents/crm/lead-webhooks/{webhook_id}": {"webhook_id": ids["webhook"]},
            "/api/user/leads/{lead_id}": {"lead_id": ids["campaign_lead"]},
            "/api/user/leads/{lead_id}/calls": {"lead_id": ids["campaign_lead"]},
            "/api/user/campaigns/{campaign_id}/queue": {"campaign_id": ids["campaign"]},
            "/api/v1/leads/{lead_id}": {"lead_id": ids["lead_uuid"]},
        },
    )
    workspace = tenant_a.workspace
    runs = [
        run_schemathesis(
            label="workspace key, all families",
            base_url=live_server.url,
            headers={"x-api-key": tenant_a.key, "x-customer-id": str(workspace.uuid)},
            report_dir=tmp_path / "key",
            config=config,
        ),
        run_schemathesis(
            label="Pulse session token, Pulse family",
            base_url=live_server.url,
            headers={"Authorization": f"Bearer {tenant_a.keys['owner session']}"},
            report_dir=tmp_path / "session",
            config=config,
            include_tag="Pulse",
        ),
    ]
    FIGURES.extend(f"FUZZ {run.summary()}" for run in runs)
    for run in runs:
        assert run.operations > 0 and run.cases > 0, run.output
        assert run.failures == [] and run.errors == [], _failure_report(run)
    # Nothing of workspace B was touched by A's credentials.
    tenant_b.lead.refresh_from_db()
    assert tenant_b.lead.first_name == "bravo-lead"
