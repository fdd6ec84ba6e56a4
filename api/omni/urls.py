from django.urls import path

from api.omni import views

urlpatterns = [
    path("leads", views.LeadsView.as_view(), name="omni-leads"),
    path("leads/<uuid:lead_id>", views.LeadDetailView.as_view(), name="omni-lead"),
    path(
        "leads/<uuid:lead_id>/checklist",
        views.LeadChecklistView.as_view(),
        name="omni-lead-checklist",
    ),
    path(
        "leads/<uuid:lead_id>/checklist-items",
        views.LeadChecklistItemsView.as_view(),
        name="omni-lead-checklist-items",
    ),
    path(
        "leads/<uuid:lead_id>/documents",
        views.LeadDocumentsView.as_view(),
        name="omni-lead-documents",
    ),
    path(
        "leads/<uuid:lead_id>/action-logs",
        views.LeadActionLogsView.as_view(),
        name="omni-lead-action-logs",
    ),
    path("activity", views.ActivityView.as_view(), name="omni-activity"),
    path("documents", views.DocumentsView.as_view(), name="omni-documents"),
]
