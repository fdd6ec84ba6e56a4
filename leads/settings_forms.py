"""Forms of the settings pages: routing (teams, lead sources, rotations), API keys and
webhooks. They check the shape of what was typed; the services decide what is valid
(names free, one active rotation per team, URLs safe to call…) and their errors come
back next to the fields they name (leads.forms.add_service_errors)."""

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.models import (
    ApiKey,
    Membership,
    Rotation,
    Team,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from leads.services.events import LEAD_EVENTS
from leads.services.teams import MAX_NAME_LENGTH, MAX_WEIGHT, RotationSeat


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.name} ({obj.email})"


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.name} ({obj.get_role_display()})"


def active_members(workspace: Workspace, *, lead_takers: bool = False) -> Any:
    """Members who can be named in routing: active people (for rotations, not viewers:
    a viewer cannot work a lead)."""
    members = Membership.objects.filter(
        workspace=workspace, is_active=True, user__is_active=True
    ).select_related("user")
    if lead_takers:
        members = members.exclude(role=Membership.Role.VIEWER)
    return members.order_by("display_name", "id")


class TeamForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="An inactive team keeps its leads but cannot be given new ones.",
    )
    members = MembersChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = active_members(workspace)

    def member_emails(self) -> list[str]:
        return [m.email for m in self.cleaned_data["members"]]


class LeadSourceForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="No team: any lead may come from it",
        help_text="A source of a team is only for that team's leads.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(workspace=workspace)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        team = data["team"]
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "team": team.pk if team else None,
        }


ROTATION_STATUS_HELP = (
    "Active: hands out new leads (one active rotation per team, and one default). "
    "Queued: set up, waiting to be switched on. Archived: kept for the record."
)


class RotationForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="No team: the workspace's default rotation",
        help_text="Leads of a team go to its active rotation, others to the default one.",
    )
    status = forms.ChoiceField(choices=Rotation.Status.choices, help_text=ROTATION_STATUS_HELP)

    def __init__(
        self, *args: Any, workspace: Workspace, rotation: Rotation | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rotation = rotation
        self.fields["team"].queryset = Team.objects.filter(workspace=workspace)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name = (data.get("name") or "").strip()
        rotation = self.rotation
        # A team-less rotation made elsewhere (the Pulse API allows any name) may keep
        # its name; only a new or renamed one must be the default.
        unchanged = rotation is not None and rotation.team_id is None and rotation.name == name
        teamless = "team" in data and data["team"] is None
        if teamless and name and name.lower() != "default" and not unchanged:
            # Only the rotation named "default" is ever used for leads without a team.
            self.add_error(
                "name", "A rotation without a team is the workspace's default: name it “default”."
            )
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        team = data["team"]
        return {"name": data["name"], "team": team.pk if team else None, "status": data["status"]}


class SeatForm(forms.Form):
    """One member's place in a rotation."""

    member = MemberChoiceField(queryset=Membership.objects.none(), required=False)
    weight = forms.IntegerField(
        min_value=1, max_value=MAX_WEIGHT, initial=1, required=False, label="Turns per cycle"
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].empty_label = "—"


class BaseSeatFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[int] = set()
        for form in self.ordered_forms:
            member = form.cleaned_data.get("member")
            if member is None:
                continue
            if member.pk in seen:
                raise ValidationError(
                    f"{member.name} is listed twice: give them one row and a higher weight."
                )
            seen.add(member.pk)

    def seats(self) -> list[RotationSeat]:
        """The members in turn order (rows sorted by their Order, removed rows left out)."""
        return [
            RotationSeat(email=f.cleaned_data["member"].email, weight=f.cleaned_data["weight"] or 1)
            for f in self.ordered_forms
            if f.cleaned_data.get("member") is not None
        ]


SeatFormSet = forms.formset_factory(
    SeatForm,
    formset=BaseSeatFormSet,
    extra=2,
    can_order=True,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


def seat_formset(
    data: Any = None, *, workspace: Workspace, rotation: Rotation | None = None
) -> BaseSeatFormSet:
    """The seat rows of a rotation (its members in order, and two blank rows)."""
    initial = None
    if rotation is not None and data is None:
        initial = [
            {"member": s.membership_id, "weight": s.weight, "ORDER": n}
            for n, s in enumerate(rotation.seats, start=1)
        ]
    formset = SeatFormSet(
        data,
        initial=initial,
        prefix="seats",
        form_kwargs={"members": active_members(workspace, lead_takers=True)},
    )
    for form in formset:
        form.fields["ORDER"].label = "Order"
        form.fields["DELETE"].label = "Remove"
    return formset


# --- API keys ------------------------------------------------------------------------------


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Say what uses it, e.g. “Zapier”.")
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.LEADS_READ, ApiKey.Scope.LEADS_WRITE],
        error_messages={"required": "Choose at least one scope."},
        help_text="Give a key only what its integration needs.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Valid until (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields[
            "expires_on"
        ].help_text = (
            f"The key stops working at the end of that day ({zone.key}). Empty: never expires."
        )

    def clean_expires_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("expires_on")
        if day is not None and self.expires_at(day) <= timezone.now():
            raise ValidationError("Choose today or a later day.")
        return day

    def expires_at(self, day: datetime.date | None = None) -> datetime.datetime | None:
        day = day if day is not None else self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.zone
        )


# --- webhooks ------------------------------------------------------------------------------

EVENT_CHOICES = [
    ("lead.created", "A lead is created"),
    ("lead.updated", "A lead changes"),
    ("lead.completed", "A lead's checklist is complete"),
    ("lead.merged", "Two leads are merged"),
]
assert [value for value, _ in EVENT_CHOICES] == list(LEAD_EVENTS)


class WebhookForm(forms.Form):
    """Register a receiver (create) or change its settings (edit: the payload format an
    integration was written against never changes)."""

    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        help_text="A public HTTPS address. Private, loopback and link-local ones are refused.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["lead.created"],
        error_messages={"required": "Choose at least one event type."},
    )
    payload_format = forms.ChoiceField(
        label="Payload",
        choices=WebhookEndpoint.PayloadFormat.choices,
        initial=WebhookEndpoint.PayloadFormat.STANDARD,
        help_text="The body shape the receiver expects; it cannot be changed later.",
    )
    description = forms.CharField(max_length=500, required=False)
    timeout_seconds = forms.IntegerField(
        label="Timeout (seconds)", min_value=1, max_value=60, initial=10
    )
    retry_attempts = forms.IntegerField(
        label="Retries",
        min_value=0,
        max_value=10,
        initial=5,
        help_text="Failed deliveries are tried again this many times, waiting longer each time.",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="A paused endpoint is sent nothing; its events are not kept for later.",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["payload_format"]

    def service_data(self, changed_only: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "payload_format"}
        data["url"] = data["url"].strip()
        data["event_types"] = list(data["event_types"])
        if changed_only:
            data = {k: v for k, v in data.items() if k in self.changed_data}
        return data


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any"), *WebhookDelivery.Status.choices],
    )
