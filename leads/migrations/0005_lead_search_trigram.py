"""Trigram indexes for lead search on PostgreSQL; nothing on SQLite.

LeadQuerySet.search looks for each word in LOWER(first_name || ' ' || … ) over
SEARCH_TEXT_COLUMNS with `LIKE '%word%'`, and for partial phone numbers in
`phone_last10 LIKE '%digits%'`. A B-tree cannot serve a leading wildcard; GIN trigram
indexes on exactly those expressions can, so a rare word among a million leads is found
in milliseconds instead of a table scan. They need the pg_trgm extension (a trusted
extension since PostgreSQL 13: the database owner may create it); where it cannot be
created the migration says so and carries on, and search works by scanning.

Built CONCURRENTLY so adding them to a large production table does not block writes
(hence atomic = False)."""

import logging

from django.db import migrations

logger = logging.getLogger("leadbook.migrations")

# Must stay identical to leads.models.lead.SEARCH_TEXT_COLUMNS / LeadSearchText.
COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "job_title",
    "branch",
    "source",
    "position",
    "location",
    "products_services_sold",
    "current_payment_processor",
    "process_stage",
    "buying_role",
    "notes",
    "application_id",
)
EXPRESSION = "LOWER(" + " || ' ' || ".join(f'"{c}"' for c in COLUMNS) + ")"
INDEXES = [
    ("leads_lead_search_trgm", f"({EXPRESSION}) gin_trgm_ops"),
    ("leads_lead_phone_trgm", "(phone_last10) gin_trgm_ops"),
]


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # no permission: search keeps working, by scanning
            logger.warning("pg_trgm unavailable (%s): lead search will scan the table", exc)
            return
        for name, expression in INDEXES:
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
                f"ON leads_lead USING gin ({expression})"
            )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0004_lead_list_sort_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
