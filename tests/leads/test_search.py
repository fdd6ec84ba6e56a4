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


def plan(qs, *setup: str) -> str:
    """PostgreSQL's plan for `qs` with table scans off (so any index that can serve the
    query is used), after the `setup` statements, all rolled back."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SET LOCAL enable_seqscan = off")
        for statement in setup:
            cursor.execute(statement)
        cursor.execute("EXPLAIN " + sql, params)
        lines = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("ROLLBACK")
    return lines


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_trigram_index_serves_the_search_expression(ws_a):
    assert connection.vendor == "postgresql"
    make(ws_a, first_name="Ada")
    # Only the search condition, unordered: the one index that can serve it is the trigram.
    assert "leads_lead_search_trgm" in plan(Lead.objects.search("lovelace").order_by().values("pk"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_partial_phone_numbers_are_found_through_their_trigram_index(ws_a):
    make(ws_a, phone="+14155552671", phone_last10="4155552671")
    qs = Lead.objects.search("55526").order_by().values("pk")
    assert list(qs) != []
    assert "leads_lead_phone_digits_trgm" in plan(qs)


# Leave only the trigram indexes (and those behind constraints) on leads_lead.
ONLY_TRIGRAM_INDEXES = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT i.indexrelid::regclass::text AS name FROM pg_index i
           WHERE i.indrelid = 'leads_lead'::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             AND i.indexrelid::regclass::text NOT LIKE '%trgm'
  LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP;
END $$"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_duplicate_matching_by_phone_never_reads_the_trigram_index(ws_a):
    """pg_trgm answers `=` too, and for digit strings its posting lists are long: an
    import batch once spent 7.6 s matching phones through it. Even with no other index
    left, the duplicate lookups cannot use it."""
    make(ws_a, phone="+14155552671", phone_last10="4155552671")
    one = Lead.objects.matching(ws_a, email_key="", phone_e164="+14155552671")
    batch = Lead.objects.matching_any(ws_a, email_keys=set(), phone_keys={"4155552671"})
    for qs in (one, batch):
        assert list(qs) != []
        assert "trgm" not in plan(qs.order_by().values("pk"), ONLY_TRIGRAM_INDEXES)
