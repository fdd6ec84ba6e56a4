"""Pulse request and response shapes, with Pulse's field names.

Input serializers check the shape of a request and name its fields canonically
(`source=`); the services check everything that needs the database. Output serializers
render canonical rows the way the Pulse documentation shows them: integer ids, the
account id as a string, people as emails, ISO-8601 UTC timestamps, null for unset."""

from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.pulse.errors import PULSE
from leads.models import ActionLog, Lead, LeadSource, Membership, Rotation, Team, User, Workspace
from leads.services.routing import rotation_cycle
from leads.services.teams import (
    ROTATION_STATUS_MESSAGE,
    Placement,
    lead_placement_resolve,
    member_by_email,
    user_for_created_by,
)

# --- small field types ------------------------------------------------------------------


class NullableText(serializers.CharField):
    """Text that reads as null when empty."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return str(value) if value not in (None, "") else None


class OptionalText(serializers.CharField):
    """An optional input string that may be sent empty or null to clear the field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None


def _member_email(member: Membership | None) -> str | None:
    return member.user.email if member is not None else None


# --- auth -------------------------------------------------------------------------------


# A member's email, or null when nobody (or a deleted user) is recorded.
NULLABLE_EMAIL = serializers.EmailField(allow_null=True)


class PulseLoginInput(serializers.Serializer):
    """Either apiKey + apiSecret (the two halves of a Leadbook API key) or username +
    password (a member's email and password)."""

    apiKey = serializers.CharField(required=False, max_length=100)
    apiSecret = serializers.CharField(required=False, max_length=200, trim_whitespace=True)
    username = serializers.CharField(required=False, max_length=254)
    password = serializers.CharField(required=False, max_length=1024, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        by_key = "apiKey" in attrs or "apiSecret" in attrs
        by_password = "username" in attrs or "password" in attrs
        if by_key == by_password:
            raise serializers.ValidationError(
                "Send either apiKey and apiSecret, or username and password."
            )
        pair = ("apiKey", "apiSecret") if by_key else ("username", "password")
        missing = {name: ["This field is required."] for name in pair if name not in attrs}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class PulseAccount(serializers.Serializer):
    accountId = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_null=True)


class PulseSessionUser(serializers.Serializer):
    userId = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


class PulseSessionKey(serializers.Serializer):
    apiKey = serializers.CharField(help_text="The public half of the key (lb_…).")
    name = serializers.CharField()


class PulseSession(serializers.Serializer):
    token = serializers.CharField(allow_null=True, help_text="Send as Authorization: Bearer.")
    expiresAt = serializers.DateTimeField(allow_null=True)
    primaryAccount = PulseAccount()
    accounts = PulseAccount(many=True)
    user = PulseSessionUser(allow_null=True)
    apiKey = PulseSessionKey(allow_null=True)
    permissions = serializers.ListField(child=serializers.CharField())


# --- teams ------------------------------------------------------------------------------


class PulseTeamMember(serializers.Serializer):
    userId = serializers.IntegerField(source="user_id")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField()


class PulseTeam(serializers.Serializer):
    id = serializers.IntegerField()
    account_id = serializers.SerializerMethodField()
    accountId = serializers.SerializerMethodField()
    name = serializers.CharField()
    active = serializers.BooleanField(source="is_active")
    members = PulseTeamMember(many=True, source="members.all")
    createdBy = serializers.SerializerMethodField()
    updatedBy = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_account_id(self, team: Team) -> str:
        return self.context["workspace"].account_id

    def get_accountId(self, team: Team) -> str:
        return self.context["workspace"].account_id

    @extend_schema_field(NULLABLE_EMAIL)
    def get_createdBy(self, team: Team) -> str | None:
        return _email(team.created_by)

    @extend_schema_field(NULLABLE_EMAIL)
    def get_updatedBy(self, team: Team) -> str | None:
        return _email(team.updated_by)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "email"},
            {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
        ]
    }
)
class MemberRefField(serializers.Field):
    """A member named by email, or by an object with an "email"."""

    default_error_messages = {"invalid": "Send an email or an object with “email”."}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, Mapping):
            data = data.get("email")
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        return data.strip()

    def to_representation(self, value: Any) -> Any:
        return value


class PulseTeamInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    active = serializers.BooleanField(source="is_active", required=False)
    members = serializers.ListField(
        child=MemberRefField(),
        required=False,
        max_length=1000,
        help_text="Member emails (or objects with an email); replaces the whole list.",
    )


# --- lead sources -----------------------------------------------------------------------


class PulseLeadSource(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    accountId = serializers.SerializerMethodField()
    teamId = serializers.IntegerField(source="team_id", allow_null=True)
    active = serializers.BooleanField(source="is_active")
    createdBy = serializers.SerializerMethodField()
    updatedBy = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_accountId(self, source: LeadSource) -> str:
        return self.context["workspace"].account_id

    @extend_schema_field(NULLABLE_EMAIL)
    def get_createdBy(self, source: LeadSource) -> str | None:
        return _email(source.created_by)

    @extend_schema_field(NULLABLE_EMAIL)
    def get_updatedBy(self, source: LeadSource) -> str | None:
        return _email(source.updated_by)


class PulseLeadSourceInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    active = serializers.BooleanField(source="is_active", required=False)
    teamId = serializers.IntegerField(
        source="team", required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )


# --- rotations --------------------------------------------------------------------------


class PulseRotationMember(serializers.Serializer):
    userId = serializers.IntegerField(source="membership.user_id")
    email = serializers.EmailField(source="membership.user.email")
    name = serializers.CharField(source="membership.name")
    weight = serializers.IntegerField()
    active = serializers.SerializerMethodField(
        help_text="Taking leads: the member is active and not marked away in the rotation."
    )

    def get_active(self, seat: Any) -> bool:
        return bool(seat.is_active and seat.membership.is_active)


class PulseRotation(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    accountId = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Rotation.Status.choices)
    teamId = serializers.IntegerField(source="team_id", allow_null=True)
    userRotationArray = serializers.SerializerMethodField(
        help_text="Member emails in turn order; a member with weight n appears n times."
    )
    currentPosition = serializers.SerializerMethodField(
        help_text="Index in userRotationArray of the member whose turn is next."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    createdBy = serializers.SerializerMethodField()
    updatedBy = serializers.SerializerMethodField()
    team = PulseTeam(allow_null=True)
    members = PulseRotationMember(
        many=True, source="members.all", help_text="Leadbook: each member once, with weight."
    )

    def get_accountId(self, rotation: Rotation) -> str:
        return self.context["workspace"].account_id

    @extend_schema_field(serializers.ListField(child=serializers.EmailField()))
    def get_userRotationArray(self, rotation: Rotation) -> list[str]:
        return [seat.membership.user.email for seat in rotation_cycle(list(rotation.members.all()))]

    def get_currentPosition(self, rotation: Rotation) -> int:
        length = len(rotation_cycle(list(rotation.members.all())))
        return rotation.position % length if length else 0

    @extend_schema_field(NULLABLE_EMAIL)
    def get_createdBy(self, rotation: Rotation) -> str | None:
        return _email(rotation.created_by)

    @extend_schema_field(NULLABLE_EMAIL)
    def get_updatedBy(self, rotation: Rotation) -> str | None:
        return _email(rotation.updated_by)


class RotationSeatsField(serializers.ListField):
    """userRotationArray on input: emails and/or {email, weight} objects in turn order."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(), max_length=1000, **kwargs)


# A plain string in the schema: an enum here would be one more component named after
# "status" with the rotation's choices, which drf-spectacular cannot name apart.
@extend_schema_field({"type": "string", "description": "active, archived or queued."})
class RotationStatusField(serializers.Field):
    """active, archived or queued; anything else (a list, an object, null, "") is the
    one documented message."""

    default_error_messages = {"invalid": ROTATION_STATUS_MESSAGE, "null": ROTATION_STATUS_MESSAGE}

    def to_internal_value(self, data: Any) -> str:
        if not (isinstance(data, str) and data in Rotation.Status.values):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class PulseRotationInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    teamId = serializers.IntegerField(
        source="team", required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    status = RotationStatusField(required=False)
    userRotationArray = RotationSeatsField(
        required=False,
        help_text=(
            "Members in turn order: emails, or {email, weight} objects. Listing an email "
            "n times gives it weight n."
        ),
    )


class PulseRotationUpdateInput(PulseRotationInput):
    currentPosition = serializers.IntegerField(
        source="position", required=False, min_value=0, max_value=2**31 - 1
    )


class PulseRotationStatusInput(serializers.Serializer):
    """The documented body. The view hands the raw value to the service instead of
    validating with this, so every malformed body (not an object, no status, a list…)
    is the one documented 400, with no field named."""

    status = RotationStatusField()


class PulseNextUserMember(serializers.Serializer):
    userId = serializers.IntegerField(help_text="The user's id, as in team and rotation members.")
    email = serializers.EmailField()
    name = serializers.CharField()
    weight = serializers.IntegerField()
    id = serializers.IntegerField(help_text="The member's id in this account.")


class PulseNextUser(serializers.Serializer):
    user = PulseNextUserMember()
    rotationId = serializers.IntegerField()
    currentPosition = serializers.IntegerField(help_text="The turn just handed out.")
    totalUsers = serializers.IntegerField()
    rotation = PulseRotation()
    newPosition = serializers.IntegerField(help_text="The turn that is next now.")
    currentUser = serializers.EmailField()
    nextUser = serializers.EmailField(allow_null=True)


# --- leads ------------------------------------------------------------------------------


class PulseAuditLogEntry(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    apiKey = serializers.CharField(allow_null=True)
    data = serializers.DictField()
    created = serializers.DateTimeField()
    requestMethod = serializers.CharField(allow_null=True)
    requestPath = serializers.CharField(allow_null=True)
    requestHeaders = serializers.DictField(child=serializers.CharField())
    requestIpAddress = serializers.CharField(allow_null=True)
    account_id = serializers.CharField()


def _pulse_value(name: str, value: Any, emails: Mapping[int, str]) -> tuple[str, Any]:
    """A timeline diff value under its Pulse name (assignees as emails)."""
    if name == "assignee":
        return "assignedTo", emails.get(value) if isinstance(value, int) else None
    if name == "archived_at":
        return "archived", value is not None
    return PULSE.field_name(name), value


def audit_entry(log: ActionLog, *, account_id: str, emails: Mapping[int, str]) -> dict[str, Any]:
    """One ActionLog row as a Pulse auditLog entry."""
    data: dict[str, Any] = {"leadId": str(log.lead_pk), "summary": log.summary}
    payload = log.input or {}
    if log.type == ActionLog.Type.ASSIGNMENT:
        data["assignedTo"] = payload.get("assigneeEmail")
        data["reason"] = payload.get("reason") or log.description
    elif "leadUpdates" in payload:
        previous = payload.get("previous") or {}
        changes = {}
        for name, new in payload["leadUpdates"].items():
            key, to = _pulse_value(name, new, emails)
            _, before = _pulse_value(name, previous.get(name), emails)
            changes[key] = {"from": before, "to": to}
        data["changes"] = changes
    user = log.actor_user
    key = log.actor_key
    who = user.email if user else (key.created_by.email if key and key.created_by else None)
    return {
        "id": log.pk,
        "event": log.event,
        "user": who or log.actor_label or None,
        "apiKey": key.display_prefix if key else None,
        "data": data,
        "created": log.created_at,
        "requestMethod": log.request_method or None,
        "requestPath": log.request_path or None,
        "requestHeaders": log.request_headers or {},
        "requestIpAddress": log.request_ip,
        "account_id": account_id,
    }


def audit_member_emails(leads: Iterable[Lead]) -> dict[int, str]:
    """Emails of the members named in the timeline diffs of these leads, in one query
    (none when no diff names an assignee)."""
    ids: set[int] = set()
    for lead in leads:
        for log in getattr(lead, "audit_entries", ()):
            payload = log.input or {}
            for part in ("leadUpdates", "previous"):
                value = (payload.get(part) or {}).get("assignee")
                if isinstance(value, int):
                    ids.add(value)
    if not ids:
        return {}
    return dict(Membership.objects.filter(pk__in=ids).values_list("pk", "user__email").order_by())


class PulseLead(serializers.Serializer):
    id = serializers.IntegerField()
    accountId = serializers.SerializerMethodField()
    teamId = serializers.IntegerField(source="team_id", allow_null=True)
    leadSourceId = serializers.IntegerField(source="lead_source_id", allow_null=True)
    applicationId = NullableText(source="application_id")
    firstName = NullableText(source="first_name")
    lastName = NullableText(source="last_name")
    imgSrc = NullableText(source="img_src")
    email = NullableText()
    phone = NullableText(source="phone_e164", help_text="E.164, e.g. +15555555555.")
    company = NullableText()
    jobTitle = NullableText(source="job_title")
    branch = NullableText()
    source = NullableText()
    position = NullableText()
    location = NullableText()
    productsServicesSold = NullableText(source="products_services_sold")
    numberOfEmployees = serializers.IntegerField(source="number_of_employees", allow_null=True)
    currentPaymentProcessor = NullableText(source="current_payment_processor")
    monthlyTransactionVolume = serializers.IntegerField(
        source="monthly_transaction_volume", allow_null=True
    )
    interestedInSwitching = serializers.BooleanField(
        source="interested_in_switching", allow_null=True
    )
    processStage = NullableText(source="process_stage")
    buyingRole = NullableText(source="buying_role")
    assignedTo = serializers.SerializerMethodField()
    notes = NullableText()
    lastContacted = serializers.DateTimeField(source="last_contacted_at", allow_null=True)
    archived = serializers.BooleanField(source="is_archived")
    createdBy = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    auditLog = serializers.SerializerMethodField()

    def get_accountId(self, lead: Lead) -> str:
        return self.context["workspace"].account_id

    @extend_schema_field(NULLABLE_EMAIL)
    def get_assignedTo(self, lead: Lead) -> str | None:
        return _member_email(lead.assignee)

    @extend_schema_field(NULLABLE_EMAIL)
    def get_createdBy(self, lead: Lead) -> str | None:
        return _email(lead.created_by)

    @extend_schema_field(PulseAuditLogEntry(many=True))
    def get_auditLog(self, lead: Lead) -> list[dict[str, Any]]:
        workspace: Workspace = self.context["workspace"]
        emails = self.context.get("member_emails", {})
        entries = [
            audit_entry(log, account_id=workspace.account_id, emails=emails)
            for log in lead.audit_entries
        ]
        # One serializer for all entries: DRF copies its fields for every instance.
        return PulseAuditLogEntry(entries, many=True).data


_ID = {"min_value": 1, "max_value": 2**63 - 1}


class PulseLeadInput(serializers.Serializer):
    """POST /api/leads. PATCH takes the same fields, all optional."""

    teamId = serializers.IntegerField(source="team", required=False, allow_null=True, **_ID)
    leadSourceId = serializers.IntegerField(
        source="lead_source", required=False, allow_null=True, **_ID
    )
    applicationId = OptionalText(source="application_id")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    imgSrc = OptionalText(source="img_src")
    email = OptionalText()
    phone = OptionalText(help_text="Any common format; stored as E.164.")
    company = OptionalText()
    jobTitle = OptionalText(source="job_title")
    branch = OptionalText()
    source = OptionalText()
    position = OptionalText()
    location = OptionalText()
    productsServicesSold = OptionalText(source="products_services_sold")
    numberOfEmployees = serializers.IntegerField(
        source="number_of_employees",
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**31 - 1,
    )
    currentPaymentProcessor = OptionalText(source="current_payment_processor")
    monthlyTransactionVolume = serializers.IntegerField(
        source="monthly_transaction_volume",
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**63 - 1,
    )
    interestedInSwitching = serializers.BooleanField(
        source="interested_in_switching", required=False, allow_null=True
    )
    processStage = OptionalText(source="process_stage")
    buyingRole = OptionalText(source="buying_role")
    assignedTo = OptionalText(
        source="assignee",
        help_text="A member's email. Omit to assign by the team's (or the default) rotation.",
    )
    notes = OptionalText()
    lastContacted = serializers.DateTimeField(
        source="last_contacted_at", required=False, allow_null=True
    )
    archived = serializers.BooleanField(required=False)
    createdBy = OptionalText(
        source="created_by",
        help_text="A member's email; defaults to the caller. Only on create.",
    )

    def canonical(
        self, *, workspace: Workspace, lead: Lead | None = None, enforce_placement: bool = True
    ) -> tuple[dict[str, Any], User | None]:
        """The service's input and the createdBy user, checked in the documented order:
        team, lead source, assignedTo, createdBy (names were checked by the fields)."""
        data = dict(self.validated_data)
        created_by = data.pop("created_by", None)
        placement_input = {k: data.pop(k) for k in ("team", "lead_source") if k in data}
        current = None if lead is None else Placement(team=lead.team, lead_source=lead.lead_source)
        placement = lead_placement_resolve(
            workspace=workspace,
            data=placement_input,
            current=current,
            enforce=enforce_placement,
        )
        if lead is None or placement_input:
            if placement.team is not None or lead is not None:
                data["team"] = placement.team
            if placement.lead_source is not None or lead is not None:
                data["lead_source"] = placement.lead_source
        if "assignee" in data:
            email = data.pop("assignee")
            if email:
                data["assignee"] = member_by_email(
                    workspace=workspace, email=email, field="assignee"
                )
            elif lead is not None:
                data["assignee"] = None  # an explicit null on update unassigns
        user = None
        if lead is None and created_by:
            user = user_for_created_by(workspace=workspace, email=created_by)
        return data, user
