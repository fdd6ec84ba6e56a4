"""The canonical lead and what describes it: stages, custom fields, tags."""

import uuid

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from leads.models.base import TimeStampedModel, choices_check
from leads.models.routing import LeadSource, Team
from leads.models.workspace import ApiKey, Membership, User, Workspace
from leads.services.phones import phone_match_key, phone_search_digits


class Stage(TimeStampedModel):
    """A column of the pipeline. Won/lost stages end a lead's journey."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="stages")
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=120)
    color = models.CharField(max_length=7, default="#64748b", help_text="Hex colour, e.g. #2563eb")
    position = models.PositiveIntegerField(default=0)
    is_won = models.BooleanField(default=False)
    is_lost = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="leads_stage_slug_per_ws"),
            models.CheckConstraint(
                condition=~Q(is_won=True, is_lost=True), name="leads_stage_not_won_and_lost"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    BOOLEAN = "boolean", "Yes / no"
    DATE = "date", "Date"
    SELECT = "select", "One of a list"


class CustomField(TimeStampedModel):
    """A workspace-defined lead attribute, stored in Lead.custom_fields by slug."""

    Type = CustomFieldType

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="custom_fields")
    slug = models.SlugField(max_length=64)
    label = models.CharField(max_length=120)
    field_type = models.CharField(max_length=16, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text="Allowed values for a list.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "slug"], name="leads_customfield_slug_per_ws"
            ),
            choices_check("field_type", CustomFieldType, "leads_customfield_type_valid"),
        ]

    def __str__(self) -> str:
        return self.label


class Tag(models.Model):
    """A label on leads. Names are unique per workspace regardless of case."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="leads_tag_name_ci_per_ws"),
        ]

    def __str__(self) -> str:
        return self.name


# The text a free-text search looks in, joined as LOWER(first_name || ' ' || …). On
# PostgreSQL the trigram index leads_lead_search_trgm (migration 0005) holds exactly this
# expression: change both together (tests/leads/test_search.py checks the plan uses it).
SEARCH_TEXT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "job_title",
    "branch",
    "source",
    "position",
    "location",
    "products_services_sold",
    "current_payment_processor",
    "process_stage",
    "buying_role",
    "notes",
    "application_id",
)
MAX_SEARCH_TERMS = 8


class LeadSearchText(models.Func):
    """LOWER(a || ' ' || b || …) over SEARCH_TEXT_COLUMNS."""

    function = "LOWER"
    arg_joiner = " || ' ' || "
    output_field = models.TextField()

    def __init__(self) -> None:
        super().__init__(*(models.F(column) for column in SEARCH_TEXT_COLUMNS))


class LeadPhoneDigits(models.Func):
    """The last ten phone digits as partial-number search sees them: phone_last10 || ''.

    On PostgreSQL the trigram index leads_lead_phone_digits_trgm (migration 0011) holds
    exactly this expression. It is an expression, not the bare column, so that an
    equality lookup of phone_last10 (duplicate matching) can only use the B-tree match
    index: pg_trgm also answers `=`, and the planner, which cannot tell that digit strings
    share a few hundred trigrams, picked it for import batches, 7.7 ms per number instead
    of a few microseconds."""

    template = "(%(expressions)s || '')"
    output_field = models.TextField()

    def __init__(self) -> None:
        super().__init__(models.F("phone_last10"))


class LeadQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace) -> "LeadQuerySet":
        """Leads of one workspace."""
        return self.filter(workspace=workspace)

    def open(self) -> "LeadQuerySet":
        """Leads still being worked: not archived, not won or lost, not closed."""
        return self.filter(
            archived_at__isnull=True,
            status__in=[Lead.Status.IN_PROGRESS, Lead.Status.REVIEW],
        ).exclude(Q(stage__is_won=True) | Q(stage__is_lost=True))

    def active(self) -> "LeadQuerySet":
        """Leads that are not archived."""
        return self.filter(archived_at__isnull=True)

    def assigned_to(self, member: Membership) -> "LeadQuerySet":
        """Leads whose owner is this member."""
        return self.filter(assignee=member)

    def visible_to(self, member: Membership) -> "LeadQuerySet":
        """What a member may see: agents their own and unassigned leads, others all."""
        qs = self.for_workspace(member.workspace)
        if member.sees_all_leads or member.role == Membership.Role.VIEWER:
            return qs
        return qs.filter(Q(assignee=member) | Q(assignee__isnull=True))

    def search(self, text: str) -> "LeadQuerySet":
        """Leads matching a search box, the same everywhere (staff list, MEGA, Pulse).

        Every word must appear, case-insensitively, in one of the lead's text fields
        (names, email, company and the other SEARCH_TEXT_COLUMNS; served on PostgreSQL by
        a trigram index on exactly that expression). A term that looks like a phone
        number also matches phone numbers however they were written: ten or more digits
        by the last ten digits (indexed), fewer anywhere in the number."""
        text = (text or "").strip()
        if not text:
            return self
        condition = Q()
        for term in text.lower().split()[:MAX_SEARCH_TERMS]:
            condition &= Q(search_text__contains=term)
        digits = phone_search_digits(text)
        if len(digits) >= 10:
            condition |= Q(phone_last10=phone_match_key(digits))
        elif digits:
            condition |= Q(phone_digits__contains=digits)
        return self.alias(search_text=LeadSearchText(), phone_digits=LeadPhoneDigits()).filter(
            condition
        )

    def not_merged(self) -> "LeadQuerySet":
        """Leads that were not merged into another one."""
        return self.filter(merged_into__isnull=True)

    def matching(self, workspace: Workspace, *, email_key: str, phone_e164: str) -> "LeadQuerySet":
        """Leads sharing the normalized email or the same E.164 phone number (leads
        already merged into another one do not count). The number is found through its
        indexed last ten digits, but those alone are not a person: +44 20 7946 0958 and
        +1 207 946 0958 share them."""
        condition = Q()
        if email_key:
            condition |= Q(email_normalized=email_key)
        if phone_e164:
            condition |= Q(phone_last10=phone_match_key(phone_e164), phone=phone_e164)
        if not condition:
            return self.none()
        return self.for_workspace(workspace).not_merged().filter(condition)

    def matching_any(
        self, workspace: Workspace, *, email_keys: set[str], phone_keys: set[str]
    ) -> "LeadQuerySet":
        """Leads (not merged away) whose normalized email is one of `email_keys` or whose
        last ten phone digits are one of `phone_keys`: the candidates of a whole batch
        (imports, MEGA bulk) in one query. On PostgreSQL each key is looked up in its
        match index, a join against the keys given as two arrays: an IN list of a
        thousand values took 20 ms to plan and, misjudging how many leads share an
        email, was run as a parallel scan of the table (40-80 ms per batch of 1,000
        rows against a million leads, on a loaded machine; the join: 25 ms inside the
        server, 30-40 ms with the rows sent back). The ids are gathered into an array
        before any lead is read, so the leads are always fetched by primary key: as a
        plain IN subquery the planner, unable to tell how many leads match, read a
        workspace of 120,000 leads whole and hashed it (40 ms for a batch of a thousand
        rows, most of which match nothing)."""
        email_keys = {k for k in email_keys if k}
        phone_keys = {k for k in phone_keys if k}
        if not email_keys and not phone_keys:
            return self.none()
        base = self.for_workspace(workspace).not_merged()
        if connection.vendor != "postgresql":
            return base.filter(Q(email_normalized__in=email_keys) | Q(phone_last10__in=phone_keys))
        table = connection.ops.quote_name(self.model._meta.db_table)
        ids = RawSQL(
            f"SELECT unnest(ARRAY(SELECT m.id FROM unnest(%s::text[]) AS k(v) JOIN {table} AS m "
            "ON m.workspace_id = %s AND m.email_normalized = k.v AND m.email_normalized <> '' "
            f"UNION SELECT m.id FROM unnest(%s::text[]) AS k(v) JOIN {table} AS m "
            "ON m.workspace_id = %s AND m.phone_last10 = k.v AND m.phone_last10 <> ''))",
            [sorted(email_keys), workspace.pk, sorted(phone_keys), workspace.pk],
        )
        return base.filter(pk__in=ids)


class LeadStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    REVIEW = "review", "Review"
    COMPLETED = "completed", "Completed"
    NOT_INTERESTED = "not_interested", "Not interested"
    OPTED_OUT = "opted_out", "Opted out"


class LeadAssigneeType(models.TextChoices):
    HUMAN = "HUMAN_AGENT", "Human"
    AI = "AI_AGENT", "AI agent"


class LeadSourcePlatform(models.TextChoices):
    GOOGLE_ADS = "google_ads", "Google Ads"
    META_ADS = "meta_ads", "Meta Ads"
    GOOGLE_ORGANIC = "google_organic", "Google organic"
    DIRECT = "direct", "Direct"
    REFERRAL = "referral", "Referral"
    HUBSPOT = "hubspot", "HubSpot"
    ZOHO = "zoho", "Zoho"
    GHL = "ghl", "GoHighLevel"
    SHOPIFY = "shopify", "Shopify"
    ZENMAID = "zenmaid", "ZenMaid"
    LEAD_DOCKET = "lead_docket", "Lead Docket"
    SALESFORCE = "salesforce", "Salesforce"


class LeadSourceType(models.TextChoices):
    FORM = "form", "Form"
    PHONE_CALL = "phone_call", "Phone call"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    SMS = "sms", "SMS"
    MANUAL = "manual", "Manual"
    IMPORT = "import", "Import"


class LeadLineChoice(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"


class Lead(TimeStampedModel):
    """One person or business a sales team is working. Every API family, the staff pages
    and the admin read and write these same rows."""

    Status = LeadStatus

    AssigneeType = LeadAssigneeType

    SourcePlatform = LeadSourcePlatform

    SourceType = LeadSourceType

    LeadLine = LeadLineChoice

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Every index of this table starts with the workspace: no index of its own (each
    # index costs every insert; see bench/RESULTS.md).
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="leads", db_index=False
    )

    # Person
    first_name = models.CharField(max_length=150, blank=True)
    middle_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, editable=False)
    phone = PhoneNumberField(blank=True)
    phone_last10 = models.CharField(max_length=10, blank=True, editable=False)
    timezone = models.CharField(max_length=64, blank=True)
    timezone_inferred = models.BooleanField(default=False)
    img_src = models.URLField(max_length=500, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    position = models.CharField(max_length=150, blank=True)
    location = models.CharField(max_length=255, blank=True)
    buying_role = models.CharField(max_length=100, blank=True)

    # Business
    company = models.CharField(max_length=255, blank=True)
    website = models.URLField(max_length=500, blank=True)
    branch = models.CharField(max_length=150, blank=True)
    products_services_sold = models.CharField(max_length=500, blank=True)
    number_of_employees = models.PositiveIntegerField(null=True, blank=True)
    current_payment_processor = models.CharField(max_length=150, blank=True)
    monthly_transaction_volume = models.BigIntegerField(null=True, blank=True)
    interested_in_switching = models.BooleanField(null=True, blank=True)
    process_stage = models.CharField(max_length=100, blank=True)
    application_id = models.CharField(max_length=100, blank=True)

    # Origin
    external_id = models.CharField(max_length=255, blank=True)
    external_portal_link = models.URLField(max_length=500, blank=True)
    source = models.CharField(max_length=255, blank=True)
    source_platform = models.CharField(max_length=32, blank=True, choices=SourcePlatform.choices)
    source_type = models.CharField(max_length=32, blank=True, choices=SourceType.choices)
    lead_line = models.CharField(max_length=16, blank=True, choices=LeadLine.choices)
    # Served by leads_lead_source_created / leads_lead_team_created (see Meta.indexes).
    lead_source = models.ForeignKey(
        LeadSource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", db_index=False
    )

    # Work
    # Served by leads_lead_ws_assignee / leads_lead_ws_stage (workspace first).
    assignee = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    assignee_type = models.CharField(
        max_length=16, choices=AssigneeType.choices, default=AssigneeType.HUMAN
    )
    stage = models.ForeignKey(
        Stage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    score = models.IntegerField(null=True, blank=True)
    qualified = models.BooleanField(null=True, blank=True)
    notes = models.TextField(blank=True)
    activity_summary = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="leads")

    # Consent, verification, lifecycle
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_channel = models.CharField(max_length=32, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    is_test = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="merged_leads",
        help_text="The lead this one was merged into (it is archived then); see lead_merge.",
        db_index=False,  # see leads_lead_merged_into (partial: only merged leads)
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When every required checklist item was first done."
    )
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    interaction_count = models.PositiveIntegerField(default=0)
    # Who created the lead is shown, never searched: no index (deleting a user or key,
    # rare, scans instead).
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_by_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", LeadStatus, "leads_lead_status_valid"),
            choices_check("assignee_type", LeadAssigneeType, "leads_lead_assignee_type_valid"),
            models.CheckConstraint(
                condition=Q(source_platform="") | Q(source_platform__in=LeadSourcePlatform.values),
                name="leads_lead_source_platform_valid",
            ),
            models.CheckConstraint(
                condition=Q(source_type="") | Q(source_type__in=LeadSourceType.values),
                name="leads_lead_source_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(lead_line="") | Q(lead_line__in=LeadLineChoice.values),
                name="leads_lead_lead_line_valid",
            ),
        ]
        indexes = [
            # Duplicate matching by email (lead_find_matches, MEGA merge, import dedupe).
            models.Index(
                fields=["workspace", "email_normalized"],
                condition=~Q(email_normalized=""),
                name="leads_lead_ws_email_match",
            ),
            # Duplicate matching and format-agnostic search by the last ten phone digits.
            models.Index(
                fields=["workspace", "phone_last10"],
                condition=~Q(phone_last10=""),
                name="leads_lead_ws_phone_match",
            ),
            # Keyset pages sorted by creation (Pulse default -createdAt, MEGA created_at).
            models.Index(fields=["workspace", "created_at", "id"], name="leads_lead_ws_created"),
            # Keyset pages sorted by last change (MEGA default sort, incremental polling).
            models.Index(fields=["workspace", "updated_at", "id"], name="leads_lead_ws_updated"),
            # MEGA sort_by=last_interaction_at.
            models.Index(
                fields=["workspace", "last_interaction_at", "id"], name="leads_lead_ws_interaction"
            ),
            # Pipeline board and the stage filter of the lead list.
            models.Index(fields=["workspace", "stage", "created_at"], name="leads_lead_ws_stage"),
            # A team's or a lead source's leads, newest first (Pulse teamId/leadSourceId
            # filters, staff list filters; deep pages are an index range). A team or source
            # belongs to one workspace, so no workspace column is needed in front.
            models.Index(fields=["team", "created_at", "id"], name="leads_lead_team_created"),
            models.Index(
                fields=["lead_source", "created_at", "id"], name="leads_lead_source_created"
            ),
            # "My leads" for agents and the assignee filter.
            models.Index(
                fields=["workspace", "assignee", "created_at"], name="leads_lead_ws_assignee"
            ),
            # Staff lead list sorted by name: keyset pages over (last, first, id).
            models.Index(
                fields=["workspace", "last_name", "first_name", "id"], name="leads_lead_ws_name"
            ),
            # Staff lead list sorted by company: keyset pages over (company, id).
            models.Index(fields=["workspace", "company", "id"], name="leads_lead_ws_company"),
            # Leads merged into a given one (merge undo); only merged leads are indexed.
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="leads_lead_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or str(self.phone) or f"Lead {self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def did_opt_out(self) -> bool:
        return self.opted_out_at is not None

    @property
    def phone_e164(self) -> str:
        return self.phone.as_e164 if self.phone else ""

    def record_interaction(self, when: "timezone.datetime | None" = None) -> None:
        """Count a call or message with this lead."""
        when = when or timezone.now()
        Lead.objects.filter(pk=self.pk).update(
            last_interaction_at=when,
            interaction_count=models.F("interaction_count") + 1,
            updated_at=timezone.now(),
        )
        self.refresh_from_db(fields=["last_interaction_at", "interaction_count", "updated_at"])
