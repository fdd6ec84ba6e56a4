from django.urls import path

from leads.views import imports, lead_detail, lead_list, merge, pipeline, workspace

app_name = "leads"

urlpatterns = [
    path("", workspace.DashboardView.as_view(), name="dashboard"),
    path("workspace/switch/", workspace.WorkspaceSwitchView.as_view(), name="workspace_switch"),
    path("leads/", lead_list.LeadListView.as_view(), name="lead_list"),
    path("leads/bulk/", lead_list.LeadBulkView.as_view(), name="lead_bulk"),
    path("leads/export.csv", lead_list.LeadExportView.as_view(), name="lead_export"),
    path("leads/views/", lead_list.SavedViewCreateView.as_view(), name="saved_view_create"),
    path(
        "leads/views/<int:pk>/delete/",
        lead_list.SavedViewDeleteView.as_view(),
        name="saved_view_delete",
    ),
    path("leads/new/", lead_detail.LeadCreateView.as_view(), name="lead_create"),
    path("leads/<int:pk>/", lead_detail.LeadDetailView.as_view(), name="lead_detail"),
    path("leads/<int:pk>/stage/", lead_detail.LeadStageView.as_view(), name="lead_stage"),
    path("leads/<int:pk>/assign/", lead_detail.LeadAssignView.as_view(), name="lead_assign"),
    path("leads/<int:pk>/opt-out/", lead_detail.LeadOptOutView.as_view(), name="lead_opt_out"),
    path("leads/<int:pk>/archive/", lead_detail.LeadArchiveView.as_view(), name="lead_archive"),
    path("leads/<int:pk>/merge/<int:other>/", merge.LeadMergeView.as_view(), name="lead_merge"),
    path(
        "leads/<int:pk>/merges/<int:log_id>/undo/",
        merge.LeadMergeUndoView.as_view(),
        name="lead_merge_undo",
    ),
    path("pipeline/", pipeline.PipelineView.as_view(), name="pipeline"),
    # Imports (upload, mapping, progress, error report, revert)
    path("imports/", imports.ImportListView.as_view(), name="import_list"),
    path("imports/access/", imports.ImportAccessView.as_view(), name="import_access"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="import_detail"),
    path(
        "imports/<int:pk>/progress/", imports.ImportProgressView.as_view(), name="import_progress"
    ),
    path("imports/<int:pk>/errors.csv", imports.ImportErrorsView.as_view(), name="import_errors"),
    path("imports/<int:pk>/revert/", imports.ImportRevertView.as_view(), name="import_revert"),
    path("imports/<int:pk>/cancel/", imports.ImportCancelView.as_view(), name="import_cancel"),
]
