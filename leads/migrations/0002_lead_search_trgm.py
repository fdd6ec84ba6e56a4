"""A trigram index for free-text lead search (PostgreSQL only).

It holds LOWER(first_name || ' ' || … ) exactly as LeadQuerySet.search builds it, so
`LIKE '%term%'` finds a rare word among a million leads in milliseconds instead of
scanning the table. It needs the pg_trgm extension (a trusted extension since PostgreSQL
13: the database owner may create it). Where it cannot be created the migration says so
and carries on: search still works, by scanning. Building it locks writes to leads_lead
for about 10 s per million leads."""

import logging

from django.db import migrations

logger = logging.getLogger("leadbook.migrations")

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


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SAVEPOINT lead_search_trgm")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # permissions: search keeps working, by scanning
            cursor.execute("ROLLBACK TO SAVEPOINT lead_search_trgm")
            logger.warning("pg_trgm unavailable (%s): lead search will scan the table", exc)
            return
        cursor.execute("RELEASE SAVEPOINT lead_search_trgm")
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS leads_lead_search_trgm ON leads_lead "
            f"USING gin (({EXPRESSION}) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS leads_lead_search_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
