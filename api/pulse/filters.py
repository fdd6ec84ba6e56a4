"""Query-string filters of the Pulse lists, with Pulse's parameter names.

Every parameter is validated: a malformed value is a 400 naming the parameter, never a
silently ignored filter."""

import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.fields import BaseCSVField

from leads.models import Lead, LeadSource, Rotation, Team
from leads.services.phones import phone_match_key

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]
WITH_ALL = [*BOOLEAN_CHOICES, ("all", "all")]


def _choice_message(choices: list[tuple[str, str]]) -> dict[str, str]:
    values = ", ".join(value for value, _ in choices)
    return {"invalid_choice": f"“%(value)s” is not one of {values}."}


class DateRangeField(forms.CharField):
    """`YYYY-MM-DD` (that whole UTC day) or `FROM,TO` (either side may be empty), each a
    date or an ISO-8601 date-time. Cleans to a half-open range (start, end)."""

    default_error_messages = {
        "invalid": "Use a date (YYYY-MM-DD), a date-time (ISO 8601) or FROM,TO.",
        "order": "FROM must be before TO.",
    }

    def _moment(self, text: str, *, end: bool) -> datetime.datetime | None:
        """The start of `text`, or with `end` the first moment after it (None when that
        is past the last representable date: no upper bound)."""
        # A "+" in an unencoded UTC offset arrives as a space.
        text = text.strip().replace(" ", "+")
        try:
            day = parse_date(text) if len(text) == 10 else None
            moment = None if day else parse_datetime(text)
        except ValueError:
            day = moment = None
        if day is not None:
            moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
            step = datetime.timedelta(days=1)
        elif moment is not None:
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=datetime.UTC)
            step = datetime.timedelta(microseconds=1)
        else:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not end:
            return moment
        try:
            return moment + step
        except OverflowError:
            return None

    def clean(self, value: Any) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        value = super().clean(value)
        if not value:
            return None, None
        parts = value.split(",")
        if len(parts) == 1:
            return self._moment(parts[0], end=False), self._moment(parts[0], end=True)
        if len(parts) != 2 or not (parts[0].strip() or parts[1].strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        start = self._moment(parts[0], end=False) if parts[0].strip() else None
        end = self._moment(parts[1], end=True) if parts[1].strip() else None
        if start and end and start >= end:
            raise forms.ValidationError(self.error_messages["order"], code="order")
        return start, end


class DateRangeFilter(django_filters.Filter):
    field_class = DateRangeField

    def filter(self, qs: QuerySet, value: tuple) -> QuerySet:
        start, end = value or (None, None)
        if start is not None:
            qs = qs.filter(**{f"{self.field_name}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{self.field_name}__lt": end})
        return qs


class IntegerFilter(django_filters.NumberFilter):
    """A whole number from 0 to 2**63 - 1 (django-filter's NumberFilter takes 1.5 and
    rounds it away; past 64 bits SQLite's driver fails instead of finding nothing)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanFilter(django_filters.ChoiceFilter):
    """true / false, anything else is a 400 (django-filter's boolean ignores garbage)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        kwargs.setdefault("error_messages", _choice_message(kwargs["choices"]))
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in ("", None):
            return qs
        return qs.filter(**{self.field_name: value == "true"})


class DefaultedChoiceFilter(django_filters.ChoiceFilter):
    """A choice filter that applies `default` when the parameter is absent, and `all` to
    switch itself off."""

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        self.default = default
        kwargs.setdefault("error_messages", _choice_message(kwargs["choices"]))
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = value or self.default
        if value == "all":
            return qs
        return self.apply(qs, value)

    def apply(self, qs: QuerySet, value: str) -> QuerySet:
        return qs.filter(**{self.field_name: value})


class ActiveFilter(DefaultedChoiceFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices=WITH_ALL, **kwargs)

    def apply(self, qs: QuerySet, value: str) -> QuerySet:
        return qs.filter(**{self.field_name: value == "true"})


class ArchivedFilter(ActiveFilter):
    def apply(self, qs: QuerySet, value: str) -> QuerySet:
        return qs.filter(archived_at__isnull=value != "true")


class SortField(BaseCSVField):
    """The comma list of `sort`: an empty item (`sort=name,` or `a,,b`) is a 400, not
    a column named "" (an empty parameter, `sort=`, still means the default order)."""

    default_error_messages = {"empty": "A sort field is empty (check for a stray comma)."}

    def clean(self, value: Any) -> list[str] | None:
        if value and any(not item for item in value):
            raise forms.ValidationError(self.error_messages["empty"], code="empty")
        return super().clean(value)


class SortFilter(django_filters.OrderingFilter):
    """`sort=name,-createdAt`: a comma list of Pulse fields, `-` for descending; an
    unknown or empty field is a 400. The id breaks ties so pages never overlap."""

    base_field_class = SortField

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        self.default = default
        names = ", ".join(param for _, param in kwargs["fields"])
        known = f"Sort by {names}, each optionally prefixed with - for descending order."
        kwargs["error_messages"] = {
            "invalid_choice": f"Unknown sort field “%(value)s”. {known}",
            "empty": f"{SortField.default_error_messages['empty']} {known}",
        }
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        ordering = [self.get_ordering_value(param) for param in value] if value else [self.default]
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return qs.order_by(*ordering)


# Pulse name -> canonical column, for the exact filters and the sort of leads.
LEAD_TEXT_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "imgSrc": "img_src",
    "company": "company",
    "jobTitle": "job_title",
    "branch": "branch",
    "source": "source",
    "position": "position",
    "location": "location",
    "productsServicesSold": "products_services_sold",
    "currentPaymentProcessor": "current_payment_processor",
    "processStage": "process_stage",
    "buyingRole": "buying_role",
    "notes": "notes",
    "applicationId": "application_id",
}
LEAD_SORTS = {
    "id": "id",
    **LEAD_TEXT_FIELDS,
    "email": "email_normalized",
    "phone": "phone",
    "teamId": "team_id",
    "leadSourceId": "lead_source_id",
    "numberOfEmployees": "number_of_employees",
    "monthlyTransactionVolume": "monthly_transaction_volume",
    "interestedInSwitching": "interested_in_switching",
    "assignedTo": "assignee__user__email",
    "lastContacted": "last_contacted_at",
    "archived": "archived_at",
    "createdBy": "created_by__email",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}


class PhoneField(forms.CharField):
    """A phone number written any way; cleans to its last ten digits (the match key)."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        key = phone_match_key(value)
        if not key:
            raise forms.ValidationError("Enter a phone number.", code="invalid")
        return key


class PhoneFilter(django_filters.Filter):
    field_class = PhoneField

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        # The last ten digits are what the (workspace, phone_last10) index covers.
        return qs.filter(phone_last10=value) if value else qs


def _text(column: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(field_name=column, lookup_expr="iexact")


class LeadFilter(django_filters.FilterSet):
    """GET /api/leads: search, sort, archived, teamId, leadSourceId, createdAt ranges and
    every documented scalar field as an exact (case-insensitive for text) filter."""

    search = django_filters.CharFilter(method="filter_search")
    sort = SortFilter(fields=[(c, n) for n, c in LEAD_SORTS.items()], default="-created_at")
    archived = ArchivedFilter(default="false")
    teamId = IntegerFilter(field_name="team_id")
    leadSourceId = IntegerFilter(field_name="lead_source_id")
    firstName = _text("first_name")
    lastName = _text("last_name")
    imgSrc = _text("img_src")
    company = _text("company")
    jobTitle = _text("job_title")
    branch = _text("branch")
    source = _text("source")
    position = _text("position")
    location = _text("location")
    productsServicesSold = _text("products_services_sold")
    currentPaymentProcessor = _text("current_payment_processor")
    processStage = _text("process_stage")
    buyingRole = _text("buying_role")
    notes = _text("notes")
    applicationId = _text("application_id")
    email = django_filters.CharFilter(method="filter_email")
    phone = PhoneFilter()
    numberOfEmployees = IntegerFilter(field_name="number_of_employees")
    monthlyTransactionVolume = IntegerFilter(field_name="monthly_transaction_volume")
    interestedInSwitching = StrictBooleanFilter(field_name="interested_in_switching")
    assignedTo = _text("assignee__user__email")
    createdBy = _text("created_by__email")
    createdAt = DateRangeFilter(field_name="created_at")
    updatedAt = DateRangeFilter(field_name="updated_at")
    lastContacted = DateRangeFilter(field_name="last_contacted_at")

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_email(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # The normalized column is what the (workspace, email_normalized) index covers.
        return qs.filter(email_normalized=value.strip().lower())

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """Every word in some text field; phone numbers in any format (LeadQuerySet.search)."""
        return qs.search(value)


class TeamFilter(django_filters.FilterSet):
    """GET /api/teams: active teams unless `active=false|all`."""

    active = ActiveFilter(field_name="is_active", default="true")
    name = django_filters.CharFilter(field_name="name", lookup_expr="iexact")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    sort = SortFilter(
        fields=[
            ("id", "id"),
            ("name", "name"),
            ("is_active", "active"),
            ("created_at", "createdAt"),
            ("updated_at", "updatedAt"),
        ],
        default="name",
    )

    class Meta:
        model = Team
        fields: list[str] = []


class LeadSourceFilter(django_filters.FilterSet):
    """GET /api/lead-sources: all sources unless `active=true|false`."""

    active = ActiveFilter(field_name="is_active", default="all")
    name = django_filters.CharFilter(field_name="name", lookup_expr="iexact")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    teamId = IntegerFilter(field_name="team_id")
    sort = SortFilter(
        fields=[
            ("id", "id"),
            ("name", "name"),
            ("is_active", "active"),
            ("team_id", "teamId"),
            ("created_at", "createdAt"),
            ("updated_at", "updatedAt"),
        ],
        default="name",
    )

    class Meta:
        model = LeadSource
        fields: list[str] = []


class RotationFilter(django_filters.FilterSet):
    """GET /api/lead-rotations: active rotations unless `status=archived|queued|all`."""

    status = DefaultedChoiceFilter(
        field_name="status",
        choices=[*Rotation.Status.choices, ("all", "all")],
        default=Rotation.Status.ACTIVE,
    )
    teamId = IntegerFilter(field_name="team_id")
    name = django_filters.CharFilter(field_name="name", lookup_expr="iexact")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    sort = SortFilter(
        fields=[
            ("id", "id"),
            ("name", "name"),
            ("status", "status"),
            ("team_id", "teamId"),
            ("created_at", "createdAt"),
            ("updated_at", "updatedAt"),
        ],
        default="name",
    )

    class Meta:
        model = Rotation
        fields: list[str] = []
