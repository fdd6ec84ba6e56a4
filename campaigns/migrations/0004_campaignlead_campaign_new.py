# GET /api/user/leads?campaign_id=… lists a campaign's leads newest first.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0003_campaign_settings_constraints"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="campaignlead",
            index=models.Index(
                fields=["campaign", "-created_at"], name="campaigns_lead_campaign_new"
            ),
        ),
    ]
