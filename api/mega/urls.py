from django.urls import path

from api.mega import views

urlpatterns = [
    path("leads", views.LeadsView.as_view(), name="mega-leads"),
    path("leads/bulk", views.LeadsBulkView.as_view(), name="mega-leads-bulk"),
    path("lead-webhooks", views.WebhooksView.as_view(), name="mega-webhooks"),
    path(
        "lead-webhooks/<str:webhook_id>",
        views.WebhookDetailView.as_view(),
        name="mega-webhook-detail",
    ),
]
