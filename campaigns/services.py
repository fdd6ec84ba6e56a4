"""Campaign writes: creating and running campaigns, enrolling numbers, handing the next
number to whoever calls it, and recording what each call gave.

Lock order, everywhere: campaign row, then campaign lead rows, then the canonical lead.
Taking them in that order is what keeps a stop, a call report and a claim that touch the
same rows from deadlocking on PostgreSQL (SQLite serializes writers anyway)."""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campaigns.models import (
    FINAL_STATUSES,
    WEEKDAYS,
    CallAttempt,
    Campaign,
    CampaignLead,
    zone_or_none,
)
from leads.actors import Actor
from leads.models import ActionLog, Lead, Membership, Workspace
from leads.services.leads import lead_create, lead_update
from leads.services.matching import lead_find_match, match_lock, match_lock_many
from leads.services.phones import PhoneInfo, phone_normalize
from leads.services.timeline import actionlog_record, change_type

MAX_SECONDARY_CONTACTS = 10
INVALID_PHONE = "Invalid phone number"
# Statuses a client may set on a campaign lead by hand (the documented PUT values).
SETTABLE_STATUSES = (
    CampaignLead.Status.CREATED,
    CampaignLead.Status.COMPLETED,
    CampaignLead.Status.REACHED_MAX_RETRIES,
)
# Outcomes after which the number is never called again, here or in any campaign.
OPT_OUT_OUTCOMES = (CallAttempt.Outcome.OPTED_OUT, CallAttempt.Outcome.DO_NOT_CALL)
# Outcomes after which the call is tried again (while attempts remain).
RETRY_OUTCOMES = (
    CallAttempt.Outcome.NO_ANSWER,
    CallAttempt.Outcome.BUSY,
    CallAttempt.Outcome.FAILED,
)

CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "timezone",
        "allowed_hours_start",
        "allowed_hours_end",
        "allowed_days",
        "max_calls_in_parallel",
        "max_retries",
        "retry_interval_minutes",
        "retry_on_voicemail",
        "retry_on_goal_incomplete",
        "goal_completion_variable",
        "mark_complete_when_no_leads",
        "variables",
        "script",
    }
)


@dataclass(frozen=True)
class Contact:
    """A number to enrol, as the client sent it, with its call variables."""

    phone: str
    variables: Mapping[str, Any] = field(default_factory=dict)


def _lock_campaigns(*campaign_ids: int) -> None:
    """Lock campaign rows in id order (see the module docstring)."""
    ids = sorted({pk for pk in campaign_ids if pk is not None})
    list(Campaign.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def _normalize(workspace: Workspace, raw: Any, *, name: str = "phone") -> PhoneInfo:
    if not isinstance(raw, str):
        raise ValidationError({name: ValidationError(INVALID_PHONE, code="invalid_phone")})
    try:
        return phone_normalize(raw, region=workspace.default_region)
    except ValidationError:
        raise ValidationError(
            {name: ValidationError(INVALID_PHONE, code="invalid_phone")}
        ) from None


def _lock_numbers(workspace: Workspace, infos: Iterable[PhoneInfo]) -> None:
    """Serialize enrolments of the same numbers (the duplicate check, then the insert).
    Keys are taken in one global order so two requests never wait on each other."""
    for key in sorted({info.last10 for info in infos}):
        match_lock(workspace, email_key="", phone_key=key)


def _check_duplicates(campaign: Campaign, phones: list[str], *, exclude_pk: int | None) -> None:
    seen: set[str] = set()
    repeated = [p for p in phones if p in seen or seen.add(p)]
    existing = CampaignLead.objects.filter(campaign=campaign, phone__in=phones)
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    taken = sorted(set(existing.values_list("phone", flat=True)) | set(repeated))
    if taken:
        raise ValidationError(
            f"{', '.join(taken)} {'is' if len(taken) == 1 else 'are'} already in campaign "
            f"“{campaign.name}”. Send allow_dupplicate: true to add the same number again.",
            code="duplicate_lead",
        )


def _new_lead_data(phone: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical fields for a lead first met through a campaign: its number, and the
    customer_name / email call variables when they are usable."""
    data: dict[str, Any] = {"phone": phone}
    name = variables.get("customer_name")
    if isinstance(name, str) and name.strip():
        first, _, last = name.strip().partition(" ")
        data["first_name"] = first[:150]
        data["last_name"] = last.strip()[:150]
    email = variables.get("email")
    if isinstance(email, str) and email.strip():
        try:
            # The lead's own field check (format and length), so what passes here is
            # what lead_create accepts.
            Lead._meta.get_field("email").clean(email.strip(), None)
            data["email"] = email.strip()
        except ValidationError:
            pass  # a free-form call variable; a bad one must not refuse the number
    return data


def _enrolment_input(campaign_lead: CampaignLead) -> dict[str, Any]:
    return {
        "campaign": {"id": campaign_lead.campaign_id, "name": campaign_lead.campaign.name},
        "campaignLeadId": campaign_lead.pk,
        "phone": campaign_lead.phone,
        "variables": campaign_lead.variables,
        "parentId": campaign_lead.parent_id,
    }


def _attach(
    *,
    campaign: Campaign,
    actor: Actor,
    info: PhoneInfo,
    variables: Mapping[str, Any],
    parent: CampaignLead | None,
    lead: Lead | None = None,
) -> CampaignLead:
    """One campaign lead for `info`, tied to the canonical lead with that number (found,
    or created from the call variables), with the enrolment in the lead's timeline."""
    workspace = campaign.workspace
    now = timezone.now()
    entry = CampaignLead(
        workspace=workspace,
        campaign=campaign,
        parent=parent,
        phone=info.e164,
        variables=dict(variables),
        next_attempt_at=now,
    )
    summary = f"Added to campaign “{campaign.name}”"
    if lead is None:
        lead, _ = lead_find_match(workspace, phone_e164=info.e164)
    if lead is not None and lead.did_opt_out:
        # Kept, so the client sees where its number went, but never queued.
        entry.status = CampaignLead.Status.BLACKLISTED
        summary += " as blacklisted: this number opted out of calls"
    if lead is None:

        def enrol(new_lead: Lead) -> dict[str, Any]:
            entry.lead = new_lead
            entry.save()
            return {"campaignEnrollment": _enrolment_input(entry)}

        lead_create(
            workspace=workspace,
            actor=actor,
            data=_new_lead_data(info.e164, variables),
            after_save=enrol,
            summary=f"Lead created and {summary[0].lower()}{summary[1:]}",
        )
        return entry
    entry.lead = lead
    entry.save()
    actionlog_record(
        workspace=workspace,
        actor=actor,
        lead=lead,
        type=change_type(actor),
        event="campaign_lead_enrolled",
        summary=summary,
        input=_enrolment_input(entry),
    )
    return entry


@transaction.atomic
def campaign_enroll(
    *,
    campaign: Campaign,
    actor: Actor,
    phone: str,
    variables: Mapping[str, Any] | None = None,
    secondary_contacts: Iterable[Contact] = (),
    allow_duplicate: bool = False,
) -> CampaignLead:
    """Put a number (and up to ten secondary contacts, each a campaign lead of its own
    linked to it) in a campaign. The same number twice in one campaign is refused unless
    allow_duplicate."""
    workspace = campaign.workspace
    secondary = list(secondary_contacts)
    if len(secondary) > MAX_SECONDARY_CONTACTS:
        raise ValidationError(
            {"secondary_contacts": f"At most {MAX_SECONDARY_CONTACTS} secondary contacts."}
        )
    main = _normalize(workspace, phone)
    infos = [_normalize(workspace, c.phone, name="secondary_contacts") for c in secondary]
    _lock_numbers(workspace, [main, *infos])
    if not allow_duplicate:
        _check_duplicates(campaign, [main.e164, *(i.e164 for i in infos)], exclude_pk=None)
    entry = _attach(
        campaign=campaign, actor=actor, info=main, variables=variables or {}, parent=None
    )
    for contact, info in zip(secondary, infos, strict=True):
        _attach(
            campaign=campaign,
            actor=actor,
            info=info,
            variables=contact.variables or {},
            parent=entry,
        )
    return entry


@transaction.atomic
def campaign_lead_update(
    *,
    campaign_lead: CampaignLead,
    actor: Actor,
    data: Mapping[str, Any],
    allow_duplicate: bool = False,
) -> CampaignLead:
    """Change only the given fields (campaign, phone, status, variables — merged into the
    existing ones), with one timeline entry on the lead listing what changed."""
    new_campaign: Campaign | None = data.get("campaign")
    if new_campaign is not None and new_campaign.workspace_id != campaign_lead.workspace_id:
        raise ValidationError({"campaign": "Campaign not found."})
    _lock_campaigns(campaign_lead.campaign_id, new_campaign.pk if new_campaign else None)
    entry = (
        CampaignLead.objects.select_for_update(of=("self",))
        .select_related("campaign", "lead")
        .get(pk=campaign_lead.pk)
    )
    workspace = entry.workspace
    old_campaign = entry.campaign
    changes: dict[str, dict[str, Any]] = {}

    def change(name: str, old: Any, new: Any) -> None:
        if old != new:
            changes[name] = {"from": old, "to": new}

    info = None
    if "phone" in data:
        info = _normalize(workspace, data["phone"])
        change("phone", entry.phone, info.e164)
    if new_campaign is not None:
        change("campaign", entry.campaign_id, new_campaign.pk)
    if ("phone" in changes or "campaign" in changes) and not allow_duplicate:
        target = new_campaign or entry.campaign
        phones = [info.e164 if info else entry.phone]
        if "campaign" in changes:
            # Secondary contacts move with their lead: their numbers must be free there too.
            phones += entry.secondary_contacts.order_by("pk").values_list("phone", flat=True)
        _lock_numbers(workspace, [_normalize(workspace, phone) for phone in phones])
        _check_duplicates(target, phones, exclude_pk=entry.pk)

    status = data.get("status")
    if status is not None:
        if status not in SETTABLE_STATUSES:
            raise ValidationError(
                {"status": f"Status must be one of {', '.join(SETTABLE_STATUSES)}."}
            )
        if entry.status == CampaignLead.Status.BLACKLISTED or entry.lead.did_opt_out:
            raise ValidationError(
                "This number opted out of calls; its status cannot be changed.",
                code="blacklisted",
            )
        change("status", entry.status, status)
    if data.get("variables"):
        merged = {**(entry.variables or {}), **data["variables"]}
        change("variables", entry.variables, merged)

    if "phone" in changes:
        entry.phone = info.e164
        match, _ = lead_find_match(workspace, phone_e164=info.e164)
        if match is None:
            merged_vars = changes.get("variables", {}).get("to", entry.variables)
            match = lead_create(
                workspace=workspace,
                actor=actor,
                data=_new_lead_data(info.e164, merged_vars),
                summary=f"Lead created: number of a lead in campaign “{entry.campaign.name}”",
            ).lead
        entry.lead = match
        if match.did_opt_out:
            # The new number's person opted out of calls: kept, never queued (as on create).
            status = CampaignLead.Status.BLACKLISTED
            change("status", entry.status, status)
    if "campaign" in changes:
        entry.campaign = new_campaign
        # Secondary contacts follow the lead they belong to.
        entry.secondary_contacts.update(campaign=new_campaign, updated_at=timezone.now())
    if "status" in changes:
        entry.status = status
        entry.claimed_by = None
        entry.claimed_until = None
        if status == CampaignLead.Status.CREATED:
            # Queued again from scratch: every attempt is available once more.
            entry.attempts = 0
            entry.next_attempt_at = timezone.now()
            entry.last_outcome = ""
    if "variables" in changes:
        entry.variables = changes["variables"]["to"]
    if not changes:
        return entry
    entry.save()
    actionlog_record(
        workspace=workspace,
        actor=actor,
        lead=entry.lead,
        type=change_type(actor),
        event="campaign_lead_updated",
        summary=f"Campaign lead updated in “{entry.campaign.name}”",
        input={"campaignLeadId": entry.pk, "changes": changes},
    )
    for campaign in {old_campaign, entry.campaign}:
        campaign_complete_when_no_leads(campaign=campaign, actor=actor)
    return entry


@transaction.atomic
def campaign_lead_delete(*, campaign_lead: CampaignLead, actor: Actor) -> None:
    """Remove a number (and its secondary contacts) from its campaign. Its calls stay in
    the lead's timeline, and the canonical lead stays."""
    _lock_campaigns(campaign_lead.campaign_id)
    campaign = campaign_lead.campaign
    removed = [campaign_lead, *campaign_lead.secondary_contacts.select_related("lead")]
    for entry in removed:
        actionlog_record(
            workspace=entry.workspace,
            actor=actor,
            lead=entry.lead,
            type=change_type(actor),
            event="campaign_lead_removed",
            summary=f"Removed from campaign “{campaign.name}”",
            input={
                "campaign": {"id": campaign.pk, "name": campaign.name},
                "campaignLeadId": entry.pk,
                "phone": entry.phone,
                "status": entry.status,
                "attempts": entry.attempts,
            },
        )
    campaign_lead.delete()
    campaign_complete_when_no_leads(campaign=campaign, actor=actor)


def _settings_log(campaign: Campaign, actor: Actor, event: str, summary: str, **extra: Any) -> None:
    actionlog_record(
        workspace=campaign.workspace,
        actor=actor,
        type=ActionLog.Type.SETTINGS,
        event=event,
        summary=summary,
        input={"campaign": {"id": campaign.pk, "name": campaign.name}, **extra},
    )


def _validate_campaign(campaign: Campaign) -> None:
    errors: dict[str, list[str]] = {}
    if not (campaign.name or "").strip():
        errors.setdefault("name", []).append("Give the campaign a name.")
    if not zone_or_none(campaign.timezone):
        errors.setdefault("timezone", []).append(
            f"“{campaign.timezone}” is not an IANA time zone such as America/New_York."
        )
    days = campaign.allowed_days
    if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
        errors.setdefault("allowed_days", []).append(
            "Allowed days must be a non-empty list of " + ", ".join(WEEKDAYS) + "."
        )
    else:
        campaign.allowed_days = [d for d in WEEKDAYS if d in days]
    try:
        start, end = campaign.hours
    except ValidationError:
        errors.setdefault("allowed_hours_start", []).append("Give the hours as HH:MM.")
    else:
        if end <= start:
            errors.setdefault("allowed_hours_end", []).append(
                "The calling window must end after it starts."
            )
    if not 1 <= campaign.max_calls_in_parallel <= 10:
        errors.setdefault("max_calls_in_parallel", []).append("Must be between 1 and 10.")
    if not 0 <= campaign.max_retries <= 10:
        errors.setdefault("max_retries", []).append("Must be between 0 and 10.")
    if campaign.retry_interval_minutes < 1:
        errors.setdefault("retry_interval_minutes", []).append("Must be at least 1 minute.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def campaign_create(*, workspace: Workspace, actor: Actor, data: Mapping[str, Any]) -> Campaign:
    """A new campaign, as a draft: nothing is called until it is started."""
    unknown = set(data) - CAMPAIGN_FIELDS
    if unknown:
        raise ValueError(f"campaign fields not writable: {sorted(unknown)}")
    campaign = Campaign(workspace=workspace, created_by=actor.created_by_user, **data)
    if not campaign.timezone:
        campaign.timezone = workspace.default_timezone
    _validate_campaign(campaign)
    campaign.save()
    _settings_log(campaign, actor, "campaign_created", f"Campaign “{campaign.name}” created")
    return campaign


def _why_nothing_to_call(campaign: Campaign) -> str:
    """What a campaign with nothing left to call holds instead, and what to do about it:
    "add leads" alone misleads when every lead is there but opted out."""
    counts = campaign.leads.aggregate(
        total=Count("pk"),
        opted_out=Count(
            "pk",
            filter=Q(status=CampaignLead.Status.BLACKLISTED) | Q(lead__opted_out_at__isnull=False),
        ),
    )
    total, opted_out = counts["total"], counts["opted_out"]
    if not total:
        return "it has none yet. Add leads before starting it."
    if opted_out == total:
        who = "its only lead" if total == 1 else f"all {total} of its leads"
        verb = "is" if total == 1 else "are"
        return (
            f"{who} opted out of calls ({verb} blacklisted) and {verb} never called. "
            "Add other leads before starting it."
        )
    finished = total - opted_out
    parts = [
        f"{finished} {'is' if finished == 1 else 'are'} finished (completed or out of retries)"
    ]
    if opted_out:
        parts.insert(0, f"{opted_out} opted out of calls (blacklisted)")
    return (
        f"of its {total} lead{'s' if total != 1 else ''}, {' and '.join(parts)}. "
        "Add leads, or set finished ones back to created, before starting it."
    )


@transaction.atomic
def campaign_start(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Start calling. Refused when no number is left to call."""
    _lock_campaigns(campaign.pk)
    campaign.refresh_from_db()
    if not campaign.leads.left_to_call().exists():
        raise ValidationError(
            f"Campaign “{campaign.name}” has no leads left to call: "
            + _why_nothing_to_call(campaign),
            code="nothing_to_call",
        )
    if campaign.status != Campaign.Status.IN_PROGRESS:
        campaign.status = Campaign.Status.IN_PROGRESS
        campaign.save(update_fields=["status", "updated_at"])
        _settings_log(campaign, actor, "campaign_started", f"Campaign “{campaign.name}” started")
    return campaign


def _release(queryset: QuerySet, now: datetime.datetime) -> int:
    """Put numbers held for a call back in the queue, first in line: never-called ones as
    created, the others as rescheduled."""
    common = {"claimed_by": None, "claimed_until": None, "next_attempt_at": now, "updated_at": now}
    fresh = queryset.filter(attempts=0).update(status=CampaignLead.Status.CREATED, **common)
    tried = queryset.filter(attempts__gt=0).update(status=CampaignLead.Status.RESCHEDULED, **common)
    return fresh + tried


@transaction.atomic
def campaign_stop(*, campaign: Campaign, actor: Actor) -> Campaign:
    """Stop calling; calls in progress are cancelled and their numbers queued again."""
    _lock_campaigns(campaign.pk)
    campaign.refresh_from_db()
    now = timezone.now()
    cancelled = _release(campaign.leads.filter(status=CampaignLead.Status.PROCESSING), now)
    if campaign.status != Campaign.Status.STOPPED:
        campaign.status = Campaign.Status.STOPPED
        campaign.save(update_fields=["status", "updated_at"])
        _settings_log(
            campaign,
            actor,
            "campaign_stopped",
            f"Campaign “{campaign.name}” stopped",
            cancelledCalls=cancelled,
        )
    return campaign


@transaction.atomic
def campaign_complete_when_no_leads(*, campaign: Campaign, actor: Actor) -> bool:
    """Mark a running campaign completed when it asks for it and nothing is left to
    call. Returns whether it did."""
    if not campaign.mark_complete_when_no_leads:
        return False
    if campaign.leads.left_to_call().exists():
        return False
    done = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.IN_PROGRESS).update(
        status=Campaign.Status.COMPLETED, updated_at=timezone.now()
    )
    if done:
        campaign.refresh_from_db(fields=["status", "updated_at"])
        _settings_log(
            campaign,
            actor,
            "campaign_completed",
            f"Campaign “{campaign.name}” completed: no leads left to call",
        )
    return bool(done)


@dataclass(frozen=True)
class CallQueue:
    """Numbers of a campaign's queue (to call now, or just claimed) and how many of its
    numbers are being called."""

    entries: list[CampaignLead]
    processing: int


def campaign_queue(
    *,
    campaign: Campaign,
    now: datetime.datetime | None = None,
    limit: int | None = None,
    for_claim: bool = False,
) -> CallQueue:
    """The numbers to call now, in order: campaign in progress; due, under the retry
    limit, not opted out; inside the calling window on the lead's own clock; and no more
    than the free places under max_calls_in_parallel. `for_claim` (campaign_queue_claim,
    holding the campaign lock): on PostgreSQL the rows are locked, skipping any another
    transaction is writing."""
    now = now or timezone.now()
    processing = campaign.leads.processing(now).count()
    free = campaign.max_calls_in_parallel - processing
    if limit is not None:
        free = min(free, limit)
    if campaign.status != Campaign.Status.IN_PROGRESS or free <= 0:
        return CallQueue(entries=[], processing=processing)
    entries = (
        campaign.leads.due(now)
        .in_window(campaign, now)
        .queue_order()
        .select_related("lead", "campaign")
    )
    if for_claim and connection.vendor == "postgresql":
        entries = entries.select_for_update(skip_locked=True, of=("self",))
    return CallQueue(entries=list(entries[:free]), processing=processing)


def campaign_queue_claim(
    *,
    campaign: Campaign,
    agent: Membership | None,
    now: datetime.datetime | None = None,
    lease: datetime.timedelta | None = None,
    count: int = 1,
) -> CallQueue:
    """Hand the next `count` numbers of the queue to one caller, marked processing for
    the lease (CAMPAIGN_CLAIM_LEASE_MINUTES): an agent in the staff queue takes one at a
    time, an external dialer (agent None) up to the free places under
    max_calls_in_parallel. An agent who already holds a number gets it back. No entries
    when nothing is callable. A claim ends with the call's report, a release, a stop, or its
    lease running out (the number is then callable again).

    The campaign row lock makes max_calls_in_parallel hold under concurrency; on
    PostgreSQL the candidate rows are taken with SKIP LOCKED so a claimer never waits on
    a number someone else is writing."""
    if agent is not None and count != 1:
        raise ValueError("an agent holds one number at a time")
    lease = lease or datetime.timedelta(minutes=settings.CAMPAIGN_CLAIM_LEASE_MINUTES)
    with transaction.atomic():
        _lock_campaigns(campaign.pk)
        campaign.refresh_from_db()
        now = now or timezone.now()
        if agent is not None:
            processing = campaign.leads.processing(now)
            held = processing.filter(claimed_by=agent).first()
            if held is not None:
                return CallQueue(entries=[held], processing=processing.count())
        queue = campaign_queue(campaign=campaign, now=now, limit=count, for_claim=True)
        entries = queue.entries
        claim = {
            "status": CampaignLead.Status.PROCESSING,
            "claimed_by": agent,
            "claimed_until": now + lease,
            "updated_at": now,
        }
        CampaignLead.objects.filter(pk__in=[entry.pk for entry in entries]).update(**claim)
        for entry in entries:
            for name, value in claim.items():
                setattr(entry, name, value)
        return CallQueue(entries=entries, processing=queue.processing + len(entries))


def _next_status(entry: CampaignLead, campaign: Campaign, outcome: str) -> tuple[str, bool]:
    """The status a call outcome leads to, and whether it is a retry."""
    if outcome in OPT_OUT_OUTCOMES:
        return CampaignLead.Status.BLACKLISTED, False
    if entry.status in FINAL_STATUSES:
        return entry.status, False  # a late report does not reopen a finished number
    retry = outcome in RETRY_OUTCOMES
    if outcome == CallAttempt.Outcome.VOICEMAIL:
        retry = campaign.retry_on_voicemail
    if outcome == CallAttempt.Outcome.COMPLETED and campaign.retry_on_goal_incomplete:
        goal = campaign.goal_completion_variable
        retry = bool(goal) and not entry.variables.get(goal)
    if not retry:
        return CampaignLead.Status.COMPLETED, False
    if entry.attempts >= campaign.max_attempts:
        return CampaignLead.Status.REACHED_MAX_RETRIES, False
    return CampaignLead.Status.RESCHEDULED, True


@transaction.atomic
def campaign_call_record(
    *,
    campaign_lead: CampaignLead,
    actor: Actor,
    outcome: str,
    duration_seconds: int = 0,
    notes: str = "",
    variables: Mapping[str, Any] | None = None,
    retry_at: datetime.datetime | None = None,
    agent: Membership | None = None,
) -> CallAttempt:
    """Record one call and move the number on: completed, retried after the campaign's
    retry interval (or at retry_at: scheduled), reached-max-retries, or — opted out / do
    not call — blacklisted, with the person opted out everywhere."""
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError({"outcome": f"“{outcome}” is not a call outcome."})
    now = timezone.now()
    if retry_at is not None and retry_at <= now:
        raise ValidationError({"retry_at": "The next attempt must be in the future."})
    _lock_campaigns(campaign_lead.campaign_id)
    entry = (
        CampaignLead.objects.select_for_update(of=("self",))
        .select_related("campaign", "lead")
        .get(pk=campaign_lead.pk)
    )
    campaign, lead = entry.campaign, entry.lead
    before = entry.status
    entry.attempts += 1
    if variables:
        entry.variables = {**(entry.variables or {}), **variables}
    status, retry = _next_status(entry, campaign, outcome)
    if retry:
        if retry_at is not None:
            status = CampaignLead.Status.SCHEDULED
        entry.next_attempt_at = retry_at or now + datetime.timedelta(
            minutes=campaign.retry_interval_minutes
        )
    entry.status = status
    entry.last_outcome = outcome
    entry.claimed_by = None
    entry.claimed_until = None
    entry.save()

    agent = agent or actor.membership
    call = CallAttempt.objects.create(
        workspace=entry.workspace,
        campaign_lead=entry,
        campaign=campaign,
        lead=lead,
        agent=agent,
        api_key=actor.api_key,
        outcome=outcome,
        duration_seconds=duration_seconds,
        notes=notes,
    )
    lead.record_interaction(when=now)
    label = CallAttempt.Outcome(outcome).label
    actionlog_record(
        workspace=entry.workspace,
        actor=actor,
        lead=lead,
        type=ActionLog.Type.CALL,
        event="call_recorded",
        summary=(
            f"Call: {label} (attempt {entry.attempts} of {campaign.max_attempts}) "
            f"in campaign “{campaign.name}”"
        ),
        description=notes,
        input={
            "callId": call.pk,
            "campaign": {"id": campaign.pk, "name": campaign.name},
            "campaignLeadId": entry.pk,
            "phone": entry.phone,
            "outcome": outcome,
            "durationSeconds": duration_seconds,
            "attempt": entry.attempts,
            "agent": agent.pk if agent else None,
            "variables": dict(variables or {}),
        },
        output={
            "statusFrom": before,
            "statusTo": status,
            "nextAttemptAt": entry.next_attempt_at.isoformat() if retry else None,
        },
    )
    if status == CampaignLead.Status.BLACKLISTED:
        _opt_out_everywhere(entry, actor, outcome)
    campaign_complete_when_no_leads(campaign=campaign, actor=actor)
    return call


def _opt_out_everywhere(entry: CampaignLead, actor: Actor, outcome: str) -> None:
    """The person asked not to be called: no campaign calls the number again, and the
    lead is opted out for every family, the staff pages and the message sender."""
    lead = entry.lead
    now = timezone.now()
    CampaignLead.objects.filter(lead=lead).exclude(pk=entry.pk).exclude(
        status=CampaignLead.Status.BLACKLISTED
    ).update(
        status=CampaignLead.Status.BLACKLISTED, claimed_by=None, claimed_until=None, updated_at=now
    )
    if not lead.did_opt_out:
        lead_update(
            lead=lead,
            actor=actor,
            data={"opted_out": True, "opt_out_channel": "call"},
            summary=f"Opted out during a call ({CallAttempt.Outcome(outcome).label.lower()})",
        )


@transaction.atomic
def campaign_claims_release(*, now: datetime.datetime | None = None) -> int:
    """Put numbers whose claim ran out (the caller vanished) back in their queue."""
    now = now or timezone.now()
    return _release(
        CampaignLead.objects.filter(status=CampaignLead.Status.PROCESSING, claimed_until__lt=now),
        now,
    )


# --- Staff pages: editing, adding existing leads, working the call queue ------------------


def _setting_value(value: Any) -> Any:
    """A campaign setting as the timeline stores it."""
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return value


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor: Actor, data: Mapping[str, Any]) -> Campaign:
    """Change a campaign's settings (name, calling hours and days, time zone, retries,
    variables, script…), running or not; one settings entry lists what changed."""
    unknown = set(data) - CAMPAIGN_FIELDS
    if unknown:
        raise ValueError(f"campaign fields not writable: {sorted(unknown)}")
    _lock_campaigns(campaign.pk)
    campaign.refresh_from_db()
    before = {name: _setting_value(getattr(campaign, name)) for name in data}
    for name, value in data.items():
        setattr(campaign, name, value)
    _validate_campaign(campaign)
    campaign.allowed_hours_start, campaign.allowed_hours_end = campaign.hours
    after = {name: _setting_value(getattr(campaign, name)) for name in data}
    changes = {
        name: {"from": before[name], "to": after[name]}
        for name in data
        if before[name] != after[name]
    }
    if changes:
        campaign.save()
        _settings_log(
            campaign,
            actor,
            "campaign_updated",
            f"Campaign “{campaign.name}” changed: "
            + ", ".join(n.replace("_", " ") for n in changes),
            changes=changes,
        )
    return campaign


@dataclass(frozen=True)
class EnrollReport:
    """What adding a set of leads to a campaign did."""

    added: int
    already: int = 0
    no_phone: int = 0
    opted_out: int = 0
    archived: int = 0

    @property
    def left_out(self) -> int:
        return self.already + self.no_phone + self.opted_out + self.archived


def _lead_variables(lead: Lead) -> dict[str, str]:
    """Call variables a number added from the lead list starts with (an external dialer
    reads customer_name and email, as when it enrols numbers itself)."""
    variables = {
        "customer_name": lead.full_name,
        "email": lead.email,
        "company": lead.company,
    }
    return {key: value for key, value in variables.items() if value}


@transaction.atomic
def campaign_enroll_leads(
    *, campaign: Campaign, actor: Actor, leads: Iterable[Lead]
) -> EnrollReport:
    """Put existing leads in a campaign by their phone number, in a fixed number of
    queries however many there are (up to CAMPAIGN_ENROLL_MAX). Leads without a phone,
    opted out, archived, or whose number is already in the campaign are left out and
    counted; each lead added gets a timeline entry."""
    leads = list(leads)
    limit = settings.CAMPAIGN_ENROLL_MAX
    if len(leads) > limit:
        raise ValidationError(
            f"That is more than {limit:,} leads; add them in smaller sets.", code="too_many"
        )
    if any(lead.workspace_id != campaign.workspace_id for lead in leads):
        raise ValidationError("Lead not found.", code="not_found")
    _lock_campaigns(campaign.pk)
    counts = {"no_phone": 0, "opted_out": 0, "archived": 0, "already": 0}
    wanted: dict[str, Lead] = {}
    for lead in leads:
        if not lead.phone_e164:
            counts["no_phone"] += 1
        elif lead.did_opt_out:
            counts["opted_out"] += 1
        elif lead.is_archived:
            counts["archived"] += 1
        elif lead.phone_e164 in wanted:
            counts["already"] += 1  # two leads sharing one number: it is called once
        else:
            wanted[lead.phone_e164] = lead
    workspace = campaign.workspace
    match_lock_many(
        workspace, email_keys=(), phone_keys={lead.phone_last10 for lead in wanted.values()}
    )
    taken = set(
        CampaignLead.objects.filter(campaign=campaign, phone__in=list(wanted)).values_list(
            "phone", flat=True
        )
    )
    counts["already"] += len(taken)
    now = timezone.now()
    entries = [
        CampaignLead(
            workspace=workspace,
            campaign=campaign,
            lead=lead,
            phone=phone,
            variables=_lead_variables(lead),
            next_attempt_at=now,
        )
        for phone, lead in wanted.items()
        if phone not in taken
    ]
    CampaignLead.objects.bulk_create(entries)
    if any(entry.pk is None for entry in entries):  # backends without RETURNING
        ids = dict(
            CampaignLead.objects.filter(
                campaign=campaign, lead__in=[e.lead for e in entries], created_at=now
            ).values_list("lead_id", "pk")
        )
        for entry in entries:
            entry.pk = ids[entry.lead_id]
    summary = f"Added to campaign “{campaign.name}”"
    ActionLog.objects.bulk_create(
        [
            actionlog_record(
                workspace=workspace,
                actor=actor,
                lead=entry.lead,
                type=change_type(actor),
                event="campaign_lead_enrolled",
                summary=summary,
                input=_enrolment_input(entry),
                save=False,
            )
            for entry in entries
        ]
    )
    if entries:
        _settings_log(
            campaign,
            actor,
            "campaign_leads_added",
            f"{len(entries)} lead{'s' if len(entries) != 1 else ''} added to campaign "
            f"“{campaign.name}”",
            added=len(entries),
        )
    return EnrollReport(added=len(entries), **counts)


@transaction.atomic
def campaign_queue_report(
    *,
    campaign_lead: CampaignLead,
    agent: Membership,
    actor: Actor,
    outcome: str,
    notes: str = "",
) -> CallAttempt:
    """An agent's outcome for the number the queue handed them: refused when the number
    is not (any more) theirs — another agent has it, or it was put back or finished."""
    _lock_campaigns(campaign_lead.campaign_id)
    entry = CampaignLead.objects.select_for_update(of=("self",)).get(pk=campaign_lead.pk)
    if entry.status != CampaignLead.Status.PROCESSING or entry.claimed_by_id != agent.pk:
        raise ValidationError(
            "This number is no longer yours to report on: it was put back in the queue or "
            "someone else has it.",
            code="not_claimed",
        )
    return campaign_call_record(
        campaign_lead=entry, actor=actor, outcome=outcome, notes=notes, agent=agent
    )


@transaction.atomic
def campaign_queue_release(*, campaign_lead: CampaignLead, agent: Membership) -> bool:
    """Give back, uncalled, the number an agent holds: it goes back first in line for
    whoever asks next. Returns whether there was one to give back."""
    _lock_campaigns(campaign_lead.campaign_id)
    held = CampaignLead.objects.filter(
        pk=campaign_lead.pk, status=CampaignLead.Status.PROCESSING, claimed_by=agent
    )
    return bool(_release(held, timezone.now()))
