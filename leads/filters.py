"""The lead list's filters (also used by the pipeline board and CSV export).

Every choice list is limited to the current workspace, so a foreign id in the query
string is simply an invalid choice, never a way to see another workspace's rows."""

import datetime
import zoneinfo
from typing import Any

import django_filters
from django import forms
from django.apps import apps
from django.db.models import Exists, OuterRef, QuerySet
from django_filters.constants import EMPTY_VALUES

from leads.models import (
    ActionLog,
    ApiKey,
    Lead,
    LeadSource,
    Membership,
    Stage,
    Tag,
    Team,
    Workspace,
)

YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
UNASSIGNED = "none"


def workspace_zone(workspace: Workspace) -> zoneinfo.ZoneInfo:
    """The zone whose calendar days the workspace's people mean when they pick a date."""
    return zoneinfo.ZoneInfo(workspace.default_timezone or "UTC")


class LocalDayFilter(django_filters.DateFilter):
    """A day in the workspace's time zone (the filter set's `zone`), applied as a range of
    `created_at` so a (workspace, created_at) index serves it: the first day kept starts
    at local midnight; with `until`, rows stop before the next day's local midnight."""

    def __init__(self, *, until: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "created_at")
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(lookup_expr="lt" if until else "gte", **kwargs)
        self.until = until

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        day = value + datetime.timedelta(days=1) if self.until else value
        # combine() with a ZoneInfo takes that day's own UTC offset, so DST days are right.
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=self.parent.zone)
        return super().filter(qs, start)


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    # distinct=False: a lead has one stage and one status, so no duplicate rows to remove,
    # and a DISTINCT would make PostgreSQL sort every matching lead before the first page.
    stage = django_filters.ModelMultipleChoiceFilter(
        queryset=Stage.objects.none(), label="Stage", widget=forms.SelectMultiple, distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Lead.Status.choices, label="Status", distinct=False
    )
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.none(), label="Team", empty_label="Any"
    )
    source = django_filters.ModelChoiceFilter(
        field_name="lead_source",
        queryset=LeadSource.objects.none(),
        label="Lead source",
        empty_label="Any",
    )
    assignee = django_filters.ChoiceFilter(
        method="filter_assignee", label="Assignee", empty_label="Anyone"
    )
    tag = django_filters.ModelChoiceFilter(
        method="filter_tag", queryset=Tag.objects.none(), label="Tag", empty_label="Any"
    )
    campaign = django_filters.ModelChoiceFilter(
        method="filter_campaign", queryset=None, label="Campaign", empty_label="Any"
    )
    # Days in the workspace's time zone, like the dashboard's "today" and the audit trail.
    created_after = LocalDayFilter(label="Created from")
    created_before = LocalDayFilter(until=True, label="Created until")
    opted_out = django_filters.ChoiceFilter(
        choices=YES_NO[1:], method="filter_opted_out", label="Opted out", empty_label="Any"
    )
    archived = django_filters.ChoiceFilter(
        choices=[("no", "Hide archived"), ("yes", "Only archived"), ("all", "Show all")],
        method="filter_archived",
        label="Archived",
        empty_label=None,
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        workspace = member.workspace
        self.zone = workspace_zone(workspace)
        fields = self.filters
        fields["stage"].queryset = Stage.objects.filter(workspace=workspace)
        fields["team"].queryset = Team.objects.filter(workspace=workspace)
        fields["source"].queryset = LeadSource.objects.filter(workspace=workspace)
        fields["tag"].queryset = Tag.objects.filter(workspace=workspace)
        fields["campaign"].queryset = _campaigns().objects.filter(workspace=workspace)
        members = (
            Membership.objects.filter(workspace=workspace, is_active=True)
            .exclude(role=Membership.Role.VIEWER)
            .select_related("user")
        )
        choices = [(UNASSIGNED, "Unassigned")] + [(str(m.pk), m.name) for m in members]
        if not member.sees_all_leads and member.role != Membership.Role.VIEWER:
            # An agent sees only their own and unassigned leads: offer just those.
            choices = [(UNASSIGNED, "Unassigned"), (str(member.pk), f"{member.name} (me)")]
        fields["assignee"].extra["choices"] = choices
        # Archived leads stay out of the list unless asked for.
        if self.data.get("archived") in (None, ""):
            self.data = self.data.copy()
            self.data["archived"] = "no"

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_tag(self, queryset: QuerySet, name: str, value: Tag) -> QuerySet:
        # EXISTS rather than a join: no duplicate rows, no DISTINCT over a big list.
        tagged = Lead.tags.through.objects.filter(lead_id=OuterRef("pk"), tag=value)
        return queryset.filter(Exists(tagged))

    def filter_campaign(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        entries = _campaign_leads().objects.filter(lead_id=OuterRef("pk"), campaign=value)
        return queryset.filter(Exists(entries))

    def filter_opted_out(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(opted_out_at__isnull=value != "yes")

    def filter_archived(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(archived_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)

    @property
    def active_count(self) -> int:
        """How many filters (besides search and the default archive setting) are set."""
        if not hasattr(self.form, "cleaned_data"):
            return 0
        count = 0
        for key, value in self.form.cleaned_data.items():
            if key in ("q", "archived"):
                continue
            if value not in (None, "", [], ()) and not (isinstance(value, QuerySet) and not value):
                count += 1
        if self.form.cleaned_data.get("archived") not in (None, "", "no"):
            count += 1
        return count


# The lead list filters by campaign enrolment; campaigns depend on leads, so the core app
# looks those models up by name instead of importing them.
def _campaigns() -> Any:
    return apps.get_model("campaigns", "Campaign")


def _campaign_leads() -> Any:
    return apps.get_model("campaigns", "CampaignLead")


# --- the workspace audit trail (settings) ---------------------------------------------
SYSTEM_ACTOR = "system"
BIGINT_MAX = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A whole-number id: "1.5", "-3" or a number past BIGINT are form errors, never a
    database error."""

    field_class = forms.IntegerField


class AuditFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_until")
        if start and end and start > end:
            self.add_error("date_until", "Choose a day on or after “From”.")
        return data


class AuditFilter(django_filters.FilterSet):
    """The audit trail's filters. Dates are days in the workspace's time zone."""

    actor = django_filters.ChoiceFilter(method="filter_actor", label="Who", empty_label="Anyone")
    type = django_filters.ChoiceFilter(
        choices=ActionLog.Type.choices, label="Kind", empty_label="Any"
    )
    event = django_filters.CharFilter(
        field_name="event",
        label="Event",
        max_length=64,
        widget=forms.TextInput(attrs={"list": "audit-events", "autocomplete": "off"}),
    )
    lead = IdFilter(method="filter_lead", label="Lead id", min_value=1, max_value=BIGINT_MAX)
    date_from = LocalDayFilter(label="From")
    date_until = LocalDayFilter(until=True, label="Until")

    class Meta:
        model = ActionLog
        fields: list[str] = []
        form = AuditFilterForm

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.zone = workspace_zone(workspace)
        people = Membership.objects.filter(workspace=workspace).select_related("user")
        keys = ApiKey.objects.filter(workspace=workspace).order_by("name", "id")
        self.filters["actor"].extra["choices"] = (
            [(f"user:{m.user_id}", f"{m.name} ({m.email})") for m in people]
            + [(f"key:{k.pk}", f"API key {k.name} ({k.display_prefix})") for k in keys]
            + [(SYSTEM_ACTOR, "Leadbook itself (no person or key)")]
        )
        self.form.fields["event"].help_text = "Exact name, e.g. lead_updated."

    def filter_actor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == SYSTEM_ACTOR:
            return queryset.filter(actor_user__isnull=True, actor_key__isnull=True)
        kind, _, pk = value.partition(":")
        return queryset.filter(**{"actor_user_id" if kind == "user" else "actor_key_id": pk})

    def filter_lead(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # A lead still here: its indexed FK. A deleted lead: the id its entries kept.
        pk = int(value)
        if Lead.objects.filter(workspace=self.workspace, pk=pk).exists():
            return queryset.filter(lead_id=pk)
        return queryset.filter(lead__isnull=True, lead_pk=pk)
