from typing import Any

from rest_framework import serializers

from api.families import ApiErrorInfo, Family, error_serializer

# The documented error types, by HTTP status.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "authorization_error",
    404: "not_found_error",
    409: "api_error",
    429: "rate_limit_error",
}


class MegaFamily(Family):
    """MEGA: `{"error": {"type", "code", "message"}}`; `code` mirrors the HTTP status.
    Leadbook adds `reason` (a machine-readable code) and, for invalid fields, `fields`."""

    name = "mega"
    label = "MEGA"
    url_prefix = "/api/agents/crm/"
    tenant_header = "x-customer-id"
    tenant_header_required = True
    field_names = {
        "phone": "contact_phone",
        "email": "contact_email",
        "first_name": "contact_name",
        "last_name": "contact_name",
        "stage": "stage_slug",
        "assignee": "owner_id",
    }

    def tenant_value(self, workspace: Any) -> str:
        return str(workspace.uuid)

    def error_body(self, error: ApiErrorInfo) -> dict[str, Any]:
        status = error.status
        if status in ERROR_TYPES:
            kind = ERROR_TYPES[status]
        elif 400 <= status < 500:
            kind = "invalid_request_error"
        else:
            kind = "api_error"
        body: dict[str, Any] = {
            "type": kind,
            "code": status,
            "message": error.message,
            "reason": error.code,
        }
        if error.fields:
            body["fields"] = error.fields
        return {"error": body}

    def error_schema(self) -> serializers.Serializer:
        # One component for every endpoint: a new inline class per call would be a
        # second "MegaError" to drf-spectacular.
        cached = getattr(self, "_error_schema", None)
        if cached is None:
            cached = self._error_schema = self._build_error_schema()
        return cached

    def _build_error_schema(self) -> serializers.Serializer:
        return error_serializer(
            "MegaError",
            {
                "error": error_serializer(
                    "MegaErrorBody",
                    {
                        "type": serializers.ChoiceField(choices=sorted(set(ERROR_TYPES.values()))),
                        "code": serializers.IntegerField(),
                        "message": serializers.CharField(),
                        "reason": serializers.CharField(),
                        "fields": serializers.DictField(
                            child=serializers.ListField(child=serializers.CharField()),
                            required=False,
                        ),
                    },
                )
            },
        )


MEGA = MegaFamily()
