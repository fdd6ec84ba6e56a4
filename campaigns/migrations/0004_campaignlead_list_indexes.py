# GET /api/user/leads lists newest first (created_at DESC, id DESC), per workspace and per
# campaign. The index must hold both sort columns: with created_at alone SQLite sorted a
# million-row workspace on every page (1.5 s, bench/autocalls_list_count.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0003_campaign_settings_constraints"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="campaignlead", name="campaigns_lead_ws_created"),
        migrations.AddIndex(
            model_name="campaignlead",
            index=models.Index(
                fields=["workspace", "created_at", "id"], name="campaigns_lead_ws_new"
            ),
        ),
        migrations.AddIndex(
            model_name="campaignlead",
            index=models.Index(
                fields=["campaign", "created_at", "id"], name="campaigns_lead_campaign_new"
            ),
        ),
    ]
