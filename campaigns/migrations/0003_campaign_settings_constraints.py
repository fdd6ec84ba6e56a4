# The database refuses campaign settings the services refuse: windows that end before
# they start, more than ten retries, a zero retry interval.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0002_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("allowed_hours_end__gt", models.F("allowed_hours_start"))),
                name="campaigns_campaign_hours_order",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_retries__lte", 10)),
                name="campaigns_campaign_retries_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("retry_interval_minutes__gte", 1)),
                name="campaigns_campaign_retry_interval_positive",
            ),
        ),
    ]
