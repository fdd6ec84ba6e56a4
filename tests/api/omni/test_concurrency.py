"""Concurrent OmniAI writes on PostgreSQL, with real threads."""

import pytest
from django.db import connection
from django.test import Client

from checklists.models import ChecklistItem, LeadChecklistItem
from leads.models import ActionLog, Lead, WebhookDelivery, WebhookEndpoint
from tests.api.omni.conftest import make_checklist, omni
from tests.concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_updates_of_one_lead_all_land_with_one_log_each(ws_a, key_a):
    assert connection.vendor == "postgresql"
    codes = [f"doc_{n}" for n in range(8)]
    make_checklist(ws_a, [("Docs", [(c, c, "TEXT", True, {}) for c in codes], None)])
    WebhookEndpoint.objects.create(
        workspace=ws_a, url="https://h.example.com", event_types=["lead.completed"], secret="s"
    )
    lead_id = omni(Client(), "post", "leads", key_a, {"firstName": "Race"}).json()["lead"]["id"]

    def update(n: int) -> int:
        body = {
            "leadId": lead_id,
            "lastName": f"L{n}",
            "checklistItems": [{"code": codes[n], "value": f"v{n}"}],
        }
        return omni(Client(), "put", "leads", key_a, body).status_code

    results, errors = run_in_threads(8, update)

    assert errors == [] and results == [200] * 8
    values = dict(LeadChecklistItem.objects.values_list("item__code", "value"))
    assert values == {c: f"v{n}" for n, c in enumerate(codes)}
    assert ActionLog.objects.filter(summary="Lead updated").count() == 8
    lead = Lead.objects.get()
    assert lead.completed_at is not None
    assert WebhookDelivery.objects.filter(event_type="lead.completed").count() == 1


def test_concurrent_one_off_items_with_one_label_get_distinct_codes(ws_a, key_a):
    assert connection.vendor == "postgresql"
    lead_id = omni(Client(), "post", "leads", key_a, {"firstName": "Race"}).json()["lead"]["id"]

    def add(_: int) -> tuple[int, str]:
        response = omni(
            Client(),
            "post",
            f"leads/{lead_id}/checklist-items",
            key_a,
            {"label": "Utility bill", "fieldType": "FILE"},
        )
        return response.status_code, response.json().get("checklistItem", {}).get("code")

    results, errors = run_in_threads(6, add)

    assert errors == []
    assert [status for status, _ in results] == [201] * 6
    assert len({code for _, code in results}) == 6
    assert ChecklistItem.objects.filter(lead__uuid=lead_id).count() == 6
