"""OmniAI request and response shapes, and how canonical data maps onto them.

Input serializers validate the family's JSON and hand the services canonical field names
(`source=`); output serializers render canonical objects in OmniAI's names: UUID ids,
E.164 phones, ISO-8601 UTC timestamps with milliseconds, empty text as null."""

import datetime
import json
from typing import Any

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils import html

from checklists.models import ChecklistItem, Document, LeadChecklistItem
from checklists.services import (
    ChecklistSection,
    LeadChecklist,
    document_signed_path,
    lead_checklist,
)
from leads.models import ActionLog, Lead
from leads.services.leads import lead_matching
from leads.services.messages import lead_message_summary, message_summary_of

ACTION_LOG_LIMIT = 100
# The action-log types OmniAI documents. Leadbook's other types are shown as the nearest
# of these (OmniAI clients switch on `type`), the stored one under `leadbookType`.
OMNI_LOG_TYPES = (
    ActionLog.Type.MESSAGE,
    ActionLog.Type.FOLLOW_UP_MESSAGE,
    ActionLog.Type.TOOL_CALL,
    ActionLog.Type.MANUAL_UPDATE,
    ActionLog.Type.API_ACTIVITY,
    ActionLog.Type.SYSTEM_NOTE,
    ActionLog.Type.DOCUMENT_UPLOAD,
)
# Only POST /api/v1/activity writes CUSTOM entries: an integration's own timeline entry.
# Every other Leadbook type (ASSIGNMENT, MERGE, IMPORT, CALL, SETTINGS) is a note
# Leadbook adds to the timeline: SYSTEM_NOTE.
OMNI_LOG_TYPE_OF = {ActionLog.Type.CUSTOM: ActionLog.Type.API_ACTIVITY}
ASSIGNEE_TYPES = {
    "agent": Lead.AssigneeType.AI,
    "manual": Lead.AssigneeType.HUMAN,
    "ai_agent": Lead.AssigneeType.AI,
    "human_agent": Lead.AssigneeType.HUMAN,
}
SETTABLE_STATUSES = ("COMPLETED", "IN_PROGRESS", "NOT_INTERESTED", "OPTED_OUT")
# Canonical column -> OmniAI response name, where camelCase of the column is not it.
RESPONSE_NAMES = {
    "phone": "phoneNumber",
    "company": "businessName",
    "external_id": "externalLeadId",
    "opted_out_at": "optOutAt",
}


def iso_ms(value: datetime.datetime | None) -> str | None:
    """2026-01-30T02:00:00.000Z"""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def response_name(canonical: str) -> str:
    return RESPONSE_NAMES.get(canonical, camel(canonical))


# Canonical columns a timeline diff holds that OmniAI has no field for: how a lead opted
# out is Leadbook's bookkeeping (OmniAI shows didOptOut / optOutAt).
INTERNAL_CHANGES = frozenset({"opt_out_channel"})


def _render_value(name: str, value: Any) -> Any:
    """A value as stored in a timeline diff, in OmniAI's form."""
    if value == "":
        return None  # cleared text: OmniAI shows empty text as null everywhere
    if name == "status" and isinstance(value, str):
        return value.upper()
    if name.endswith("_at") and isinstance(value, str):
        try:
            return iso_ms(datetime.datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def render_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """{canonical: value} from the timeline as OmniAI's leadUpdates."""
    rendered = {
        response_name(k): _render_value(k, v)
        for k, v in changes.items()
        if k not in INTERNAL_CHANGES
    }
    if "opted_out_at" in changes:
        rendered["didOptOut"] = changes["opted_out_at"] is not None
    return rendered


def omni_log_type(stored: str) -> str:
    """An action log's type as OmniAI documents it."""
    if stored in OMNI_LOG_TYPES:
        return stored
    return OMNI_LOG_TYPE_OF.get(stored, ActionLog.Type.SYSTEM_NOTE)


def render_log_input(data: Any) -> Any:
    """An action log's input as OmniAI documents it: leadUpdates in OmniAI's names (the
    previous values Leadbook also keeps stay in the staff timeline)."""
    if not isinstance(data, dict):
        return data
    rendered = {k: v for k, v in data.items() if k != "previous"}
    if isinstance(rendered.get("leadUpdates"), dict):
        rendered["leadUpdates"] = render_changes(rendered["leadUpdates"])
    return rendered


# --- field types ----------------------------------------------------------------------


class OutputField(serializers.Field):
    """A read-only field that renders null when the value (or an object on its source
    path, e.g. a checklist item the lead never touched) is missing."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
class Timestamp(OutputField):
    """ISO-8601 UTC with milliseconds."""

    def to_representation(self, value: datetime.datetime) -> str | None:
        return iso_ms(value)


@extend_schema_field({"type": "string", "nullable": True})
class TextOrNull(OutputField):
    """Empty text is null."""

    def to_representation(self, value: Any) -> str | None:
        return str(value) if value not in ("", None) else None


@extend_schema_field({"type": "string", "format": "uuid", "nullable": True})
class UuidOrNull(OutputField):
    def to_representation(self, value: Any) -> str | None:
        return str(value) if value is not None else None


@extend_schema_field({"nullable": True})
class AnyJson(OutputField):
    """Any JSON value, as stored."""

    def to_representation(self, value: Any) -> Any:
        return value


# --- input ------------------------------------------------------------------------------


class OmniChecklistUpdateInput(serializers.Serializer):
    code = serializers.CharField(max_length=100)
    value = serializers.JSONField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=LeadChecklistItem.Status.values, required=False)


class OmniLeadFieldsInput(serializers.Serializer):
    """What create and update share. Unknown fields are ignored."""

    firstName = serializers.CharField(source="first_name", max_length=150)
    lastName = serializers.CharField(
        source="last_name", max_length=150, required=False, allow_blank=True, allow_null=True
    )
    middleName = serializers.CharField(
        source="middle_name", max_length=150, required=False, allow_blank=True, allow_null=True
    )
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, allow_null=True)
    phoneNumber = serializers.CharField(
        source="phone", max_length=40, required=False, allow_blank=True, allow_null=True
    )
    businessName = serializers.CharField(
        source="company", max_length=255, required=False, allow_blank=True, allow_null=True
    )
    externalLeadId = serializers.CharField(
        source="external_id", max_length=255, required=False, allow_blank=True, allow_null=True
    )
    timezone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    assigneeType = serializers.CharField(source="assignee_type", required=False)
    didOptOut = serializers.BooleanField(source="opted_out", required=False)
    emailVerified = serializers.BooleanField(source="email_verified", required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    checklistItems = OmniChecklistUpdateInput(
        source="checklist_items", many=True, required=False, max_length=500
    )

    def validate_assigneeType(self, value: str) -> str:
        mapped = ASSIGNEE_TYPES.get(value.strip().lower())
        if mapped is None:
            raise serializers.ValidationError("Must be “agent” (AI) or “manual” (human).")
        return mapped

    def lead_data(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(canonical lead fields, checklist updates)."""
        data = dict(self.validated_data)
        updates = data.pop("checklist_items", [])
        data.pop("lead_id", None)
        if "status" in data:
            data["status"] = data["status"].lower()
        return data, updates


class OmniLeadCreateInput(OmniLeadFieldsInput):
    pass


class OmniLeadUpdateInput(OmniLeadFieldsInput):
    leadId = serializers.CharField(source="lead_id", max_length=64)
    firstName = serializers.CharField(source="first_name", max_length=150, required=False)
    status = serializers.CharField(required=False)

    def validate_status(self, value: str) -> str:
        value = value.strip().upper()
        if value == "REVIEW":
            raise serializers.ValidationError("REVIEW is set by Leadbook, not through the API.")
        if value not in SETTABLE_STATUSES:
            raise serializers.ValidationError(
                "Must be one of " + ", ".join(SETTABLE_STATUSES) + "."
            )
        return value


class OmniChecklistItemCreateInput(serializers.Serializer):
    label = serializers.CharField(max_length=255)
    fieldType = serializers.ChoiceField(source="field_type", choices=ChecklistItem.FieldType.values)
    code = serializers.CharField(max_length=100, required=False, allow_blank=True)
    isRequired = serializers.BooleanField(source="is_required", required=False, default=True)
    config = serializers.JSONField(required=False, allow_null=True)
    validationRules = serializers.JSONField(
        source="validation_rules", required=False, allow_null=True
    )
    agentInstructions = serializers.CharField(
        source="agent_instructions", required=False, allow_blank=True
    )
    clientInstructions = serializers.CharField(
        source="client_instructions", required=False, allow_blank=True
    )
    helpText = serializers.CharField(source="help_text", required=False, allow_blank=True)


class OmniActivityInput(serializers.Serializer):
    leadId = serializers.CharField(max_length=64)
    eventType = serializers.RegexField(
        r"^[A-Za-z0-9_.:\-]+$",
        max_length=64,
        error_messages={"invalid": "Use letters, digits, _ . : or - (e.g. sales_call)."},
    )
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    metadata = serializers.DictField(required=False, allow_null=True)


class FormListField(serializers.ListField):
    """A list sent as repeated form fields, named `name` or `name[]` (OmniAI documents
    `metadata[]`; DRF only reads the bare name and `name[0]`, `name[1]`, …)."""

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary):
            values = dictionary.getlist(self.field_name) or dictionary.getlist(
                f"{self.field_name}[]"
            )
            if values:
                return values
        return super().get_value(dictionary)


class OmniDocumentUploadInput(serializers.Serializer):
    leadId = serializers.CharField(max_length=64)
    files = serializers.ListField(child=serializers.FileField(max_length=255), min_length=1)
    leadChecklistItemId = serializers.CharField(max_length=64, required=False, allow_blank=True)
    metadata = FormListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Also accepted as metadata[]. One JSON object per file, in the order of "
        "the files, or one JSON array.",
    )

    def validate_metadata(self, value: list[str]) -> list[dict[str, Any] | None]:
        # One JSON object per file (index-aligned), or one JSON array for all of them.
        if len(value) == 1 and value[0].strip().startswith("["):
            try:
                items = json.loads(value[0])
            except ValueError:
                raise serializers.ValidationError("Not valid JSON.") from None
        else:
            items = []
            for text in value:
                try:
                    items.append(json.loads(text) if text.strip() else None)
                except ValueError:
                    raise serializers.ValidationError("Not valid JSON.") from None
        if not all(i is None or isinstance(i, dict) for i in items):
            raise serializers.ValidationError("Each entry must be a JSON object.")
        return items

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Index-aligned with the files: an extra entry describes no file, so the two
        # lists do not line up the way the client thinks.
        extra = len(attrs.get("metadata") or []) - len(attrs["files"])
        if extra > 0:
            raise serializers.ValidationError(
                {
                    "metadata": [
                        f"{len(attrs['metadata'])} metadata entries for "
                        f"{len(attrs['files'])} files: send at most one per file."
                    ]
                }
            )
        return attrs


# --- output -----------------------------------------------------------------------------


class OmniLeadOutput(serializers.Serializer):
    """The `lead` object of create, update and matchingLeads."""

    id = serializers.UUIDField(source="uuid")
    activitySummary = TextOrNull(source="activity_summary")
    assigneeType = serializers.CharField(source="assignee_type")
    businessName = TextOrNull(source="company")
    createdAt = Timestamp(source="created_at")
    deletedAt = serializers.SerializerMethodField()
    didOptOut = serializers.BooleanField(source="did_opt_out")
    optOutAt = Timestamp(source="opted_out_at")
    email = TextOrNull()
    emailVerifiedAt = Timestamp(source="email_verified_at")
    externalLeadId = TextOrNull(source="external_id")
    externalPortalLink = TextOrNull(source="external_portal_link")
    firstName = serializers.CharField(source="first_name")
    middleName = TextOrNull(source="middle_name")
    lastName = TextOrNull(source="last_name")
    phoneNumber = TextOrNull(source="phone_e164")
    phoneVerifiedAt = Timestamp(source="phone_verified_at")
    source = TextOrNull()
    updatedAt = Timestamp(source="updated_at")
    website = TextOrNull()
    timezone = TextOrNull()
    tags = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    completedAt = Timestamp(source="completed_at")

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_deletedAt(self, lead: Lead) -> None:
        return None  # Leadbook deletes leads for real; a row that exists is not deleted.

    def get_tags(self, lead: Lead) -> list[str]:
        return sorted((t.name for t in lead.tags.all()), key=str.lower)

    @extend_schema_field(serializers.ChoiceField(choices=[s.upper() for s in Lead.Status.values]))
    def get_status(self, lead: Lead) -> str:
        return lead.status.upper()


class OmniLeadDetailOutput(OmniLeadOutput):
    """GET /leads/{leadId} adds these."""

    isTest = serializers.BooleanField(source="is_test")
    submittedAt = Timestamp(source="submitted_at")
    workspaceId = serializers.UUIDField(source="workspace.uuid")


class OmniChecklistItemDefinitionOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    code = serializers.CharField()
    label = serializers.CharField()
    fieldType = serializers.CharField(source="field_type")
    isRequired = serializers.BooleanField(source="is_required")
    conditions = AnyJson()
    validationRules = AnyJson(source="validation_rules")
    config = AnyJson()
    helpText = TextOrNull(source="help_text")
    agentInstructions = TextOrNull(source="agent_instructions")
    clientInstructions = TextOrNull(source="client_instructions")


class OmniDocumentRefOutput(serializers.Serializer):
    """A document attached to a checklist item, with a download link valid one hour."""

    id = serializers.UUIDField(source="uuid")
    filename = serializers.CharField()
    mimeType = TextOrNull(source="mime_type")
    size = serializers.IntegerField()
    signedUrl = serializers.SerializerMethodField()
    createdAt = Timestamp(source="created_at")

    def get_signedUrl(self, document: Document) -> str:
        return signed_url(self.context.get("request"), document)


def signed_url(request: Request | None, document: Document) -> str:
    path = document_signed_path(document)
    return request.build_absolute_uri(path) if request is not None else path


class OmniChecklistEntryOutput(serializers.Serializer):
    id = UuidOrNull(source="row.uuid")
    checklistItemId = serializers.UUIDField(source="item.uuid")
    value = AnyJson()
    alternateValues = AnyJson(source="row.alternate_values")
    status = serializers.CharField()
    itemOverride = AnyJson(source="row.item_override")
    validationError = TextOrNull(source="row.validation_error")
    checklistItem = OmniChecklistItemDefinitionOutput(source="item")
    documents = serializers.SerializerMethodField()

    @extend_schema_field(OmniDocumentRefOutput(many=True))
    def get_documents(self, entry: Any) -> list[dict[str, Any]]:
        checklist: LeadChecklist = self.context["checklist"]
        docs = checklist.documents_for(entry.row)
        return OmniDocumentRefOutput(docs, many=True, context=self.context).data


class OmniChecklistGroupOutput(serializers.Serializer):
    id = UuidOrNull(source="group.uuid")
    name = serializers.SerializerMethodField()
    conditions = AnyJson(source="group.conditions")
    items = OmniChecklistEntryOutput(source="entries", many=True)

    def get_name(self, section: ChecklistSection) -> str:
        return section.group.name if section.group is not None else "Other items"


class OmniMessageOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    channel = serializers.CharField()
    direction = serializers.CharField()
    subject = TextOrNull()
    body = serializers.CharField()
    documents = serializers.ListField(child=serializers.DictField(), default=list)


class OmniActionLogOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    type = serializers.SerializerMethodField()
    leadbookType = serializers.ChoiceField(
        source="type",
        choices=ActionLog.Type.values,
        read_only=True,
        help_text="Leadbook's own type (e.g. ASSIGNMENT, MERGE, CALL) behind `type`.",
    )
    status = serializers.CharField()
    summary = serializers.CharField()
    description = TextOrNull()
    eventType = TextOrNull(source="event")
    input = serializers.SerializerMethodField()
    output = AnyJson()
    error = TextOrNull()
    parentActionId = UuidOrNull(source="parent.uuid")
    scheduledAt = Timestamp(source="scheduled_at")
    createdAt = Timestamp(source="created_at")
    completedAt = Timestamp(source="completed_at")
    tool = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=OMNI_LOG_TYPES))
    def get_type(self, log: ActionLog) -> str:
        return omni_log_type(log.type)

    @extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
    def get_input(self, log: ActionLog) -> Any:
        return render_log_input(log.input)

    @extend_schema_field({"type": "object", "nullable": True})
    def get_tool(self, log: ActionLog) -> None:
        return None  # Leadbook has no AI tool calls.

    @extend_schema_field(OmniMessageOutput(many=True))
    def get_messages(self, log: ActionLog) -> list[dict[str, Any]]:
        if log.type not in (ActionLog.Type.MESSAGE, ActionLog.Type.FOLLOW_UP_MESSAGE):
            return []
        return [OmniMessageOutput(log).data]


class OmniLeadDocumentOutput(serializers.Serializer):
    """GET /leads/{leadId}/documents"""

    id = serializers.UUIDField(source="uuid")
    filename = serializers.CharField()
    mimeType = TextOrNull(source="mime_type")
    size = serializers.IntegerField()
    metadata = serializers.SerializerMethodField()
    signedUrl = serializers.SerializerMethodField()
    createdAt = Timestamp(source="created_at")
    leadChecklistItemDocument = serializers.SerializerMethodField()

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_metadata(self, document: Document) -> dict[str, Any]:
        return {
            **(document.metadata or {}),
            "documentType": document.document_type or None,
            "externalId": document.external_id or None,
            "extractionStatus": None,
        }

    def get_signedUrl(self, document: Document) -> str:
        return signed_url(self.context.get("request"), document)

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "object", "additionalProperties": True},
        }
    )
    def get_leadChecklistItemDocument(self, document: Document) -> list[dict[str, Any]]:
        row = document.checklist_value
        if row is None:
            return []
        return [
            {
                "leadChecklistItemId": str(row.uuid),
                "checklistItemId": str(row.item.uuid),
                "checklistItemCode": row.item.code,
                "overallValid": None,
                "validationResult": None,
            }
        ]


class OmniLeadBundleOutput(serializers.Serializer):
    """What create and update return."""

    success = serializers.BooleanField()
    lead = OmniLeadOutput()
    checklistItems = OmniChecklistGroupOutput(many=True)
    actionLogs = OmniActionLogOutput(many=True)
    matchingLeads = OmniLeadOutput(many=True)
    lastAction = OmniActionLogOutput(allow_null=True)
    nextFollowUp = OmniActionLogOutput(allow_null=True)
    nextDraft = OmniActionLogOutput(allow_null=True)


class OmniLeadDetailBundleOutput(OmniLeadBundleOutput):
    """What GET /leads/{leadId} returns."""

    lead = OmniLeadDetailOutput()
    status = serializers.ChoiceField(choices=[s.upper() for s in Lead.Status.values])
    documents = OmniLeadDocumentOutput(many=True)


class OmniChecklistItemCreatedOutput(serializers.Serializer):
    class OmniChecklistItemCreated(serializers.Serializer):
        id = serializers.UUIDField(source="uuid")
        leadId = serializers.UUIDField(source="lead.uuid")
        code = serializers.CharField()
        label = serializers.CharField()
        fieldType = serializers.CharField(source="field_type")
        isRequired = serializers.BooleanField(source="is_required")
        status = serializers.SerializerMethodField()
        config = AnyJson()
        validationRules = AnyJson(source="validation_rules")
        agentInstructions = TextOrNull(source="agent_instructions")
        clientInstructions = TextOrNull(source="client_instructions")
        createdAt = Timestamp(source="created_at")

        def get_status(self, item: ChecklistItem) -> str:
            return LeadChecklistItem.Status.TODO

    success = serializers.BooleanField()
    checklistItem = OmniChecklistItemCreated()


class OmniActivityCreatedOutput(serializers.Serializer):
    success = serializers.BooleanField()
    actionLogId = serializers.UUIDField()


class OmniUploadedDocumentOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    filename = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    mimeType = TextOrNull(source="mime_type")
    uploadedAt = Timestamp(source="created_at")
    associatedChecklistItemId = UuidOrNull(source="checklist_value.uuid")

    def get_url(self, document: Document) -> str:
        return signed_url(self.context.get("request"), document)


class OmniDocumentsUploadedOutput(serializers.Serializer):
    success = serializers.BooleanField()
    documents = OmniUploadedDocumentOutput(many=True)
    actionLogId = serializers.UUIDField()


# --- reading and rendering a lead ----------------------------------------------------------


def checklist_data(checklist: LeadChecklist, request: Request | None) -> list[dict[str, Any]]:
    context = {"request": request, "checklist": checklist}
    return OmniChecklistGroupOutput(checklist.sections(), many=True, context=context).data


def action_logs(lead: Lead, *, limit: int = ACTION_LOG_LIMIT) -> list[ActionLog]:
    return list(ActionLog.objects.for_lead(lead).select_related("parent")[:limit])


def lead_bundle(lead: Lead, *, request: Request | None, detail: bool = False) -> dict[str, Any]:
    """Everything create, update and GET return about one lead: a fixed number of
    queries whatever the size of its checklist or timeline."""
    lead = Lead.objects.select_related("workspace").prefetch_related("tags").get(pk=lead.pk)
    checklist = lead_checklist(lead)
    matches = lead_matching(lead)
    prefetch_related_objects(matches, "tags")
    logs = action_logs(lead)
    # The whole timeline is in hand when it is shorter than the page: no need to ask the
    # database again for the latest sent message, next follow-up and next draft.
    summary = (
        message_summary_of(logs) if len(logs) < ACTION_LOG_LIMIT else lead_message_summary(lead)
    )
    context = {"request": request}
    body: dict[str, Any] = {
        "success": True,
        "lead": (OmniLeadDetailOutput if detail else OmniLeadOutput)(lead, context=context).data,
    }
    if detail:
        body["status"] = lead.status.upper()
    body.update(
        {
            "checklistItems": checklist_data(checklist, request),
            "actionLogs": OmniActionLogOutput(logs, many=True).data,
            "matchingLeads": OmniLeadOutput(matches, many=True).data,
            "lastAction": _log_or_none(summary.last_action),
            "nextFollowUp": _log_or_none(summary.next_follow_up),
            "nextDraft": _log_or_none(summary.next_draft),
        }
    )
    if detail:
        documents = Document.objects.for_lead(lead)
        body["documents"] = OmniLeadDocumentOutput(documents, many=True, context=context).data
    return body


def _log_or_none(log: ActionLog | None) -> dict[str, Any] | None:
    return OmniActionLogOutput(log).data if log is not None else None
