from django.urls import path

from api.autocalls import views

urlpatterns = [
    path("lead", views.LeadCreateView.as_view(), name="autocalls-lead-create"),
    path("leads", views.LeadListView.as_view(), name="autocalls-lead-list"),
    path("leads/<str:lead_id>", views.LeadDetailView.as_view(), name="autocalls-lead-detail"),
    path("leads/<str:lead_id>/calls", views.LeadCallsView.as_view(), name="autocalls-lead-calls"),
    path("campaigns", views.CampaignListView.as_view(), name="autocalls-campaign-list"),
    path("campaign", views.CampaignCreateView.as_view(), name="autocalls-campaign-create"),
    path(
        "campaigns/update-status",
        views.CampaignStatusView.as_view(),
        name="autocalls-campaign-status",
    ),
    path(
        "campaigns/<str:campaign_id>/queue",
        views.CampaignQueueView.as_view(),
        name="autocalls-campaign-queue",
    ),
    path(
        "campaigns/<str:campaign_id>/queue/claim",
        views.CampaignQueueClaimView.as_view(),
        name="autocalls-campaign-queue-claim",
    ),
    path("me", views.MeView.as_view(), name="autocalls-me"),
]
