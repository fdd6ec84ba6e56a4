"""OpenAPI: what the platform does to every family operation, declared once.

A family view declares its own request, success response and the errors only it raises.
FamilyAutoSchema adds, in the family's error envelope, what FamilyAPIView does to every
request (credentials, tenant header, rate limits, body limit, Idempotency-Key, the 500),
so the document cannot drift from the pipeline one view at a time."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import MAX_KEY_LENGTH
from api.permissions import HasCredential

WRITES_WITH_BODY = ("POST", "PUT", "PATCH")
RETRY_AFTER_STATUSES = [409, 429, 503]

RATE_LIMIT_HEADERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description=description,
    )
    for name, description in (
        ("RateLimit-Limit", "Requests allowed in the window closest to its limit."),
        ("RateLimit-Remaining", "Requests left in that window."),
        ("RateLimit-Reset", "Seconds until that window starts over."),
    )
]
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=RETRY_AFTER_STATUSES,
    description="Seconds to wait before retrying.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        f"Optional, printable ASCII, at most {MAX_KEY_LENGTH} characters. The same key and "
        "request again replay the stored response (`Idempotent-Replayed: true`); the same "
        "key with another request is 409 `idempotency_key_reused`."
    ),
)
TENANT_HEADER_HELP = {
    "x-customer-id": "The UUID of the workspace your key belongs to; another workspace is 403.",
    "x-account-id": "Optional: the account number of your workspace; another account is 403.",
}


class FamilyAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the platform's parameters, headers and errors on
    every operation of a family view (views without a `family` are left alone)."""

    @property
    def _family(self) -> Any:
        return getattr(self.view, "family", None)

    def _authenticated(self) -> bool:
        return any(issubclass(p, HasCredential) for p in self.view.permission_classes)

    def _idempotent(self) -> bool:
        return self.method == "POST" and getattr(self.view, "idempotent_post", False)

    def get_override_parameters(self) -> list[Any]:
        declared = super().get_override_parameters()
        family = self._family
        if family is None:
            return declared
        platform: list[Any] = [*RATE_LIMIT_HEADERS, RETRY_AFTER]
        if family.tenant_header:
            platform.append(
                OpenApiParameter(
                    family.tenant_header,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=family.tenant_header_required,
                    description=TENANT_HEADER_HELP.get(family.tenant_header, ""),
                )
            )
        if self._idempotent():
            platform.append(IDEMPOTENCY_KEY)
        # What a view declares itself comes last and wins over the platform's default.
        return [*platform, *declared]

    def _platform_statuses(self) -> list[int]:
        view = self.view
        statuses = [429, 500, 503]
        if self._authenticated():
            statuses.append(401)
            if self._family.tenant_header or view.required_scopes.get(self.method):
                statuses.append(403)
        if self.method in WRITES_WITH_BODY:
            statuses += [400, 413, 415]  # unparseable JSON, body over the limit, not JSON
        if self._idempotent():
            statuses.append(409)  # idempotency_key_reused / idempotency_request_in_progress
        return statuses

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        # Hooked here, not in get_response_serializers: a view's @extend_schema(responses=…)
        # replaces that method's answer wholesale, and the platform's statuses must stay.
        responses = super()._get_response_bodies(direction)
        family = self._family
        if family is None:
            return responses
        missing = [s for s in self._platform_statuses() if str(s) not in responses]
        for status, response in family.error_responses(*missing).items():
            responses[str(status)] = self._get_response_for_code(
                response, str(status), direction=direction
            )
        return dict(sorted(responses.items()))
