import functools
from typing import Any

from rest_framework import serializers

from api.families import ApiErrorInfo, Family, error_serializer


class AutocallsFamily(Family):
    """Autocalls (Laravel): `{"message": "...", "errors": {"field": ["..."]}}`, 422 for
    validation. Leadbook adds `code` (machine-readable)."""

    name = "autocalls"
    label = "Autocalls"
    url_prefix = "/api/user/"
    validation_status = 422
    non_field_key = "body"
    field_names = {"phone": "phone_number", "campaign": "campaign_id"}

    def error_body(self, error: ApiErrorInfo) -> dict[str, Any]:
        body: dict[str, Any] = {"message": error.message, "code": error.code}
        if error.fields:
            body["errors"] = error.fields
        return body

    @functools.cache  # noqa: B019 (one family object for the process's lifetime)
    def error_schema(self) -> serializers.Serializer:
        # One component: drf-spectacular refuses two serializers with the same name.
        return error_serializer(
            "AutocallsError",
            {
                "message": serializers.CharField(),
                "code": serializers.CharField(),
                "errors": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )


AUTOCALLS = AutocallsFamily()
