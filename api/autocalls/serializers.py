"""Autocalls request and response shapes (docs.autocalls.ai, seed 004).

Input serializers check the shape and turn Autocalls names into canonical ones; output
serializers render campaign leads and campaigns the way the documentation shows them:
lead timestamps as `YYYY-MM-DD HH:MM:SS` (UTC), campaign timestamps as Laravel's
`2025-06-02T12:08:17.000000Z`."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.errors import ApiError, flatten_errors
from campaigns.models import WEEKDAYS, CallAttempt, Campaign, CampaignLead
from campaigns.services import INVALID_PHONE, SETTABLE_STATUSES
from leads.services.phones import phone_normalize

# Named enums for the OpenAPI document (settings.SPECTACULAR_SETTINGS ENUM_NAME_OVERRIDES).
SETTABLE_STATUS_CHOICES = list(SETTABLE_STATUSES)
LEAD_STATUS_CHOICES = CampaignLead.Status.values
CAMPAIGN_STATUS_CHOICES = Campaign.Status.values
OUTCOME_CHOICES = CallAttempt.Outcome.values
STATUS_ACTIONS = ["start", "stop"]
LEAD_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Ids are 64-bit in the database: a larger number is a 422, not an overflow deep down.
ID_MAX = 2**63 - 1
PAGE_MAX = 1_000_000
# Laravel keeps whole seconds, so its microseconds always read .000000.
CAMPAIGN_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.000000Z"


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        "example": "2025-06-02 12:08:17",
    }
)
class LaravelDateTimeField(serializers.DateTimeField):
    """`YYYY-MM-DD HH:MM:SS` in UTC: not an RFC 3339 date-time, so the OpenAPI document
    describes it by its pattern."""


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        "example": "2025-06-02 12:08:17",
    }
)
class NullableLaravelDateTimeField(LaravelDateTimeField):
    """The same, or null (e.g. no next attempt is scheduled)."""


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "09:00"}
)
class WallClockTimeField(serializers.TimeField):
    """A time of day without an offset (`HH:MM` or `HH:MM:SS`, in the campaign's time
    zone): OpenAPI's `time` format would demand an offset."""


def lead_time() -> serializers.DateTimeField:
    return LaravelDateTimeField(
        format=LEAD_TIME_FORMAT, default_timezone=datetime.UTC, read_only=True
    )


def campaign_time() -> serializers.DateTimeField:
    return serializers.DateTimeField(
        format=CAMPAIGN_TIME_FORMAT, default_timezone=datetime.UTC, read_only=True
    )


def validate_or_raise(serializer: serializers.Serializer) -> dict[str, Any]:
    """The validated data, or a 422 in the Autocalls envelope. When only phone numbers
    are wrong the message is the documented "Invalid phone number"."""
    if serializer.is_valid():
        return serializer.validated_data
    fields = flatten_errors(serializer.errors)
    if fields and all(name.endswith("phone_number") for name in fields):
        raise ApiError(422, "invalid_phone", INVALID_PHONE, fields=fields)
    raise serializers.ValidationError(serializer.errors)


class PhoneNumberField(serializers.CharField):
    """A number written any common way, returned in E.164; read in the workspace's
    default region (context["region"]) when it has no country code."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str | int) or isinstance(data, bool):
            raise serializers.ValidationError(INVALID_PHONE)
        try:
            region = self.context.get("region", "US")
            return phone_normalize(str(data), region=region).e164
        except DjangoValidationError:
            raise serializers.ValidationError(INVALID_PHONE) from None


class VariablesField(serializers.DictField):
    """Call variables: any JSON object (null counts as empty)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if data is None:
            return {}
        return super().to_internal_value(data)


# --- leads ------------------------------------------------------------------------------


class SecondaryContactInput(serializers.Serializer):
    phone_number = PhoneNumberField()
    variables = VariablesField()


class DuplicateFlagMixin(serializers.Serializer):
    allow_dupplicate = serializers.BooleanField(
        required=False,
        help_text="Allow the same number in the campaign again (documented spelling).",
    )
    allow_duplicate = serializers.BooleanField(
        required=False, help_text="Alias of allow_dupplicate."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs["allow_duplicate"] = bool(
            attrs.pop("allow_dupplicate", False) or attrs.get("allow_duplicate", False)
        )
        return attrs


class LeadCreateInput(DuplicateFlagMixin):
    phone_number = PhoneNumberField(help_text="The number, in E.164 (e.g. +14155550123).")
    campaign_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    variables = VariablesField()
    secondary_contacts = SecondaryContactInput(many=True, required=False, max_length=10)


class LeadUpdateInput(DuplicateFlagMixin):
    campaign_id = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    phone_number = PhoneNumberField(required=False)
    status = serializers.ChoiceField(choices=SETTABLE_STATUS_CHOICES, required=False)
    variables = VariablesField(help_text="Merged into the existing variables.")


class AutocallsLeadListQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=PAGE_MAX, required=False, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=100, required=False, default=15)
    status = serializers.ChoiceField(choices=LEAD_STATUS_CHOICES, required=False)
    campaign_id = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    phone_number = serializers.CharField(
        required=False, max_length=32, help_text="Any part of the number; digits are compared."
    )
    date_from = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])

    def validate_phone_number(self, value: str) -> str:
        """The digits to look for: without one, the filter would match every row."""
        digits = "".join(ch for ch in value if ch.isdigit())
        if not digits:
            raise serializers.ValidationError("Give at least one digit of the number.")
        return digits

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return attrs


class CampaignRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SecondaryContactOutput(serializers.Serializer):
    id = serializers.IntegerField()
    phone_number = serializers.CharField(source="phone")
    variables = serializers.DictField()
    status = serializers.CharField()
    created_at = lead_time()
    updated_at = lead_time()


class AutocallsLeadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    campaign_id = serializers.IntegerField()
    phone_number = serializers.CharField(source="phone")
    variables = serializers.DictField()
    status = serializers.ChoiceField(choices=LEAD_STATUS_CHOICES)
    created_at = lead_time()
    updated_at = lead_time()
    campaign = CampaignRefOutput()


class LeadCreatedOutput(AutocallsLeadOutput):
    secondary_contacts = SecondaryContactOutput(many=True, source="secondary_list")


class LeadCreateResponse(serializers.Serializer):
    message = serializers.CharField(default="Lead created successfully")
    data = LeadCreatedOutput()


class MessageResponse(serializers.Serializer):
    message = serializers.CharField()


class PageLink(serializers.Serializer):
    url = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    active = serializers.BooleanField()


class LeadPage(serializers.Serializer):
    current_page = serializers.IntegerField()
    data = AutocallsLeadOutput(many=True)
    first_page_url = serializers.CharField()
    from_ = serializers.IntegerField(allow_null=True)
    last_page = serializers.IntegerField()
    last_page_url = serializers.CharField()
    links = PageLink(many=True)
    next_page_url = serializers.CharField(allow_null=True)
    path = serializers.CharField()
    per_page = serializers.IntegerField()
    prev_page_url = serializers.CharField(allow_null=True)
    to = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword, a Laravel field name
        return fields


# --- calls and the queue (Leadbook extensions for external dialers) ----------------------


class QueueLeadOutput(AutocallsLeadOutput):
    parent_id = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()
    last_outcome = serializers.CharField(allow_blank=True)
    next_attempt_at = NullableLaravelDateTimeField(
        format=LEAD_TIME_FORMAT, default_timezone=datetime.UTC, read_only=True, allow_null=True
    )
    timezone = serializers.CharField(
        source="effective_timezone", help_text="The clock the calling window is read on."
    )


class QueueQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)


class QueueResponse(serializers.Serializer):
    data = QueueLeadOutput(many=True)
    processing = serializers.IntegerField()
    max_calls_in_parallel = serializers.IntegerField()


class ClaimInput(serializers.Serializer):
    count = serializers.IntegerField(
        min_value=1,
        max_value=10,
        required=False,
        default=1,
        help_text="How many numbers to take (at most the free places under "
        "max_calls_in_parallel are given).",
    )


class ClaimedLeadOutput(QueueLeadOutput):
    claimed_until = LaravelDateTimeField(
        format=LEAD_TIME_FORMAT,
        default_timezone=datetime.UTC,
        read_only=True,
        help_text="When the claim runs out and the number is callable again unless its "
        "call is reported.",
    )


class ClaimResponse(serializers.Serializer):
    data = ClaimedLeadOutput(many=True)
    processing = serializers.IntegerField()
    max_calls_in_parallel = serializers.IntegerField()


class CallInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOME_CHOICES)
    duration = serializers.IntegerField(min_value=0, max_value=86400, required=False, default=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    variables = VariablesField(help_text="Variables gathered on the call; merged into the lead's.")
    retry_at = serializers.DateTimeField(
        required=False,
        help_text="When a retried call should happen instead of after retry_interval.",
    )


class CallOutput(serializers.Serializer):
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField(source="campaign_lead_id")
    campaign_id = serializers.IntegerField()
    outcome = serializers.CharField()
    duration = serializers.IntegerField(source="duration_seconds")
    notes = serializers.CharField(allow_blank=True)
    created_at = lead_time()
    lead = QueueLeadOutput(source="campaign_lead")


class CallResponse(serializers.Serializer):
    message = serializers.CharField()
    data = CallOutput()


# --- campaigns --------------------------------------------------------------------------


class CampaignCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    assistant_id = serializers.IntegerField(
        required=False, help_text="Accepted for compatibility; Leadbook has no assistants."
    )
    timezone = serializers.CharField(
        required=False, allow_blank=True, help_text="IANA zone; the workspace's by default."
    )
    max_calls_in_parallel = serializers.IntegerField(
        min_value=1, max_value=10, required=False, default=3
    )
    allowed_hours_start_time = WallClockTimeField(
        required=False, default=datetime.time(0, 0), input_formats=["%H:%M", "%H:%M:%S"]
    )
    allowed_hours_end_time = WallClockTimeField(
        required=False, default=datetime.time(23, 59), input_formats=["%H:%M", "%H:%M:%S"]
    )
    allowed_days = serializers.ListField(
        child=serializers.ChoiceField(choices=WEEKDAYS),
        allow_empty=False,
        required=False,
        default=list(WEEKDAYS),
    )
    max_retries = serializers.IntegerField(min_value=1, max_value=5, required=False, default=3)
    retry_interval = serializers.IntegerField(
        min_value=10, max_value=4320, required=False, default=60, help_text="Minutes."
    )
    retry_on_voicemail = serializers.BooleanField(required=False, default=True)
    retry_on_goal_incomplete = serializers.BooleanField(required=False, default=False)
    goal_completion_variable = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    mark_complete_when_no_leads = serializers.BooleanField(required=False, default=False)
    variables = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        help_text="Declared call variable names (Leadbook extension).",
    )
    phone_number_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Accepted and ignored."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["allowed_hours_end_time"] <= attrs["allowed_hours_start_time"]:
            raise serializers.ValidationError(
                {"allowed_hours_end_time": "Must be after allowed_hours_start_time."}
            )
        if attrs["retry_on_goal_incomplete"] and not attrs["goal_completion_variable"]:
            raise serializers.ValidationError(
                {"goal_completion_variable": "Required when retry_on_goal_incomplete is true."}
            )
        return attrs

    def canonical(self) -> dict[str, Any]:
        data = self.validated_data
        return {
            "name": data["name"],
            "timezone": data.get("timezone") or "",
            "max_calls_in_parallel": data["max_calls_in_parallel"],
            "allowed_hours_start": data["allowed_hours_start_time"],
            "allowed_hours_end": data["allowed_hours_end_time"],
            "allowed_days": data["allowed_days"],
            "max_retries": data["max_retries"],
            "retry_interval_minutes": data["retry_interval"],
            "retry_on_voicemail": data["retry_on_voicemail"],
            "retry_on_goal_incomplete": data["retry_on_goal_incomplete"],
            "goal_completion_variable": data["goal_completion_variable"],
            "mark_complete_when_no_leads": data["mark_complete_when_no_leads"],
            "variables": data["variables"],
        }


class CampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=CAMPAIGN_STATUS_CHOICES)
    timezone = serializers.CharField()
    max_calls_in_parallel = serializers.IntegerField()
    mark_complete_when_no_leads = serializers.BooleanField()
    allowed_hours_start_time = WallClockTimeField(source="allowed_hours_start", format="%H:%M:%S")
    allowed_hours_end_time = WallClockTimeField(source="allowed_hours_end", format="%H:%M:%S")
    allowed_days = serializers.ListField(child=serializers.CharField())
    max_retries = serializers.IntegerField()
    retry_interval = serializers.IntegerField(source="retry_interval_minutes")
    retry_on_voicemail = serializers.BooleanField()
    retry_on_goal_incomplete = serializers.BooleanField()
    goal_completion_variable = serializers.CharField(allow_blank=True)
    variables = serializers.ListField(child=serializers.CharField())
    created_at = campaign_time()
    updated_at = campaign_time()


class CampaignCreateResponse(serializers.Serializer):
    message = serializers.CharField()
    data = CampaignOutput()


class CampaignStatusInput(serializers.Serializer):
    campaign_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    action = serializers.ChoiceField(choices=STATUS_ACTIONS)


class CampaignStatusData(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    status = serializers.CharField()


class CampaignStatusResponse(serializers.Serializer):
    message = serializers.CharField()
    success = serializers.BooleanField()
    data = CampaignStatusData()


class MeResponse(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    timezone = serializers.CharField()
    workspace = CampaignRefOutput()
    api_key = serializers.DictField(allow_null=True)
