"""MEGA's request and response shapes, and how they map onto the canonical lead.

| MEGA                | canonical                                              |
|---------------------|--------------------------------------------------------|
| id                  | Lead.uuid                                              |
| customer_id         | Workspace.uuid                                         |
| contact_name        | first_name + last_name (split at the first space)      |
| contact_phone       | phone (E.164)                                          |
| contact_email       | email                                                  |
| stage_slug          | stage (by slug) / current_stage {id=Stage.uuid, …}     |
| owner_id / owner    | assignee (Membership; id is its number as a string)    |
| status              | derived: archived / won / lost / active (mega_status)  |
"""

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads.models import Lead, Membership, Stage, WebhookEndpoint
from leads.services.events import LEAD_EVENTS

MISSING_CONTACT = "At least one of contact_name, contact_phone, or contact_email is required"
MEGA_STATUSES = ("active", "won", "lost", "nurture", "archived")
# Canonical statuses that close a lead as lost in MEGA's vocabulary.
LOST_STATUSES = (Lead.Status.NOT_INTERESTED, Lead.Status.OPTED_OUT)


def mega_time(value: datetime | None) -> str | None:
    """MEGA's timestamps: UTC with milliseconds, e.g. 2026-07-01T18:20:00.000Z."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def mega_status(lead: Lead) -> str:
    """archived, won (won stage), lost (lost stage, not interested or opted out), else
    active. `nurture` has no canonical meaning yet, so no lead is in it."""
    if lead.archived_at is not None:
        return "archived"
    stage = lead.stage
    if stage is not None and stage.is_won:
        return "won"
    if (stage is not None and stage.is_lost) or lead.status in LOST_STATUSES:
        return "lost"
    return "active"


def split_name(name: str) -> tuple[str, str]:
    """contact_name → (first, last) at the first space."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def webhook_public_id(endpoint: WebhookEndpoint) -> str:
    return f"wh_{endpoint.uuid}"


class MegaDateTimeField(serializers.DateTimeField):
    def to_representation(self, value: datetime | None) -> str | None:
        return mega_time(value)


# --- input ----------------------------------------------------------------------------


def _scalar_map(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise serializers.ValidationError("Must be an object mapping custom-field slugs to values.")
    bad = [
        k for k, v in value.items() if not (v is None or isinstance(v, str | int | float | bool))
    ]
    if bad:
        raise serializers.ValidationError(
            "Values must be a string, number, boolean or null; not for: " + ", ".join(bad) + "."
        )
    # 1e400 parses to infinity: no JSON number, and PostgreSQL's jsonb refuses it.
    infinite = [k for k, v in value.items() if isinstance(v, float) and not math.isfinite(v)]
    if infinite:
        raise serializers.ValidationError(
            "Numbers must be finite; not for: " + ", ".join(infinite) + "."
        )
    return dict(value)


class CustomFieldsField(serializers.Field):
    """Map of custom-field slug to a scalar (string | number | boolean | null)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        return _scalar_map(data)

    def to_representation(self, value: Any) -> dict[str, Any]:
        return value


extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
            "nullable": True,
        },
    }
)(CustomFieldsField)


class LeadInput(serializers.Serializer):
    contact_name = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=301, trim_whitespace=True
    )
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=64
    )
    contact_email = serializers.EmailField(
        required=False, allow_blank=True, allow_null=True, max_length=254
    )
    source_platform = serializers.ChoiceField(
        choices=Lead.SourcePlatform.values, required=False, allow_null=True
    )
    source_type = serializers.ChoiceField(
        choices=Lead.SourceType.values, required=False, allow_null=True
    )
    stage_slug = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=64
    )
    lead_line = serializers.ChoiceField(
        choices=Lead.LeadLine.values,
        required=False,
        allow_null=True,
        help_text="Leadbook also accepts the bulk rows' lead_line here.",
    )
    owner_id = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=64,
        help_text="Assign to this owner instead of the rotation (an owner.id from a lead).",
    )
    custom_fields = CustomFieldsField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        contacts = (attrs.get(k) for k in ("contact_name", "contact_phone", "contact_email"))
        if not any(isinstance(v, str) and v.strip() for v in contacts):
            raise serializers.ValidationError(MISSING_CONTACT)
        return attrs


class BulkRowInput(LeadInput):
    row_ref = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=255
    )


@extend_schema_field(
    {
        "description": "One lead: the fields of POST /leads (contact_name, contact_phone, "
        "contact_email, source_platform, source_type, lead_line, stage_slug, owner_id, "
        "custom_fields) plus an optional row_ref echoed in its result. Any JSON value is "
        "accepted here: a row that is not a valid lead is reported as failed in `results` "
        "and never fails the request."
    }
)
class BulkRowField(serializers.Field):
    """One row of a bulk request, taken as it came: rows are validated one by one
    (BulkRowInput), so a bad row fails alone instead of failing the whole batch."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class BulkInput(serializers.Serializer):
    leads = serializers.ListField(
        child=BulkRowField(), min_length=1, max_length=500, help_text="1-500 rows."
    )
    on_duplicate = serializers.ChoiceField(choices=["update", "skip"], default="update")
    dry_run = serializers.BooleanField(default=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        rows = data.get("leads") if isinstance(data, Mapping) else None
        if isinstance(rows, list) and len(rows) > 500:
            raise serializers.ValidationError(
                {"leads": [f"At most 500 rows per request; this one has {len(rows)}."]}
            )
        return super().to_internal_value(data)


def bulk_dry_run(data: Any) -> bool:
    """Whether a bulk body asks for a dry run, read as BulkInput reads it ("true", 1, …
    count); a value it refuses is not a dry run (the request is then a 400 anyway)."""
    raw = data.get("dry_run", False) if isinstance(data, Mapping) else False
    try:
        return BulkInput().fields["dry_run"].run_validation(raw)
    except serializers.ValidationError:
        return False


def lead_input_data(
    values: Mapping[str, Any], *, stage: Stage | None, owner: Membership | None
) -> dict[str, Any]:
    """Validated MEGA input → the canonical data lead services take. Only what the client
    sent is included, so a merge never blanks a field the client left out."""
    data: dict[str, Any] = {}
    name = values.get("contact_name")
    if name:
        data["first_name"], data["last_name"] = split_name(name)
    if values.get("contact_phone"):
        data["phone"] = values["contact_phone"]
    if values.get("contact_email"):
        data["email"] = values["contact_email"]
    for key in ("source_platform", "source_type", "lead_line"):
        if values.get(key):
            data[key] = values[key]
    if stage is not None:
        data["stage"] = stage
    if owner is not None:
        data["assignee"] = owner
    if values.get("custom_fields"):
        data["custom_fields"] = values["custom_fields"]
    return data


# --- output ---------------------------------------------------------------------------


class StageOutput(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    slug = serializers.CharField()
    name = serializers.CharField()
    color = serializers.CharField()


class OwnerOutput(serializers.Serializer):
    id = serializers.CharField(source="pk")
    name = serializers.CharField()
    role_name = serializers.CharField(source="get_role_display")


class MegaLeadOutput(serializers.Serializer):
    """The lead as MEGA shows it. Context: `workspace`, `include_custom_fields`."""

    id = serializers.UUIDField(source="uuid")
    customer_id = serializers.SerializerMethodField()
    source_platform = serializers.CharField(allow_null=True)
    source_type = serializers.CharField(allow_null=True)
    status = serializers.SerializerMethodField()
    created_at = MegaDateTimeField()
    updated_at = MegaDateTimeField()
    contact_name = serializers.CharField(source="full_name", allow_null=True)
    contact_phone = serializers.CharField(source="phone_e164", allow_null=True)
    contact_email = serializers.CharField(source="email", allow_null=True)
    score = serializers.IntegerField(allow_null=True)
    qualified = serializers.BooleanField(allow_null=True)
    current_stage = StageOutput(source="stage", allow_null=True)
    owner = OwnerOutput(source="assignee", allow_null=True)
    last_interaction_at = MegaDateTimeField(allow_null=True)
    interaction_count = serializers.IntegerField()
    custom_fields = serializers.DictField(
        required=False, help_text="Only with include_custom_fields=true on the list."
    )

    @extend_schema_field(OpenApiTypes.UUID)
    def get_customer_id(self, lead: Lead) -> str:
        return str(self.context["workspace"].uuid)

    @extend_schema_field(serializers.ChoiceField(choices=MEGA_STATUSES))
    def get_status(self, lead: Lead) -> str:
        return mega_status(lead)

    def to_representation(self, lead: Lead) -> dict[str, Any]:
        # Built directly rather than field by field: the declared fields above describe
        # the shape (OpenAPI); walking them per lead cost more than a page's queries.
        stage, owner = lead.stage, lead.assignee
        data: dict[str, Any] = {
            "id": str(lead.uuid),
            "customer_id": str(self.context["workspace"].uuid),
            "source_platform": lead.source_platform or None,
            "source_type": lead.source_type or None,
            "status": mega_status(lead),
            "created_at": mega_time(lead.created_at),
            "updated_at": mega_time(lead.updated_at),
            "contact_name": lead.full_name or None,
            "contact_phone": lead.phone_e164 or None,
            "contact_email": lead.email or None,
            "score": lead.score,
            "qualified": lead.qualified,
            "current_stage": (
                {
                    "id": str(stage.uuid),
                    "slug": stage.slug,
                    "name": stage.name,
                    "color": stage.color,
                }
                if stage is not None
                else None
            ),
            "owner": (
                {"id": str(owner.pk), "name": owner.name, "role_name": owner.get_role_display()}
                if owner is not None
                else None
            ),
            "last_interaction_at": mega_time(lead.last_interaction_at),
            "interaction_count": lead.interaction_count,
        }
        if self.context.get("include_custom_fields", True):
            data["custom_fields"] = dict(lead.custom_fields or {})
        return data


class LeadResponse(serializers.Serializer):
    lead = MegaLeadOutput()


class MegaLeadListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=MEGA_STATUSES, required=False)
    stageId = serializers.UUIDField(required=False, help_text="current_stage.id")
    search = serializers.CharField(
        required=False, max_length=200, help_text="Name, email or phone (any format)."
    )
    created_since = serializers.DateTimeField(required=False, help_text="ISO-8601, inclusive.")
    updated_since = serializers.DateTimeField(required=False, help_text="ISO-8601, inclusive.")
    lead_line = serializers.ChoiceField(choices=Lead.LeadLine.values, required=False)
    sort_by = serializers.ChoiceField(
        choices=["created_at", "updated_at", "last_interaction_at"], default="updated_at"
    )
    sort_dir = serializers.ChoiceField(choices=["asc", "desc"], default="asc")
    include_custom_fields = serializers.BooleanField(required=False, default=False)
    cursor = serializers.CharField(
        required=False, max_length=1000, help_text="next_cursor of the previous page."
    )
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)
    offset = serializers.IntegerField(
        required=False, default=0, min_value=0, help_text="Back-compat; prefer cursor."
    )


class LeadListResponse(serializers.Serializer):
    leads = MegaLeadOutput(many=True)
    total = serializers.IntegerField(
        help_text="Exact up to 10,000 matches; beyond, PostgreSQL's estimate "
        "(then the Total-Count-Estimated: true header is set)."
    )
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    next_cursor = serializers.CharField(allow_null=True)


class BulkRowOutput(serializers.Serializer):
    row_ref = serializers.CharField(allow_null=True)
    lead_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "skipped", "failed"])
    matched_by = serializers.ChoiceField(choices=["email", "phone"], allow_null=True)
    errors = serializers.ListField(child=serializers.CharField())
    ignored_custom_fields = serializers.ListField(child=serializers.CharField())


class BulkSummary(serializers.Serializer):
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()


class BulkResponse(serializers.Serializer):
    dry_run = serializers.BooleanField()
    summary = BulkSummary()
    results = BulkRowOutput(many=True)
    unknown_custom_fields = serializers.ListField(child=serializers.CharField())


# --- webhooks -------------------------------------------------------------------------


class WebhookInput(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="Public HTTPS URL (SSRF-checked).")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=LEAD_EVENTS),
        min_length=1,
        default=["lead.created"],
    )
    timeout_seconds = serializers.IntegerField(min_value=1, max_value=60, default=10)
    retry_attempts = serializers.IntegerField(min_value=0, max_value=10, default=5)
    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=500
    )
    is_active = serializers.BooleanField(default=True)


class WebhookUpdateInput(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=LEAD_EVENTS), min_length=1, required=False
    )
    timeout_seconds = serializers.IntegerField(min_value=1, max_value=60, required=False)
    retry_attempts = serializers.IntegerField(min_value=0, max_value=10, required=False)
    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=500
    )
    is_active = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(
        required=False,
        help_text="Mint a new secret (returned once); the old one stays valid for 24 hours.",
    )


class WebhookOutput(serializers.Serializer):
    id = serializers.SerializerMethodField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    timeout_seconds = serializers.IntegerField()
    retry_attempts = serializers.IntegerField()
    description = serializers.CharField(allow_null=True)
    created_at = MegaDateTimeField()
    updated_at = MegaDateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_id(self, endpoint: WebhookEndpoint) -> str:
        return webhook_public_id(endpoint)

    def to_representation(self, endpoint: WebhookEndpoint) -> dict[str, Any]:
        data = super().to_representation(endpoint)
        data["description"] = data["description"] or None
        return data


class WebhookResponse(serializers.Serializer):
    webhook = WebhookOutput()
    secret = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="mega_whsec_…; only at creation and on rotate_secret. A registration "
        "replayed under its Idempotency-Key answers null here: the secret is shown once and "
        "never stored with the replay (rotate it if the first answer was lost).",
    )


class WebhookListResponse(serializers.Serializer):
    webhooks = WebhookOutput(many=True)


class WebhookDeleteResponse(serializers.Serializer):
    deleted = serializers.BooleanField()
    webhook = WebhookOutput()
