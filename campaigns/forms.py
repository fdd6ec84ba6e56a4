"""Forms of the campaign pages. They check the shape of what was typed; the campaign
services decide what is valid and their errors come back next to the fields they name."""

import re
import zoneinfo
from typing import Any

from django import forms

from campaigns.models import WEEKDAYS, CallAttempt, Campaign
from leads.models import SavedView

# The outcomes an agent reports from the call queue, in the order of the buttons.
QUEUE_OUTCOMES = [
    CallAttempt.Outcome.COMPLETED,
    CallAttempt.Outcome.NO_ANSWER,
    CallAttempt.Outcome.BUSY,
    CallAttempt.Outcome.VOICEMAIL,
    CallAttempt.Outcome.NOT_INTERESTED,
    CallAttempt.Outcome.OPTED_OUT,
    CallAttempt.Outcome.DO_NOT_CALL,
]
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _zones() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones())]


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=255)
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="The campaign's clock. Each lead is called on their own clock when their "
        "time zone is known.",
    )
    allowed_hours_start = forms.TimeField(
        label="Calls from", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    allowed_hours_end = forms.TimeField(
        label="Calls until", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    allowed_days = forms.MultipleChoiceField(
        label="Calling days",
        choices=[(d, d.capitalize()) for d in WEEKDAYS],
        widget=forms.CheckboxSelectMultiple,
    )
    max_calls_in_parallel = forms.IntegerField(
        label="Calls at once",
        min_value=1,
        max_value=10,
        help_text="Agents calling at the same time.",
    )
    max_retries = forms.IntegerField(
        label="Retries", min_value=0, max_value=10, help_text="After the first call."
    )
    retry_interval_minutes = forms.IntegerField(
        label="Minutes between retries", min_value=1, max_value=60 * 24 * 30
    )
    retry_on_voicemail = forms.BooleanField(label="Call again after a voicemail", required=False)
    mark_complete_when_no_leads = forms.BooleanField(
        label="Complete the campaign when nobody is left to call", required=False
    )
    variables = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Names separated by commas, e.g. offer, renewal_date. Use them in the "
        "script as {{offer}}.",
    )
    script = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What agents say. {{first_name}}, {{last_name}}, {{full_name}}, {{company}}, "
        "{{agent_name}} and your variables are filled in on the call queue.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _zones()

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        start, end = campaign.hours
        return {
            "name": campaign.name,
            "timezone": campaign.timezone,
            "allowed_hours_start": start,
            "allowed_hours_end": end,
            "allowed_days": campaign.allowed_days,
            "max_calls_in_parallel": campaign.max_calls_in_parallel,
            "max_retries": campaign.max_retries,
            "retry_interval_minutes": campaign.retry_interval_minutes,
            "retry_on_voicemail": campaign.retry_on_voicemail,
            "mark_complete_when_no_leads": campaign.mark_complete_when_no_leads,
            "variables": ", ".join(campaign.variables or []),
            "script": campaign.script,
        }

    def clean_variables(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data.get("variables", "").split(",") if n.strip()]
        bad = [n for n in names if not _VARIABLE.match(n)]
        if bad:
            raise forms.ValidationError(
                "Variable names use letters, digits and _ (not starting with a digit): "
                + ", ".join(bad)
            )
        return list(dict.fromkeys(names))

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class EnrollFromViewForm(forms.Form):
    saved_view = forms.ModelChoiceField(
        queryset=SavedView.objects.none(), label="Saved view", empty_label=None
    )

    def __init__(self, *args: Any, views: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_view"].queryset = views


class EnrollSelectionForm(forms.Form):
    """The lead list's ticked leads, and (once confirmed) the campaign they go to."""

    ids = forms.TypedMultipleChoiceField(coerce=int, required=True)
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    query = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, campaigns: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        # Ids are checked against the member's visible leads by the view, not here.
        self.fields["ids"].choices = [(v, v) for v in self.data.getlist("ids")] if self.data else []


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(o.value, o.label) for o in QUEUE_OUTCOMES])
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
