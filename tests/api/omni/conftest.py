"""OmniAI test helpers: a checklist like the demo workspace's and a client that speaks the
family (x-api-key, JSON)."""

import json

import pytest

from checklists.models import ChecklistGroup, ChecklistItem


def omni(client, method: str, path: str, key: str | None, body=None, **headers):
    """Call /api/v1/<path> as an OmniAI integration would."""
    kwargs = {"headers": {**({"x-api-key": key} if key else {}), **headers}}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(f"/api/v1/{path}", **kwargs)


def make_checklist(workspace, groups):
    """groups: [(name, [(code, label, field_type, required, extra), ...], conditions)]"""
    items = {}
    for g_pos, (name, rows, conditions) in enumerate(groups):
        group = ChecklistGroup.objects.create(
            workspace=workspace, name=name, position=g_pos, conditions=conditions
        )
        for pos, (code, label, kind, required, extra) in enumerate(rows):
            items[code] = ChecklistItem.objects.create(
                workspace=workspace,
                group=group,
                code=code,
                label=label,
                field_type=kind,
                is_required=required,
                position=pos,
                **extra,
            )
    return items


@pytest.fixture
def checklist_a(ws_a):
    """The demo workspace's checklist (seed 000/001 codes)."""
    return make_checklist(
        ws_a,
        [
            (
                "Business Information",
                [
                    ("business_name", "Business Name", "TEXT", True, {}),
                    ("legal_name", "Legal Name", "TEXT", True, {}),
                    ("tax_id", "Tax ID", "TEXT", True, {}),
                    ("business_email", "Business Email", "EMAIL", False, {}),
                ],
                None,
            ),
            (
                "Financials",
                [
                    ("monthly_revenue", "Monthly Revenue", "NUMBER", True, {}),
                    ("bank_statements", "Bank Statements (3 months)", "BANK_STATEMENT", True, {}),
                ],
                None,
            ),
        ],
    )
