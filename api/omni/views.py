"""OmniAI family endpoints (/api/v1). Thin: resolve the lead in the caller's workspace,
validate the body, call one service, render."""

from typing import Any, ClassVar

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.families import Family
from api.omni import serializers as s
from api.omni.errors import OMNI
from api.views import FamilyAPIView, MultipartFamilyAPIView
from checklists.models import Document
from checklists.services import (
    checklist_item_add,
    document_upload,
    lead_checklist,
    lead_create_with_checklist,
    lead_update_with_checklist,
)
from leads.models import ActionLog, Lead
from leads.services.timeline import actionlog_record

TAG = "OmniAI"
READ = {"GET": "leads:read"}
WRITE = {"POST": "leads:write", "PUT": "leads:write"}
LEAD_NOT_FOUND = "Lead not found."
FULL_HISTORY_LIMIT = 1000


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return OMNI.error_responses(*statuses)


class OmniView(FamilyAPIView):
    family: ClassVar[Family] = OMNI

    def lead_or_404(self, lead_id: Any) -> Lead:
        return self.get_scoped_or_404(Lead, LEAD_NOT_FOUND, uuid=lead_id)


class LeadsView(OmniView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="omni_lead_create",
        summary="Create a lead",
        description="Creates a lead, applies checklist updates by code and writes one "
        "API_ACTIVITY action log (“Lead created”).",
        tags=[TAG],
        request=s.OmniLeadCreateInput,
        responses={201: s.OmniLeadBundleOutput, **_errors(400, 401, 403, 409, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        body = s.OmniLeadCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data, updates = body.lead_data()
        write = lead_create_with_checklist(
            workspace=self.workspace, actor=self.actor, data=data, checklist_updates=updates
        )
        return Response(s.lead_bundle(write.lead, request=request), status=201)

    @extend_schema(
        operation_id="omni_lead_update",
        summary="Update a lead",
        description="Changes only the fields and checklist items in the body (leadId "
        "names the lead) and writes one API_ACTIVITY action log (“Lead updated”).",
        tags=[TAG],
        request=s.OmniLeadUpdateInput,
        responses={200: s.OmniLeadBundleOutput, **_errors(400, 401, 403, 404, 413, 415, 429)},
    )
    def put(self, request: Request) -> Response:
        body = s.OmniLeadUpdateInput(data=request.data)
        body.is_valid(raise_exception=True)
        lead = self.lead_or_404(body.validated_data["lead_id"])
        data, updates = body.lead_data()
        write = lead_update_with_checklist(
            lead=lead, actor=self.actor, data=data, checklist_updates=updates
        )
        return Response(s.lead_bundle(write.lead, request=request))


class LeadDetailView(OmniView):
    required_scopes = READ

    @extend_schema(
        operation_id="omni_lead_get",
        summary="Get a lead with everything about it",
        tags=[TAG],
        responses={200: s.OmniLeadDetailBundleOutput, **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, lead_id: str) -> Response:
        lead = self.lead_or_404(lead_id)
        return Response(s.lead_bundle(lead, request=request, detail=True))


class LeadChecklistView(OmniView):
    required_scopes = READ

    @extend_schema(
        operation_id="omni_lead_checklist",
        summary="The lead's checklist, grouped",
        tags=[TAG],
        responses={200: s.OmniChecklistGroupOutput(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, lead_id: str) -> Response:
        lead = self.lead_or_404(lead_id)
        return Response(s.checklist_data(lead_checklist(lead), request))


class LeadChecklistItemsView(OmniView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="omni_lead_checklist_item_create",
        summary="Add a checklist item to one lead",
        description="A one-off requirement for this lead only; the workspace's templates "
        "do not change. The code is generated from the label when omitted.",
        tags=[TAG],
        request=s.OmniChecklistItemCreateInput,
        responses={
            201: s.OmniChecklistItemCreatedOutput,
            **_errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
    )
    def post(self, request: Request, lead_id: str) -> Response:
        lead = self.lead_or_404(lead_id)
        body = s.OmniChecklistItemCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        item = checklist_item_add(lead=lead, actor=self.actor, **body.validated_data)
        data = s.OmniChecklistItemCreatedOutput({"success": True, "checklistItem": item}).data
        return Response(data, status=201)


class LeadDocumentsView(OmniView):
    required_scopes = READ

    @extend_schema(
        operation_id="omni_lead_documents",
        summary="The lead's documents, with download links valid one hour",
        tags=[TAG],
        responses={200: s.OmniLeadDocumentOutput(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, lead_id: str) -> Response:
        lead = self.lead_or_404(lead_id)
        documents = Document.objects.for_lead(lead)
        return Response(
            s.OmniLeadDocumentOutput(documents, many=True, context={"request": request}).data
        )


class LeadActionLogsView(OmniView):
    required_scopes = READ

    @extend_schema(
        operation_id="omni_lead_action_logs",
        summary="The lead's activity history, newest first",
        description=f"At most the {FULL_HISTORY_LIMIT} newest entries.",
        tags=[TAG],
        responses={200: s.OmniActionLogOutput(many=True), **_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, lead_id: str) -> Response:
        lead = self.lead_or_404(lead_id)
        logs = s.action_logs(lead, limit=FULL_HISTORY_LIMIT)
        return Response(s.OmniActionLogOutput(logs, many=True).data)


class ActivityView(OmniView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="omni_activity_create",
        summary="Add a custom entry to a lead's timeline",
        tags=[TAG],
        request=s.OmniActivityInput,
        responses={
            201: s.OmniActivityCreatedOutput,
            **_errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
    )
    def post(self, request: Request) -> Response:
        body = s.OmniActivityInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead = self.lead_or_404(data["leadId"])
        log = actionlog_record(
            workspace=self.workspace,
            actor=self.actor,
            lead=lead,
            type=ActionLog.Type.CUSTOM,
            event=data["eventType"],
            summary=data["title"],
            description=data.get("description", ""),
            input={
                "eventType": data["eventType"],
                "source": "api",
                "title": data["title"],
                "description": data.get("description") or None,
                "metadata": data.get("metadata") or {},
            },
        )
        return Response({"success": True, "actionLogId": str(log.uuid)}, status=201)


class DocumentsView(MultipartFamilyAPIView, OmniView):
    required_scopes = WRITE

    @extend_schema(
        operation_id="omni_documents_upload",
        summary="Upload documents to a lead",
        description="multipart/form-data: leadId, files (up to 10), optional "
        "leadChecklistItemId (or the checklistItemId of an item the lead has not touched "
        "yet) and metadata[] (or metadata): one JSON object per file, {externalId, "
        "name}, in the order of the files; more entries than files is a 400.",
        tags=[TAG],
        request={"multipart/form-data": s.OmniDocumentUploadInput},
        responses={
            201: s.OmniDocumentsUploadedOutput,
            **_errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
    )
    def post(self, request: Request) -> Response:
        body = s.OmniDocumentUploadInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead = self.lead_or_404(data["leadId"])
        files = data["files"]
        if len(files) > self.max_files:
            raise ApiError(
                400,
                "validation_error",
                f"files: At most {self.max_files} files per request.",
                fields={"files": [f"At most {self.max_files} files per request."]},
            )
        limit = settings.DOCUMENT_MAX_BYTES
        for upload in files:
            if upload.size > limit:
                raise ApiError(
                    413,
                    "payload_too_large",
                    f"“{upload.name}” is larger than the limit of {limit} bytes.",
                )
        result = document_upload(
            lead=lead,
            actor=self.actor,
            files=files,
            metadata=data.get("metadata") or [],
            target_id=data.get("leadChecklistItemId") or None,
            max_files=self.max_files,
        )
        out = s.OmniDocumentsUploadedOutput(
            {"success": True, "documents": result.documents, "actionLogId": result.log.uuid},
            context={"request": request},
        )
        return Response(out.data, status=201)
