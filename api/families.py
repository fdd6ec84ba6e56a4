"""An API family: how one existing product's API looks from the outside.

The platform (authentication, tenant headers, idempotency, rate limits, errors) is
written once; each family only says what differs: its error envelope, its tenant header
and how it names fields."""

from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


@dataclass(frozen=True)
class ApiErrorInfo:
    """An error, before a family puts it in its envelope."""

    status: int
    code: str  # machine-readable, e.g. "validation_error", "idempotency_key_reused"
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class Family:
    name = ""
    label = ""
    url_prefix = ""
    validation_status = 400
    # Tenant header checked against the credential's workspace, if the family has one.
    tenant_header: str | None = None
    tenant_header_required = False
    accepts_session_tokens = False
    # Where a validation error tied to no field (a body that is not an object, a duplicate,
    # a state that forbids the change) is listed, for a family whose validation answers
    # always list fields (Laravel's 422 always has `errors`). None: in the message only.
    non_field_key: str | None = None
    # canonical service field name -> this family's request field name
    field_names: dict[str, str] = {}

    def tenant_value(self, workspace: Any) -> str:
        raise NotImplementedError

    def error_body(self, error: ApiErrorInfo) -> dict[str, Any]:
        raise NotImplementedError

    def error_schema(self) -> serializers.Serializer:
        raise NotImplementedError

    def field_name(self, canonical: str) -> str:
        return self.field_names.get(canonical, canonical)

    def error_responses(self, *statuses: int) -> dict[int, OpenApiResponse]:
        """OpenAPI responses in this family's envelope, for extend_schema."""
        descriptions = {
            400: "Invalid request",
            401: "Missing or invalid credentials",
            403: "Not allowed (scope, role or tenant header)",
            404: "Not found in this workspace",
            405: "Method not allowed",
            409: "Idempotency conflict",
            413: "Request body too large",
            415: "Unsupported content type",
            422: "Validation failed",
            429: "Rate limit exceeded (see Retry-After)",
            500: "Unexpected error; nothing was written",
            503: "Database briefly unavailable; nothing was written (see Retry-After)",
        }
        return {
            s: OpenApiResponse(self.error_schema(), description=descriptions.get(s, "Error"))
            for s in statuses
        }


def error_serializer(name: str, fields: dict[str, serializers.Field]) -> serializers.Serializer:
    return inline_serializer(name=name, fields=fields)
