from django.urls import path

from checklists import views

app_name = "checklists"

urlpatterns = [
    path("documents/<str:token>", views.document_download, name="document-download"),
    # The lead page's checklist, status and documents panels (staff, signed in).
    path(
        "leads/<int:pk>/checklist/<int:item_id>/",
        views.LeadChecklistItemView.as_view(),
        name="lead_checklist_item",
    ),
    path("leads/<int:pk>/status/", views.LeadStatusView.as_view(), name="lead_status"),
    path(
        "leads/<int:pk>/documents/",
        views.LeadDocumentUploadView.as_view(),
        name="lead_document_upload",
    ),
]
