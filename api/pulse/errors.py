from typing import Any

from rest_framework import serializers

from api.families import ApiErrorInfo, Family, error_serializer


class PulseFamily(Family):
    """Pulse: `{"error": "...", "message": "..."}`; Leadbook adds `code` (machine-readable)
    and, for invalid fields, `fields`."""

    name = "pulse"
    label = "Pulse"
    url_prefix = "/api/"
    tenant_header = "x-account-id"
    tenant_header_required = False
    accepts_session_tokens = True
    field_names = {
        "first_name": "firstName",
        "last_name": "lastName",
        "job_title": "jobTitle",
        "team": "teamId",
        "lead_source": "leadSourceId",
        "assignee": "assignedTo",
        "img_src": "imgSrc",
        "products_services_sold": "productsServicesSold",
        "number_of_employees": "numberOfEmployees",
        "current_payment_processor": "currentPaymentProcessor",
        "monthly_transaction_volume": "monthlyTransactionVolume",
        "interested_in_switching": "interestedInSwitching",
        "process_stage": "processStage",
        "buying_role": "buyingRole",
        "last_contacted_at": "lastContacted",
        "application_id": "applicationId",
        "created_by": "createdBy",
        "is_active": "active",
        "rotation_members": "userRotationArray",
        "rotation_position": "currentPosition",
    }

    def tenant_value(self, workspace: Any) -> str:
        return workspace.account_id

    def error_body(self, error: ApiErrorInfo) -> dict[str, Any]:
        body: dict[str, Any] = {"error": error.message, "code": error.code}
        if error.fields:
            body["message"] = " ".join(
                f"{name}: {msg}" for name, msgs in error.fields.items() for msg in msgs
            )
            body["fields"] = error.fields
        else:
            body["message"] = error.message
        return body

    def error_schema(self) -> serializers.Serializer:
        # One component for every endpoint: drf-spectacular refuses two "PulseError"s.
        if self._error_schema is None:
            self._error_schema = self._build_error_schema()
        return self._error_schema

    _error_schema: serializers.Serializer | None = None

    def _build_error_schema(self) -> serializers.Serializer:
        return error_serializer(
            "PulseError",
            {
                "error": serializers.CharField(),
                "message": serializers.CharField(),
                "code": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )


PULSE = PulseFamily()
