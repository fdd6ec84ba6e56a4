from django.utils import timezone
from django_tasks import task

from campaigns.models import Campaign
from campaigns.services import campaign_claims_release, campaign_complete_when_no_leads
from leads.actors import Actor


@task()
def campaigns_sweep() -> dict[str, int]:
    """Periodic: numbers whose caller vanished go back in the queue, and running
    campaigns that asked for it are completed once nothing is left to call."""
    released = campaign_claims_release(now=timezone.now())
    completed = 0
    for campaign in Campaign.objects.filter(
        status=Campaign.Status.IN_PROGRESS, mark_complete_when_no_leads=True
    ).iterator():
        completed += campaign_complete_when_no_leads(campaign=campaign, actor=Actor.system())
    return {"released": released, "completed": completed}
