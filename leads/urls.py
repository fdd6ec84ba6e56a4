from django.urls import path

from leads.views import (
    imports,
    lead_detail,
    lead_list,
    lead_messages,
    merge,
    pipeline,
    workspace,
)
from leads.views.settings import api_keys, audit, routing, webhooks

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
    # Lead page, part 2: follow-ups and drafts.
    path(
        "leads/<int:pk>/messages/",
        lead_messages.LeadMessageCreateView.as_view(),
        name="lead_message_create",
    ),
    path(
        "leads/<int:pk>/messages/<int:message_id>/approve/",
        lead_messages.LeadDraftApproveView.as_view(),
        name="lead_draft_approve",
    ),
    path(
        "leads/<int:pk>/messages/<int:message_id>/cancel/",
        lead_messages.LeadMessageCancelView.as_view(),
        name="lead_message_cancel",
    ),
    # Settings (owners and admins): routing, API keys, webhooks, audit trail.
    path("settings/routing/", routing.RoutingView.as_view(), name="settings_routing"),
    path("settings/routing/teams/new/", routing.TeamEditView.as_view(), name="settings_team_new"),
    path("settings/routing/teams/<int:pk>/", routing.TeamEditView.as_view(), name="settings_team"),
    path(
        "settings/routing/sources/new/",
        routing.LeadSourceEditView.as_view(),
        name="settings_source_new",
    ),
    path(
        "settings/routing/sources/<int:pk>/",
        routing.LeadSourceEditView.as_view(),
        name="settings_source",
    ),
    path(
        "settings/routing/rotations/new/",
        routing.RotationEditView.as_view(),
        name="settings_rotation_new",
    ),
    path(
        "settings/routing/rotations/<int:pk>/",
        routing.RotationEditView.as_view(),
        name="settings_rotation",
    ),
    path(
        "settings/routing/rotations/<int:pk>/seats/<int:seat_id>/availability/",
        routing.RotationSeatAvailabilityView.as_view(),
        name="settings_seat_availability",
    ),
    path("settings/api-keys/", api_keys.ApiKeysView.as_view(), name="settings_api_keys"),
    path(
        "settings/api-keys/<int:pk>/revoke/",
        api_keys.ApiKeyRevokeView.as_view(),
        name="settings_api_key_revoke",
    ),
    path("settings/webhooks/", webhooks.WebhooksView.as_view(), name="settings_webhooks"),
    path(
        "settings/webhooks/<int:pk>/", webhooks.WebhookDetailView.as_view(), name="settings_webhook"
    ),
    path(
        "settings/webhooks/<int:pk>/rotate-secret/",
        webhooks.WebhookRotateSecretView.as_view(),
        name="settings_webhook_rotate",
    ),
    path(
        "settings/webhooks/<int:pk>/delete/",
        webhooks.WebhookDeleteView.as_view(),
        name="settings_webhook_delete",
    ),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverView.as_view(),
        name="settings_webhook_redeliver",
    ),
    path("settings/audit/", audit.AuditView.as_view(), name="settings_audit"),
    path(
        "settings/audit/export.csv", audit.AuditExportView.as_view(), name="settings_audit_export"
    ),
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
