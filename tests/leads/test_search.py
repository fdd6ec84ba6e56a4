"""Free-text lead search (LeadQuerySet.search) and, on PostgreSQL, its trigram index."""

import pytest
from django.db import connection

from leads.models import Lead


def make(workspace, **values) -> Lead:
    return Lead.objects.create(workspace=workspace, **values)


def test_every_word_must_appear_in_some_text_field(ws_a):
    ada = make(ws_a, first_name="Ada", last_name="Lovelace", company="Analytical Engines")
    make(ws_a, first_name="Adam", notes="likes engines")
    found = Lead.objects.for_workspace(ws_a).search
    assert list(found("LOVELACE")) == [ada]
    assert list(found("ada engines analytical")) == [ada]
    assert list(found("lovelace nobody")) == []


def test_short_phone_digits_match_inside_the_number(ws_a):
    lead = make(ws_a, phone="+14155552671", phone_last10="4155552671")
    make(ws_a, first_name="2671 Main St")
    assert set(Lead.objects.search("55526")) == {lead}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_trigram_index_serves_the_search_expression(ws_a):
    assert connection.vendor == "postgresql"
    make(ws_a, first_name="Ada")
    # Only the search condition, unordered: the one index that can serve it is the trigram.
    qs = Lead.objects.search("lovelace").order_by().values("pk")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'leads_lead_search_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]
        cursor.execute("BEGIN")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("ROLLBACK")
    assert "leads_lead_search_trgm" in plan
