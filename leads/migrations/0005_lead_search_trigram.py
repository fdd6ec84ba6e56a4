"""Trigram indexes for the staff lead search on PostgreSQL; nothing on SQLite.

The lead list's search box filters with `icontains` (name, email, company), which
PostgreSQL runs as `UPPER(col::text) LIKE UPPER('%word%')`, and partial phone numbers with
`phone_last10::text LIKE '%digits%'`. A B-tree cannot serve a leading wildcard; these GIN
trigram indexes on exactly those expressions can. SQLite has no equivalent and, at the
sizes SQLite is meant for, scans fast enough. Built CONCURRENTLY so that adding them to a
large production table does not block writes (hence atomic = False)."""

from django.db import migrations

TRIGRAM_INDEXES = [
    ("leads_lead_trgm_first_name", "(UPPER(first_name::text)) gin_trgm_ops"),
    ("leads_lead_trgm_last_name", "(UPPER(last_name::text)) gin_trgm_ops"),
    ("leads_lead_trgm_email", "(UPPER(email::text)) gin_trgm_ops"),
    ("leads_lead_trgm_company", "(UPPER(company::text)) gin_trgm_ops"),
    ("leads_lead_trgm_phone_last10", "(phone_last10::text) gin_trgm_ops"),
]


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON leads_lead USING gin ({expression})"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0004_lead_list_sort_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
