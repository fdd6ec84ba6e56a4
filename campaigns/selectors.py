"""Reads for the campaign pages: what the call queue shows about the number in hand.
Nothing here writes."""

import datetime
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from campaigns.models import CallAttempt, Campaign, CampaignLead
from leads.models import Membership

PREVIOUS_ATTEMPTS = 10
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class ScriptPart:
    """A piece of the script: plain text, or a variable with its value (missing: the
    lead has no value for it, shown as the variable's name)."""

    text: str
    variable: str = ""
    missing: bool = False


def script_values(entry: CampaignLead, agent: Membership | None) -> dict[str, str]:
    """What {{name}} placeholders are filled with: the lead's own fields, then the
    number's call variables (which win: they are what the campaign was given)."""
    lead = entry.lead
    values = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "full_name": lead.full_name,
        "customer_name": lead.full_name,
        "company": lead.company,
        "email": lead.email,
        "phone": entry.phone,
        "agent_name": agent.name if agent else "",
        "campaign_name": entry.campaign.name,
    }
    for key, value in (entry.variables or {}).items():
        if value not in (None, ""):
            values[str(key)] = value if isinstance(value, str) else str(value)
    return {key: value for key, value in values.items() if value}


def fill_script(script: str, values: dict[str, str]) -> list[ScriptPart]:
    """The script split into text and filled-in variables (escaped by the template)."""
    parts: list[ScriptPart] = []
    position = 0
    for match in _PLACEHOLDER.finditer(script or ""):
        if match.start() > position:
            parts.append(ScriptPart(text=script[position : match.start()]))
        name = match.group(1)
        value = values.get(name)
        parts.append(
            ScriptPart(text=value if value else name, variable=name, missing=value is None)
        )
        position = match.end()
    if position < len(script or ""):
        parts.append(ScriptPart(text=script[position:]))
    return parts


@dataclass
class QueueCard:
    entry: CampaignLead
    local_time: datetime.datetime
    zone: str
    zone_is_leads: bool
    script: list[ScriptPart]
    variables: list[tuple[str, str]]
    attempts: list[CallAttempt] = field(default_factory=list)
    lead_visible: bool = False

    @property
    def attempt_number(self) -> int:
        return self.entry.attempts + 1


def queue_card(
    entry: CampaignLead, member: Membership, *, now: datetime.datetime | None = None
) -> QueueCard:
    """Everything the queue shows about the number an agent holds (two queries: the
    entry was loaded with its lead and campaign)."""
    now = now or timezone.now()
    campaign: Campaign = entry.campaign
    zone_name = entry.effective_timezone
    try:
        zone: Any = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, zone_name = datetime.UTC, "UTC"
    values = script_values(entry, member)
    declared = list(campaign.variables or [])
    extra = [k for k in (entry.variables or {}) if k not in declared]
    variables = [(name, str((entry.variables or {}).get(name, "") or "")) for name in declared]
    variables += [(name, str(entry.variables[name])) for name in extra]
    attempts = list(
        entry.calls.select_related("agent__user").order_by("-created_at", "-id")[:PREVIOUS_ATTEMPTS]
    )
    lead = entry.lead
    return QueueCard(
        entry=entry,
        local_time=now.astimezone(zone),
        zone=zone_name,
        zone_is_leads=bool(lead.timezone) and zone_name == lead.timezone,
        script=fill_script(campaign.script, values),
        variables=variables,
        attempts=attempts,
        lead_visible=member.role != Membership.Role.AGENT or lead.assignee_id in (None, member.pk),
    )
