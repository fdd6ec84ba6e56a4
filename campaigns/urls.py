from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.CampaignListView.as_view(), name="list"),
    path("new/", views.CampaignCreateView.as_view(), name="create"),
    path("enroll/", views.CampaignEnrollSelectionView.as_view(), name="enroll_selection"),
    path("<int:pk>/", views.CampaignDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CampaignEditView.as_view(), name="edit"),
    path("<int:pk>/start/", views.CampaignStartView.as_view(), name="start"),
    path("<int:pk>/stop/", views.CampaignStopView.as_view(), name="stop"),
    path("<int:pk>/enroll/", views.CampaignEnrollSavedView.as_view(), name="enroll_view"),
    path("<int:pk>/queue/", views.QueueView.as_view(), name="queue"),
    path(
        "<int:pk>/queue/<int:entry_pk>/outcome/",
        views.QueueOutcomeView.as_view(),
        name="queue_outcome",
    ),
    path("<int:pk>/queue/release/", views.QueueReleaseView.as_view(), name="queue_release"),
]
