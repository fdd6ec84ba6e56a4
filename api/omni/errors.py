from typing import Any

from rest_framework import serializers

from api.families import ApiErrorInfo, Family, error_serializer


class OmniFamily(Family):
    """OmniAI: `{"success": false, "error": {"code", "message", "details"}}`."""

    name = "omni"
    label = "OmniAI"
    url_prefix = "/api/v1/"
    field_names = {
        "first_name": "firstName",
        "middle_name": "middleName",
        "last_name": "lastName",
        "phone": "phoneNumber",
        "company": "businessName",
        "external_id": "externalLeadId",
        "external_portal_link": "externalPortalLink",
        "assignee_type": "assigneeType",
        "opted_out": "didOptOut",
        "email_verified": "emailVerified",
        "activity_summary": "activitySummary",
        "is_test": "isTest",
        "checklist_items": "checklistItems",
        "lead_checklist_item_id": "leadChecklistItemId",
        "field_type": "fieldType",
        "is_required": "isRequired",
        "validation_rules": "validationRules",
        "agent_instructions": "agentInstructions",
        "client_instructions": "clientInstructions",
        "help_text": "helpText",
    }

    def error_body(self, error: ApiErrorInfo) -> dict[str, Any]:
        return {
            "success": False,
            "error": {
                "code": error.code,
                "message": error.message,
                "details": error.fields or None,
            },
        }

    def error_schema(self) -> serializers.Serializer:
        # One component for every endpoint: spectacular refuses two different classes
        # with the same name.
        if getattr(self, "_error_schema", None) is None:
            self._error_schema = self._build_error_schema()
        return self._error_schema

    def _build_error_schema(self) -> serializers.Serializer:
        return error_serializer(
            "OmniError",
            {
                "success": serializers.BooleanField(),
                "error": error_serializer(
                    "OmniErrorBody",
                    {
                        "code": serializers.CharField(),
                        "message": serializers.CharField(),
                        "details": serializers.DictField(
                            child=serializers.ListField(child=serializers.CharField()),
                            allow_null=True,
                        ),
                    },
                ),
            },
        )


OMNI = OmniFamily()
