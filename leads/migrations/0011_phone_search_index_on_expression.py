"""The partial-phone search index moves from phone_last10 to the expression
phone_last10 || '' (LeadPhoneDigits), on PostgreSQL only.

pg_trgm's operator class also answers `=`. With the index on the bare column the planner
sometimes served duplicate matching (`phone_last10 = …`) from it instead of the B-tree
match index; for digit strings, which share a few hundred trigrams, that reads long
posting lists: an import of 5,000 rows spent 7.6 s in one lookup. On the expression, only
the partial-number search (`(phone_last10 || '') LIKE '%digits%'`) can use it.

Built CONCURRENTLY, new index first, so a large production table keeps taking writes and
search keeps its index throughout (hence atomic = False)."""

from django.db import migrations

NEW = ("leads_lead_phone_digits_trgm", "((phone_last10 || '')) gin_trgm_ops")
OLD = ("leads_lead_phone_trgm", "(phone_last10) gin_trgm_ops")


def _has_trgm(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def _swap(schema_editor, create: tuple[str, str], drop: tuple[str, str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _has_trgm(cursor):  # migration 0005 could not create it: search scans
            return
        name, expression = create
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON leads_lead USING gin ({expression})"
        )
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {drop[0]}")


def forwards(apps, schema_editor) -> None:
    _swap(schema_editor, NEW, OLD)


def backwards(apps, schema_editor) -> None:
    _swap(schema_editor, OLD, NEW)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0010_team_and_source_list_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
