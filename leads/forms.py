"""Staff page forms. They check the shape of what was typed; the lead services decide
what is valid and their ValidationErrors come back next to the fields they name."""

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.models import CustomField, Lead, LeadSource, Membership, Stage, Team, Workspace

NEXT_IN_ROTATION = "rotation"
UNASSIGN = "none"


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (else on top)."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, messages in error.message_dict.items():
        target = name if name in form.fields else None
        for message in messages:
            if target is None and name not in ("__all__", "non_field_errors"):
                message = f"{name.replace('_', ' ').capitalize()}: {message}"
            form.add_error(target, message)


def _assignable(workspace: Workspace) -> Any:
    return (
        Membership.objects.filter(workspace=workspace, is_active=True)
        .exclude(role=Membership.Role.VIEWER)
        .select_related("user")
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.name


class LeadForm(forms.Form):
    """Create or edit a lead's own fields (custom fields are added per workspace)."""

    first_name = forms.CharField(max_length=150, required=False)
    middle_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.CharField(
        max_length=254, required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        max_length=40,
        required=False,
        help_text="Any format; numbers without a country code are read in the workspace's country.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    company = forms.CharField(max_length=255, required=False)
    job_title = forms.CharField(max_length=150, required=False)
    website = forms.CharField(max_length=500, required=False)
    location = forms.CharField(max_length=255, required=False)
    timezone = forms.CharField(
        max_length=64,
        required=False,
        help_text="IANA name such as America/Chicago; left empty it is read from the phone.",
    )
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    lead_source = forms.ModelChoiceField(
        queryset=LeadSource.objects.none(), required=False, label="Lead source"
    )
    assignee = forms.ChoiceField(required=False)
    source = forms.CharField(max_length=255, required=False, label="Source (free text)")
    score = forms.IntegerField(required=False, min_value=-1_000_000, max_value=1_000_000)
    qualified = forms.NullBooleanField(required=False, widget=forms.NullBooleanSelect)
    tags = forms.CharField(max_length=1000, required=False, help_text="Separate with commas.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(
        self,
        *args: Any,
        workspace: Workspace,
        lead: Lead | None = None,
        can_assign: bool = False,
        **kwargs: Any,
    ) -> None:
        fill_from_lead = lead is not None and "initial" not in kwargs
        if fill_from_lead:
            kwargs["initial"] = lead_initial(lead)
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.lead = lead
        self.fields["stage"].queryset = Stage.objects.filter(workspace=workspace)
        self.fields["team"].queryset = Team.objects.filter(workspace=workspace, is_active=True)
        self.fields["lead_source"].queryset = LeadSource.objects.filter(
            workspace=workspace, is_active=True
        )
        self.members = {str(m.pk): m for m in _assignable(workspace)}
        if can_assign:
            first = ([("", "Next in rotation")] if lead is None else [("", "Keep as it is")]) + [
                (UNASSIGN, "Unassigned")
            ]
            self.fields["assignee"].choices = first + [
                (pk, m.name) for pk, m in self.members.items()
            ]
            self.fields["assignee"].help_text = (
                "Who works this lead."
                if lead
                else "Left on “Next in rotation”, the team's rotation picks."
            )
        else:
            del self.fields["assignee"]
        self.custom_fields = list(CustomField.objects.filter(workspace=workspace))
        for definition in self.custom_fields:
            self.fields[f"cf_{definition.slug}"] = _custom_form_field(definition)
            if fill_from_lead:
                value = (lead.custom_fields or {}).get(definition.slug)
                self.initial[f"cf_{definition.slug}"] = value

    @property
    def custom_field_names(self) -> list[str]:
        return [f"cf_{d.slug}" for d in self.custom_fields]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape lead_create / lead_update take."""
        data = dict(self.cleaned_data)
        data["tags"] = split_tags(data.get("tags", ""))
        custom = {}
        for definition in self.custom_fields:
            value = data.pop(f"cf_{definition.slug}", None)
            if value in ("", None):
                value = None
            elif definition.field_type == CustomField.Type.DATE:
                value = value.isoformat()
            elif definition.field_type == CustomField.Type.NUMBER and float(value).is_integer():
                value = int(value)
            custom[definition.slug] = value
        if custom:
            data["custom_fields"] = custom
        if "assignee" in data:
            choice = data.pop("assignee")
            if choice == UNASSIGN:
                data["assignee"] = None
            elif choice:
                data["assignee"] = self.members[choice]
        return data


def lead_initial(lead: Lead) -> dict[str, Any]:
    initial = {name: getattr(lead, name) for name in LeadForm.base_fields if hasattr(lead, name)}
    initial["phone"] = lead.phone_e164
    initial["tags"] = ", ".join(t.name for t in lead.tags.all())
    initial["assignee"] = ""
    return initial


def _custom_form_field(definition: CustomField) -> forms.Field:
    label = definition.label
    kind = definition.field_type
    if kind == CustomField.Type.NUMBER:
        return forms.FloatField(label=label, required=False)
    if kind == CustomField.Type.BOOLEAN:
        return forms.NullBooleanField(label=label, required=False, widget=forms.NullBooleanSelect)
    if kind == CustomField.Type.DATE:
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if kind == CustomField.Type.SELECT:
        choices = [("", "—")] + [(str(c), str(c)) for c in definition.choices or []]
        return forms.ChoiceField(label=label, required=False, choices=choices)
    return forms.CharField(label=label, required=False, max_length=1000)


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(), required=False, empty_label="No stage"
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(workspace=workspace)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assign to")
    note = forms.CharField(
        max_length=200, required=False, label="Reason (optional)", help_text="Kept in the timeline."
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for m in _assignable(workspace)}
        self.fields["assignee"].choices = [
            (NEXT_IN_ROTATION, "Next in rotation"),
            (UNASSIGN, "Nobody (unassigned)"),
        ] + [(pk, m.name) for pk, m in self.members.items()]

    def member(self) -> Membership | None:
        choice = self.cleaned_data["assignee"]
        return self.members.get(choice)


OPT_OUT_CHANNELS = [
    ("all", "Every channel"),
    ("phone", "Phone"),
    ("sms", "SMS"),
    ("email", "Email"),
]


class OptOutForm(forms.Form):
    opted_out = forms.TypedChoiceField(
        choices=[("true", "Opt out"), ("false", "Opt back in")],
        coerce=lambda v: v == "true",
    )
    channel = forms.ChoiceField(choices=OPT_OUT_CHANNELS, required=False, label="Channel")


BULK_ACTIONS = [
    ("stage", "Change stage"),
    ("tag", "Add tags"),
    ("assign", "Assign to…"),
    ("rotation", "Next in rotation"),
    ("archive", "Archive"),
    ("export", "Export CSV"),
]
MANAGER_BULK_ACTIONS = frozenset({"assign", "rotation", "archive"})


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    scope = forms.ChoiceField(
        choices=[("selected", "Selected leads"), ("all", "Every lead matching the filters")],
        required=False,
    )
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(), required=False, empty_label="No stage"
    )
    assignee = forms.ChoiceField(required=False, label="Assignee")
    tags = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(workspace=workspace)
        self.members = {str(m.pk): m for m in _assignable(workspace)}
        self.fields["assignee"].choices = [(UNASSIGN, "Nobody (unassigned)")] + [
            (pk, m.name) for pk, m in self.members.items()
        ]
        # Ids are checked against the member's visible leads by the view, not here.
        self.fields["ids"].choices = [(v, v) for v in self.data.getlist("ids")] if self.data else []

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        if action == "tag" and not split_tags(data.get("tags", "")):
            self.add_error("tags", "Name at least one tag.")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who gets the leads.")
        exporting_all = data.get("scope") == "all" and action == "export"
        if not exporting_all and not data.get("ids"):
            raise ValidationError("Select at least one lead.")
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label="Save this view as")
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)


class MergeChoicesForm(forms.Form):
    """One radio per differing field: keep this lead's value or take the other's."""

    def __init__(self, *args: Any, choices: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = choices
        for choice in choices:
            self.fields[choice.name] = forms.ChoiceField(
                label=choice.label,
                choices=[("survivor", "Keep"), ("merged", "Take")],
                initial=choice.default,
                widget=forms.RadioSelect,
            )

    def rows(self) -> list[tuple[Any, forms.BoundField]]:
        return [(choice, self[choice.name]) for choice in self.choices]


# --- follow-ups and drafts on the lead page -------------------------------------------

LOCAL_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _local_datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=[LOCAL_DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME_FORMAT),
    )


def _in_zone(value: datetime.datetime | None, zone: zoneinfo.ZoneInfo) -> Any:
    """A wall-clock time typed into a datetime-local box, read in `zone` (the field
    itself reads it in the server's zone)."""
    if value is None:
        return None
    return timezone.make_aware(value.replace(tzinfo=None), zone)


def _not_in_the_past(value: datetime.datetime | None) -> None:
    # A minute of grace: the form may have sat open while the clock passed the minute.
    if value is not None and value < timezone.now() - datetime.timedelta(minutes=1):
        raise ValidationError("Choose a time that has not passed yet.")


class MessageForm(forms.Form):
    """Write a message to a lead: schedule it as a follow-up, or save it as a draft that
    someone approves before it goes out (the button pressed says which)."""

    SCHEDULE = "schedule"
    DRAFT = "draft"

    channel = forms.ChoiceField(
        choices=[("EMAIL", "Email"), ("SMS", "Text message (SMS)")], label="Send by"
    )
    subject = forms.CharField(max_length=255, required=False, help_text="Email only.")
    body = forms.CharField(
        label="Message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the message."},
    )
    send_at = _local_datetime_field("Send at")
    intent = forms.ChoiceField(
        choices=[(SCHEDULE, "Schedule follow-up"), (DRAFT, "Save as draft")],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["send_at"].help_text = (
            f"In the workspace's time zone ({zone.key}). Needed for a follow-up; a draft "
            "is sent when someone approves it."
        )

    def clean_send_at(self) -> datetime.datetime | None:
        value = _in_zone(self.cleaned_data.get("send_at"), self.zone)
        _not_in_the_past(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        scheduling = data.get("intent") == self.SCHEDULE
        if scheduling and not data.get("send_at") and "send_at" not in self.errors:
            self.add_error("send_at", "Choose when the follow-up goes out.")
        return data


class DraftApproveForm(forms.Form):
    send_at = _local_datetime_field("Send at (optional)", "Empty: as soon as possible.")

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_send_at(self) -> datetime.datetime | None:
        value = _in_zone(self.cleaned_data.get("send_at"), self.zone)
        _not_in_the_past(value)
        return value
