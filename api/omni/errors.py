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
