"""Reads for the staff pages that span several tables: dashboard figures, board columns,
a lead's timeline page. Nothing here writes."""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import BadRequest
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.models import (
    ActionLog,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    RotationMember,
    Stage,
    Team,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from leads.services.routing import rotation_preview

BOARD_CARDS_PER_COLUMN = 50
# A column's figures are exact up to this many leads; past it the board says "1,000+"
# (reading 10,000 rows per column took the board at a million leads to 240 ms).
BOARD_EXACT_UP_TO = 1_000
TIMELINE_PAGE = 50


# --- dashboard -------------------------------------------------------------------------
@dataclass
class Breakdown:
    label: str
    count: int
    color: str = ""
    share: float = 0.0  # of the largest row, for the bar width


@dataclass
class DayCount:
    day: datetime.date
    count: int


@dataclass
class Dashboard:
    new_today: int
    new_this_week: int
    open_total: int
    by_stage: list[Breakdown]
    by_source: list[Breakdown]
    by_assignee: list[Breakdown]
    per_day: list[DayCount]
    rotations: list[tuple[Rotation, list[Breakdown]]] = field(default_factory=list)


def _with_shares(rows: list[Breakdown]) -> list[Breakdown]:
    top = max((r.count for r in rows), default=0)
    for row in rows:
        row.share = row.count / top if top else 0.0
    return rows


def _day_start(now: datetime.datetime, zone: Any) -> datetime.datetime:
    local = timezone.localtime(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def dashboard_figures(member: Membership, *, now: datetime.datetime | None = None) -> Dashboard:
    """What the dashboard shows, over the leads this member may see, in the workspace's
    time zone: new today / this week (from Monday), open leads by stage, source and
    assignee, leads per day for 30 days, and this week's rotation assignments."""
    workspace = member.workspace
    zone = zoneinfo.ZoneInfo(workspace.default_timezone or "UTC")
    now = now or timezone.now()
    today = _day_start(now, zone)
    week = today - datetime.timedelta(days=today.weekday())
    month = today - datetime.timedelta(days=29)
    leads = Lead.objects.visible_to(member).not_merged()

    recent = leads.filter(created_at__gte=min(week, today)).aggregate(
        today=Count("pk", filter=Q(created_at__gte=today)),
        week=Count("pk", filter=Q(created_at__gte=week)),
    )
    # "Open" as LeadQuerySet.open() means it, without joining the stage table: each
    # breakdown is one GROUP BY over plain columns, names are looked up afterwards.
    stages = list(Stage.objects.filter(workspace=workspace))
    closed = [s.pk for s in stages if s.is_won or s.is_lost]
    open_leads = leads.filter(
        archived_at__isnull=True, status__in=[Lead.Status.IN_PROGRESS, Lead.Status.REVIEW]
    ).exclude(stage_id__in=closed)
    # One scan of the open leads, grouped by every column the breakdowns need.
    stage_rows: dict[Any, int] = {}
    assignee_rows: dict[Any, int] = {}
    source_rows: dict[tuple[Any, str], int] = {}
    grouped = open_leads.values("stage_id", "assignee_id", "lead_source_id", "source")
    for row in grouped.annotate(n=Count("*")).order_by():
        n = row["n"]
        stage_rows[row["stage_id"]] = stage_rows.get(row["stage_id"], 0) + n
        assignee_rows[row["assignee_id"]] = assignee_rows.get(row["assignee_id"], 0) + n
        key = (row["lead_source_id"], row["source"])
        source_rows[key] = source_rows.get(key, 0) + n
    by_stage = [Breakdown(s.name, stage_rows.get(s.pk, 0), s.color) for s in stages]
    if stage_rows.get(None):
        by_stage.append(Breakdown("No stage", stage_rows[None], "#94a3b8"))

    source_names = dict(LeadSource.objects.filter(workspace=workspace).values_list("pk", "name"))
    per_source: dict[str, int] = {}
    for (source_id, source), n in source_rows.items():
        label = source_names.get(source_id) or source or "Unknown"
        per_source[label] = per_source.get(label, 0) + n
    by_source = [
        Breakdown(label, n) for label, n in sorted(per_source.items(), key=lambda kv: -kv[1])[:8]
    ]
    member_names = {
        m.pk: m.name for m in Membership.objects.filter(workspace=workspace).select_related("user")
    }
    by_assignee = [
        Breakdown(member_names.get(pk, "Former member") if pk else "Unassigned", n)
        for pk, n in sorted(assignee_rows.items(), key=lambda kv: -kv[1])[:10]
    ]

    per_day_rows = {
        row["day"]: row["n"]
        for row in leads.filter(created_at__gte=month)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    per_day = [
        DayCount(d, per_day_rows.get(d, 0))
        for d in ((month + datetime.timedelta(days=i)).date() for i in range(30))
    ]

    rotations = []
    assignments = (
        ActionLog.objects.filter(
            workspace=workspace,
            type=ActionLog.Type.ASSIGNMENT,
            created_at__gte=week,
            input__rotation__isnull=False,
        )
        .values("input__rotation", "input__assignee")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[Any, dict[Any, int]] = {}
    for row in assignments:
        counts.setdefault(row["input__rotation"], {})[row["input__assignee"]] = row["n"]
    if counts:
        names = member_names
        for rotation in Rotation.objects.filter(workspace=workspace, pk__in=list(counts)):
            per_member = counts[rotation.pk]
            rows = [
                Breakdown(names.get(pk, "Former member"), n)
                for pk, n in sorted(per_member.items(), key=lambda kv: -kv[1])
            ]
            rotations.append((rotation, _with_shares(rows)))

    return Dashboard(
        new_today=recent["today"],
        new_this_week=recent["week"],
        open_total=sum(stage_rows.values()),
        by_stage=_with_shares(by_stage),
        by_source=_with_shares(by_source),
        by_assignee=_with_shares(by_assignee),
        per_day=per_day,
        rotations=rotations,
    )


# --- pipeline board --------------------------------------------------------------------
@dataclass
class BoardColumn:
    stage: Stage | None
    count: int
    total_volume: int
    cards: list[Lead]
    # More than BOARD_EXACT_UP_TO leads: `count` is that limit and the total is left out.
    capped: bool = False

    @property
    def key(self) -> str:
        return str(self.stage.pk) if self.stage else "none"

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


# What a card shows and what orders it. Its title falls back to the email, then the phone:
# the phone comes as text and is parsed only for the cards that show it (parsing every
# card's number was a quarter of the board's reading time).
CARD_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "company",
    "monthly_transaction_volume",
    "assignee",
    "stage",
    "created_at",
)

# Each column's part of the board's one query: its newest leads, at most one more than
# BOARD_EXACT_UP_TO, counted and added up, and the first BOARD_CARDS_PER_COLUMN of them
# kept as cards. Wrapped in a SELECT of its own so that SQLite takes ORDER BY and LIMIT
# inside UNION ALL.
_COLUMN_PART = """SELECT * FROM (
    SELECT part{i}.*, {i} AS board_column, COUNT(*) OVER () AS board_count,
        COALESCE(SUM(part{i}.monthly_transaction_volume) OVER (), 0) AS board_volume
    FROM ({sql}) AS part{i}
    ORDER BY part{i}.created_at DESC, part{i}.id DESC
    LIMIT {cards}
) AS column{i}"""


def _board_query(columns: list[QuerySet]) -> tuple[str, list[Any]]:
    statements, params = [], []
    for i, leads in enumerate(columns):
        newest = leads.only(*CARD_FIELDS).annotate(board_phone=F("phone"))
        newest = newest.order_by("-created_at", "-id")
        sql, part_params = newest[: BOARD_EXACT_UP_TO + 1].query.sql_with_params()
        statements.append(_COLUMN_PART.format(i=i, sql=sql, cards=BOARD_CARDS_PER_COLUMN))
        params.extend(part_params)
    return " UNION ALL ".join(statements), params


def board_columns(leads: QuerySet, stages: list[Stage]) -> list[BoardColumn]:
    """One column per stage (plus "No stage" when any lead has none): how many leads,
    their total monthly volume, and the newest cards. One query for every column, each
    column's part reading at most BOARD_EXACT_UP_TO + 1 leads (a column of a million
    costs what one of ten thousand does), and one for the cards' assignees."""
    keys: list[Stage | None] = [*stages, None]
    in_column = [leads.filter(stage=s) if s else leads.filter(stage__isnull=True) for s in keys]
    sql, params = _board_query(in_column)
    cards: list[list[Lead]] = [[] for _ in keys]
    for card in Lead.objects.db_manager(leads.db).raw(sql, params):
        cards[card.board_column].append(card)
    people = {card.assignee_id for column in cards for card in column} - {None}
    members = Membership.objects.select_related("user").in_bulk(people) if people else {}
    columns = []
    for stage, column_cards in zip(keys, cards, strict=True):
        if stage is None and not column_cards:
            continue  # no lead without a stage: no such column
        count = column_cards[0].board_count if column_cards else 0
        volume = int(column_cards[0].board_volume) if column_cards else 0
        capped = count > BOARD_EXACT_UP_TO
        # UNION ALL promises no order: each column's cards are put back in theirs.
        column_cards.sort(key=lambda card: (card.created_at, card.pk), reverse=True)
        for card in column_cards:
            card.stage = stage  # the column already knows it: no query per card
            if not (card.full_name or card.email):
                card.phone = card.board_phone
            if card.assignee_id:
                card.assignee = members[card.assignee_id]
        columns.append(
            BoardColumn(
                stage,
                BOARD_EXACT_UP_TO if capped else count,
                0 if capped else volume,
                column_cards,
                capped,
            )
        )
    return columns


# --- timeline --------------------------------------------------------------------------
@dataclass
class TimelinePage:
    entries: list[ActionLog]
    next_cursor: str | None


def timeline_page(
    lead: Lead, *, types: list[str] | None = None, before: str | None = None
) -> TimelinePage:
    """A page of a lead's timeline, newest first, optionally of some types only;
    `before` is the "created_at|id" of the last entry of the previous page."""
    logs = ActionLog.objects.for_lead(lead).select_related("actor_user", "actor_key")
    if types:
        logs = logs.filter(type__in=types)
    if before:
        try:
            stamp, pk = before.rsplit("|", 1)
            when = datetime.datetime.fromisoformat(stamp)
            logs = logs.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=int(pk)))
        except ValueError:
            raise BadRequest("This timeline link is not valid; reload the lead.") from None
    entries = list(logs[: TIMELINE_PAGE + 1])
    more = len(entries) > TIMELINE_PAGE
    entries = entries[:TIMELINE_PAGE]
    cursor = None
    if more:
        last = entries[-1]
        cursor = f"{last.created_at.isoformat()}|{last.pk}"
    return TimelinePage(entries, cursor)


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: Any
    after: Any


_NAMED = {"stage": Stage, "team": Team, "lead_source": LeadSource, "assignee": Membership}


def timeline_changes(entries: list[ActionLog], workspace_id: int) -> None:
    """Give each entry `change_rows`: its field changes with ids shown as names and
    custom fields one row per key (one query per kind of named field on the page)."""
    wanted: dict[str, set[int]] = {name: set() for name in _NAMED}
    for entry in entries:
        data = entry.input if isinstance(entry.input, dict) else {}
        for side in ("leadUpdates", "previous"):
            values = data.get(side) if isinstance(data.get(side), dict) else {}
            for name in _NAMED:
                if isinstance(values.get(name), int):
                    wanted[name].add(values[name])
    names: dict[str, dict[int, str]] = {}
    for name, ids in wanted.items():
        if not ids:
            continue
        rows = _NAMED[name].objects.filter(workspace_id=workspace_id, pk__in=ids)
        if name == "assignee":
            rows = rows.select_related("user")
        names[name] = {row.pk: (row.name if name == "assignee" else str(row)) for row in rows}

    def shown(name: str, value: Any) -> Any:
        if name in names and isinstance(value, int):
            return names[name].get(value, f"#{value} (deleted)")
        return value

    for entry in entries:
        data = entry.input if isinstance(entry.input, dict) else {}
        after = data.get("leadUpdates") if isinstance(data.get("leadUpdates"), dict) else {}
        before = data.get("previous") if isinstance(data.get("previous"), dict) else {}
        rows: list[ChangeRow] = []
        for name, value in after.items():
            old = before.get(name)
            if name == "custom_fields" and isinstance(value, dict):
                old = old if isinstance(old, dict) else {}
                rows += [
                    ChangeRow(f"custom_fields.{key}", old.get(key), new)
                    for key, new in value.items()
                    if old.get(key) != new
                ]
                continue
            rows.append(ChangeRow(name, shown(name, old), shown(name, value)))
        entry.change_rows = rows


# --- messages on the lead page ---------------------------------------------------------
def lead_open_messages(lead: Lead) -> list[ActionLog]:
    """A lead's messages not sent yet: drafts awaiting approval first (oldest first), then
    pending follow-ups and approved messages by the time they go out."""
    rows = list(
        ActionLog.objects.messages()
        .filter(
            lead=lead,
            status__in=[ActionLog.Status.AWAITING_APPROVAL, ActionLog.Status.PENDING],
        )
        .select_related("actor_user")
        .order_by("created_at", "id")
    )
    drafts = [m for m in rows if m.status == ActionLog.Status.AWAITING_APPROVAL]
    pending = sorted(
        (m for m in rows if m.status == ActionLog.Status.PENDING),
        key=lambda m: (m.scheduled_at or m.created_at, m.pk),
    )
    return drafts + pending


# --- settings: routing ------------------------------------------------------------------
UPCOMING_TURNS = 5


@dataclass
class RoutingOverview:
    teams: list[Team]
    sources: list[LeadSource]
    rotations: list[Rotation]  # each with `seats` (in turn order) and `upcoming`


def _seats() -> Prefetch:
    return Prefetch(
        "members",
        queryset=RotationMember.objects.select_related("membership__user").order_by("order", "id"),
        to_attr="seats",
    )


def rotation_card(rotation: Rotation) -> Rotation:
    """One rotation with its seats and the next turns, as the routing page shows it."""
    if not hasattr(rotation, "seats"):
        rotation.seats = list(
            rotation.members.select_related("membership__user").order_by("order", "id")
        )
    rotation.upcoming = rotation_preview(rotation, UPCOMING_TURNS, members=rotation.seats)
    return rotation


def routing_overview(workspace: Workspace) -> RoutingOverview:
    """Teams with their members, lead sources, and rotations with their seats and who the
    next five new leads would go to: five queries however many of each."""
    teams = list(
        Team.objects.filter(workspace=workspace).prefetch_related(
            Prefetch(
                "members",
                queryset=Membership.objects.select_related("user").order_by("display_name", "id"),
                to_attr="people",
            )
        )
    )
    sources = list(LeadSource.objects.filter(workspace=workspace).select_related("team"))
    rotations = [
        rotation_card(r)
        for r in Rotation.objects.filter(workspace=workspace)
        .select_related("team")
        .prefetch_related(_seats())
        .order_by("name", "id")
    ]
    # Working rotations first, then the ones waiting, then the archive.
    rank = {Rotation.Status.ACTIVE: 0, Rotation.Status.QUEUED: 1, Rotation.Status.ARCHIVED: 2}
    rotations.sort(key=lambda r: rank.get(r.status, 3))
    return RoutingOverview(teams=teams, sources=sources, rotations=rotations)


# --- settings: webhooks and the audit trail -----------------------------------------------
def webhook_endpoints_with_last_delivery(workspace: Workspace) -> list[WebhookEndpoint]:
    """The workspace's live endpoints, each with its latest delivery's status, code and
    time (one query; the latest row per endpoint comes from leads_delivery_endpoint_time)."""
    latest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-id")
    return list(
        WebhookEndpoint.objects.live()
        .filter(workspace=workspace)
        .annotate(
            last_status=Subquery(latest.values("status")[:1]),
            last_code=Subquery(latest.values("last_status_code")[:1]),
            last_at=Subquery(latest.values("created_at")[:1]),
        )
    )


def audit_entries(workspace: Workspace) -> QuerySet:
    """The workspace's audit trail (every ActionLog row), with who did each thing."""
    return ActionLog.objects.filter(workspace=workspace).select_related("actor_user", "actor_key")


def audit_recent_events(workspace: Workspace, *, window: int = 2000) -> list[str]:
    """Event names seen in the latest entries, to suggest in the filter: a bounded index
    range, never a DISTINCT over the whole trail."""
    recent = ActionLog.objects.filter(workspace=workspace).order_by("-created_at")[:window]
    return sorted({e for e in recent.values_list("event", flat=True) if e})
