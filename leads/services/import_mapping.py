"""Which column of an import file goes to which lead field, and turning one row of
cells into the data lead_bulk_upsert takes.

A column maps to a lead field, to a custom field ("custom:<slug>"), or to nothing. The
mapping page starts from what the workspace chose for the same header last time, then
from a guess on the header's wording."""

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Lower

from leads.models import CustomField, ImportJob, LeadSource, Membership, Stage, Team, Workspace
from leads.services.leads import custom_field_definitions

CUSTOM_PREFIX = "custom:"
IGNORE = ""

# (target, label, group). Targets are lead_create field names, plus full_name (split at
# the first space) and the lookups by name (stage, team, lead source, assignee).
FIELD_TARGETS: list[tuple[str, str, str]] = [
    ("full_name", "Full name (split into first and last)", "Person"),
    ("first_name", "First name", "Person"),
    ("middle_name", "Middle name", "Person"),
    ("last_name", "Last name", "Person"),
    ("email", "Email", "Person"),
    ("phone", "Phone", "Person"),
    ("timezone", "Time zone", "Person"),
    ("job_title", "Job title", "Person"),
    ("position", "Position", "Person"),
    ("location", "Location", "Person"),
    ("company", "Company", "Business"),
    ("website", "Website", "Business"),
    ("number_of_employees", "Number of employees", "Business"),
    ("monthly_transaction_volume", "Monthly transaction volume", "Business"),
    ("current_payment_processor", "Current payment processor", "Business"),
    ("branch", "Branch", "Business"),
    ("source", "Source (free text)", "Origin"),
    ("external_id", "External id", "Origin"),
    ("lead_source", "Lead source (by name)", "Origin"),
    ("team", "Team (by name)", "Origin"),
    ("stage", "Stage (by name)", "Work"),
    ("assignee", "Assignee (member's email or name)", "Work"),
    ("tags", "Tags (separated by commas)", "Work"),
    ("notes", "Notes", "Work"),
    ("score", "Score", "Work"),
]
FIELD_LABELS = {target: label for target, label, _ in FIELD_TARGETS}
# Fields that identify someone: a row needs at least one of them.
IDENTIFYING = ("full_name", "first_name", "last_name", "email", "phone", "company")

# Header wordings (normalized: lower case, words separated by one space) per target.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": ("name", "full name", "contact name", "contact", "lead name", "customer name"),
    "first_name": ("first name", "firstname", "first", "given name", "fname", "forename"),
    "middle_name": ("middle name", "middlename", "middle"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "lname"),
    "email": ("email", "e mail", "email address", "mail", "contact email", "work email"),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "telephone",
        "tel",
        "contact phone",
        "phone no",
        "mobile number",
    ),
    "timezone": ("timezone", "time zone", "tz"),
    "job_title": ("title", "job title", "jobtitle", "role"),
    "position": ("position",),
    "location": ("location", "city", "address", "region"),
    "company": (
        "company",
        "company name",
        "business",
        "business name",
        "organization",
        "organisation",
        "account",
        "account name",
    ),
    "website": ("website", "web", "url", "site", "web site", "homepage"),
    "number_of_employees": ("employees", "number of employees", "company size", "headcount"),
    "monthly_transaction_volume": ("monthly volume", "monthly transaction volume", "volume"),
    "current_payment_processor": ("payment processor", "processor", "current processor"),
    "branch": ("branch",),
    "source": ("source", "origin", "channel"),
    "external_id": ("id", "external id", "crm id", "record id", "lead id"),
    "lead_source": ("lead source", "leadsource"),
    "team": ("team",),
    "stage": ("stage", "pipeline stage", "deal stage", "lead stage"),
    "assignee": ("owner", "assignee", "assigned to", "agent", "sales rep", "rep", "lead owner"),
    "tags": ("tags", "tag", "labels", "label"),
    "notes": ("notes", "note", "comments", "comment", "description", "remarks"),
    "score": ("score", "lead score"),
}
_GUESS = {wording: target for target, wordings in SYNONYMS.items() for wording in wordings}
_TRUE = {"1", "true", "yes", "y", "x", "on"}
_FALSE = {"0", "false", "no", "n", "off"}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y")
# Lookups above this many rows are loaded on demand instead of all at once.
_TAG_SPLIT = re.compile(r"[,;]")


def normalize_header(text: str) -> str:
    """A header as wordings are compared: lower case, punctuation and case changes as
    spaces ("FirstName" and "first_name" both read "first name")."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text or "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", spaced.lower()).split())


def target_choices(custom_fields: Iterable[CustomField]) -> list[tuple[str, Any]]:
    """The options of a column's select, grouped, "Do not import" first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for target, label, group in FIELD_TARGETS:
        groups.setdefault(group, []).append((target, label))
    custom = [(CUSTOM_PREFIX + f.slug, f.label) for f in custom_fields]
    choices: list[tuple[str, Any]] = [(IGNORE, "Do not import")]
    choices += list(groups.items())
    if custom:
        choices.append(("Custom fields", custom))
    return choices


def valid_targets(custom_fields: Iterable[CustomField]) -> set[str]:
    return set(FIELD_LABELS) | {CUSTOM_PREFIX + f.slug for f in custom_fields}


def remembered_mapping(workspace: Workspace, *, limit: int = 20) -> dict[str, str]:
    """What the workspace's recent imports did with each header (normalized), newest
    choice first; "" for a column someone chose not to import."""
    remembered: dict[str, str] = {}
    for headers, mapping in ImportJob.objects.mappings(workspace).values_list("headers", "mapping")[
        :limit
    ]:
        for index, header in enumerate(headers or []):
            key = normalize_header(header)
            if key and key not in remembered:
                remembered[key] = (mapping or {}).get(str(index), IGNORE)
    return remembered


def guess_mapping(
    headers: Sequence[str],
    *,
    custom_fields: Iterable[CustomField],
    remembered: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A target per column (index as text): the workspace's earlier choice for the same
    header, else a custom field whose slug or label is the header, else a wording guess.
    A target is used once; a later column with the same guess is left unmapped."""
    custom_fields = list(custom_fields)
    allowed = valid_targets(custom_fields)
    custom = {}
    for definition in custom_fields:
        custom[normalize_header(definition.slug)] = CUSTOM_PREFIX + definition.slug
        custom[normalize_header(definition.label)] = CUSTOM_PREFIX + definition.slug
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        key = normalize_header(header)
        target = IGNORE
        if remembered and key in remembered and remembered[key] in allowed | {IGNORE}:
            target = remembered[key]
        elif key in custom:
            target = custom[key]
        elif key in _GUESS:
            target = _GUESS[key]
        if target and target in used:
            target = IGNORE
        if target:
            used.add(target)
        mapping[str(index)] = target
    if "full_name" in used and ({"first_name", "last_name"} & used):
        # A file with first and last name columns and a "name" column: use the parts.
        mapping = {k: (IGNORE if v == "full_name" else v) for k, v in mapping.items()}
    return mapping


def mapping_problems(mapping: Mapping[str, str], *, allowed: set[str]) -> list[str]:
    """Why a chosen mapping cannot be used (empty: it can)."""
    chosen = [t for t in mapping.values() if t]
    problems = []
    unknown = sorted({t for t in chosen if t not in allowed})
    if unknown:
        problems.append("Unknown field: " + ", ".join(unknown) + ".")
    repeated = sorted({t for t in chosen if chosen.count(t) > 1})
    if repeated:
        labels = [FIELD_LABELS.get(t, t.removeprefix(CUSTOM_PREFIX)) for t in repeated]
        problems.append("Each field can take one column only: " + ", ".join(labels) + ".")
    if not set(chosen) & set(IDENTIFYING):
        problems.append("Map at least one column to a name, an email, a phone number or a company.")
    return problems


@dataclass
class ImportRefs:
    """The workspace's stages, teams, lead sources, members and custom fields, loaded
    once per import so that a row's lookups cost no query."""

    workspace: Workspace
    stages: dict[str, Stage] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    sources: dict[str, LeadSource] = field(default_factory=dict)
    members: dict[str, Membership] = field(default_factory=dict)
    custom_fields: dict[str, CustomField] = field(default_factory=dict)

    @classmethod
    def load(cls, workspace: Workspace, mapping: Mapping[str, str]) -> "ImportRefs":
        """Only the lookups the mapping uses."""
        targets = set(mapping.values())
        refs = cls(workspace=workspace)
        if "stage" in targets:
            for stage in Stage.objects.filter(workspace=workspace):
                refs.stages.setdefault(stage.name.lower(), stage)
                refs.stages.setdefault(stage.slug.lower(), stage)
        if "team" in targets:
            for team in Team.objects.filter(workspace=workspace).annotate(lower=Lower("name")):
                refs.teams.setdefault(team.lower, team)
        if "lead_source" in targets:
            for source in LeadSource.objects.filter(workspace=workspace):
                refs.sources.setdefault(source.name.lower(), source)
        if "assignee" in targets:
            members = (
                Membership.objects.filter(workspace=workspace, is_active=True)
                .exclude(role=Membership.Role.VIEWER)
                .select_related("user")
            )
            for member in members:
                refs.members.setdefault(member.email.lower(), member)
                refs.members.setdefault(member.name.lower(), member)
        refs.custom_fields = custom_field_definitions(workspace)
        return refs


def _custom_value(definition: CustomField, text: str) -> Any:
    kind = definition.field_type
    if kind == CustomField.Type.NUMBER:
        cleaned = text.replace(",", "").replace(" ", "")
        try:
            number = float(cleaned)
        except ValueError:
            raise ValueError("must be a number") from None
        return int(number) if number.is_integer() else number
    if kind == CustomField.Type.BOOLEAN:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("must be yes or no")
    if kind == CustomField.Type.DATE:
        for pattern in _DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text[:10], pattern).date().isoformat()
            except ValueError:
                continue
        raise ValueError("must be a date such as 2025-03-31")
    if kind == CustomField.Type.SELECT:
        by_lower = {str(c).lower(): c for c in definition.choices or []}
        if text.lower() in by_lower:
            return by_lower[text.lower()]
        raise ValueError("must be one of " + ", ".join(map(str, definition.choices or [])))
    return text


def row_to_data(
    cells: Sequence[str], mapping: Mapping[str, str], refs: ImportRefs
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The lead data a row carries, and its errors by field. Empty cells are left out,
    so a duplicate never has a value blanked by an empty cell."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    custom: dict[str, Any] = {}
    for index, target in mapping.items():
        if not target:
            continue
        position = int(index)
        text = cells[position].strip() if position < len(cells) else ""
        if not text:
            continue
        if target == "full_name":
            first, _, last = text.partition(" ")
            data.setdefault("first_name", first)
            if last.strip():
                data.setdefault("last_name", last.strip())
        elif target in ("stage", "team", "lead_source", "assignee"):
            table = {
                "stage": refs.stages,
                "team": refs.teams,
                "lead_source": refs.sources,
                "assignee": refs.members,
            }[target]
            found = table.get(text.lower())
            if found is None:
                what = {
                    "stage": "stage",
                    "team": "team",
                    "lead_source": "lead source",
                    "assignee": "active member",
                }[target]
                errors.setdefault(target, []).append(f"No {what} called “{text}”.")
            else:
                data[target] = found
        elif target == "tags":
            data["tags"] = [t.strip() for t in _TAG_SPLIT.split(text) if t.strip()]
        elif target.startswith(CUSTOM_PREFIX):
            slug = target.removeprefix(CUSTOM_PREFIX)
            definition = refs.custom_fields.get(slug)
            if definition is None:
                continue  # the field was deleted after the mapping was chosen
            try:
                custom[slug] = _custom_value(definition, text)
            except ValueError as err:
                errors.setdefault("custom_fields", []).append(f"“{definition.label}” {err}.")
        else:
            data[target] = text
    if custom:
        data["custom_fields"] = custom
    if not errors and not set(data) & {"first_name", "last_name", "email", "phone", "company"}:
        errors["__all__"] = ["The row has no name, email, phone number or company."]
    return data, errors
