"""An endpoint's delivery log, newest first: the webhooks settings page reads each
endpoint's latest delivery and pages through its log by (created_at, id).

The deliveries table is the webhook outbox, written by every lead change: on PostgreSQL
the index is built CONCURRENTLY so adding it does not block those writes (hence
atomic = False); other databases build it the ordinary way."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("leads", "0006_drop_redundant_indexes"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="webhookdelivery",
            index=models.Index(
                fields=["endpoint", "-created_at"], name="leads_delivery_endpoint_time"
            ),
        ),
    ]
