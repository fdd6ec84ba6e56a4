from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from leads.actors import Actor
from leads.admin_base import (
    CappedCountPaginator,
    WorkspaceFormMixin,
    WorkspaceScopedAdmin,
    WorkspaceScopedInline,
    admin_workspace_ids,
)
from leads.models import (
    ActionLog,
    ApiKey,
    CustomField,
    ImportJob,
    ImportRow,
    Lead,
    LeadSource,
    Membership,
    Rotation,
    RotationMember,
    SavedView,
    Stage,
    Tag,
    Team,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from leads.services.api_keys import api_key_create
from leads.services.events import LEAD_EVENTS
from leads.services.webhooks import (
    webhook_deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
    webhook_settings_clean,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        ids = admin_workspace_ids(request)
        if ids is None:
            return qs
        return qs.filter(memberships__workspace__in=ids).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return request.user.is_superuser or admin_workspace_ids(request) != []


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account_id",
        "uuid",
        "default_region",
        "default_timezone",
        "created_at",
    ]
    search_fields = ["name", "account_id", "uuid"]
    readonly_fields = ["uuid", "account_id", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        ids = admin_workspace_ids(request)
        qs = super().get_queryset(request)
        return qs if ids is None else qs.filter(pk__in=ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_workspace_ids(request) != []

    def has_view_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        ids = admin_workspace_ids(request)
        return ids is None or (bool(ids) and (obj is None or obj.pk in ids))

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return request.user.is_superuser


class MembershipForm(WorkspaceFormMixin):
    # The user joins the workspace here; the choice is still limited to members of the
    # workspaces the admin user administers (or anyone, for a superuser).
    joining_user_fields = ("user",)


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    form = MembershipForm
    list_display = ["__str__", "user", "workspace", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "display_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "workspace"]


@admin.register(ApiKey)
class ApiKeyAdmin(WorkspaceScopedAdmin):
    list_display = [
        "name",
        "display_prefix",
        "workspace",
        "scopes",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["display_prefix", "last_used_at", "created_by", "created_at"]
    fields = ["workspace", "name", "scopes", "expires_at", "revoked_at", *readonly_fields]
    actions = ["revoke"]
    list_select_related = ["workspace"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: object, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, secret = api_key_create(
            workspace=obj.workspace,
            name=obj.name,
            scopes=obj.scopes or None,
            created_by=request.user,
            expires_at=obj.expires_at,
        )
        obj.pk = key.pk
        obj.prefix, obj.secret_hash = key.prefix, key.secret_hash
        obj._state.adding = False
        messages.warning(request, f"Copy this key now; it is not shown again: {secret}")

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).")


class LeadSourceInline(WorkspaceScopedInline):
    model = LeadSource
    fields = ["name", "is_active"]


@admin.register(Team)
class TeamAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    inlines = [LeadSourceInline]


@admin.register(LeadSource)
class LeadSourceAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "team", "workspace", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "team__name"]
    autocomplete_fields = ["team"]
    list_select_related = ["team", "workspace"]


class RotationMemberInline(WorkspaceScopedInline):
    model = RotationMember
    fields = ["order", "membership", "weight", "is_active"]
    autocomplete_fields = ["membership"]
    ordering = ["order", "id"]


@admin.register(Rotation)
class RotationAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "team", "workspace", "status", "position"]
    list_filter = ["status"]
    search_fields = ["name", "team__name"]
    autocomplete_fields = ["team"]
    inlines = [RotationMemberInline]
    list_select_related = ["team", "workspace"]


@admin.register(Stage)
class StageAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "slug", "workspace", "position", "color", "is_won", "is_lost"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CustomField)
class CustomFieldAdmin(WorkspaceScopedAdmin):
    list_display = ["label", "slug", "field_type", "workspace", "position"]
    list_filter = ["field_type"]
    search_fields = ["label", "slug"]
    prepopulated_fields = {"slug": ["label"]}


@admin.register(Tag)
class TagAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "created_at"]
    search_fields = ["name"]


@admin.register(Lead)
class LeadAdmin(WorkspaceScopedAdmin):
    list_display = [
        "__str__",
        "email",
        "phone",
        "company",
        "stage",
        "assignee",
        "status",
        "created_at",
    ]
    list_filter = ["status", "source_type", "is_test"]
    search_fields = ["=email_normalized", "=phone_last10", "last_name", "company", "=uuid"]
    list_select_related = ["stage", "assignee__user"]
    autocomplete_fields = ["team", "lead_source", "stage", "assignee", "tags"]
    # merged_into is set by a merge (with its timeline and moved rows), never by hand; as a
    # select it would also list every lead of the workspace.
    readonly_fields = [
        "uuid",
        "email_normalized",
        "phone_last10",
        "merged_into",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    date_hierarchy = None

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # Every lead index starts with the workspace, so across all workspaces (a
        # superuser's list) newest-first by created_at would sort the whole table; the
        # primary key gives the same newest-first order from its index.
        if admin_workspace_ids(request) is None:
            return ["-id"]
        return list(super().get_ordering(request))


@admin.register(ActionLog)
class ActionLogAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "type", "event", "summary", "actor_label", "status", "lead_pk"]
    list_filter = ["type", "status"]
    search_fields = ["=lead_pk", "event", "summary"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    raw_id_fields = ["lead", "parent"]

    def has_change_permission(self, request: HttpRequest, obj: ActionLog | None = None) -> bool:
        return False  # the audit trail is append-only

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False


class WebhookEndpointForm(WorkspaceFormMixin):
    """Event types as checkboxes; URL and ranges checked like an API registration (SSRF
    included), so the admin cannot store a webhook the API would refuse."""

    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(e, e) for e in LEAD_EVENTS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "workspace",
            "url",
            "event_types",
            "payload_format",
            "timeout_seconds",
            "retry_attempts",
            "description",
            "is_active",
        ]

    def clean(self) -> dict:
        data = super().clean()
        settings_ = {
            k: data[k]
            for k in ("url", "event_types", "timeout_seconds", "retry_attempts")
            if data.get(k) is not None
        }
        if "event_types" in settings_:
            settings_["event_types"] = list(settings_["event_types"])
        try:
            webhook_settings_clean(settings_)
        except ValidationError as err:
            for name, messages_ in err.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(WorkspaceScopedAdmin):
    form = WebhookEndpointForm
    list_display = [
        "url",
        "workspace",
        "payload_format",
        "event_types",
        "is_active",
        "deleted_at",
        "delivery_log",
    ]
    list_filter = ["is_active", "payload_format"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "uuid",
        "previous_secret_expires_at",
        "deleted_at",
        "created_at",
        "updated_at",
    ]
    actions = ["rotate_secret"]
    list_select_related = ["workspace"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: WebhookEndpoint | None = None
    ) -> list[str]:
        # An endpoint never moves to another workspace, nor changes the payload its
        # receiver was written against.
        fixed = ["workspace", "payload_format"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    @admin.display(description="Deliveries")
    def delivery_log(self, obj: WebhookEndpoint) -> str:
        url = reverse("admin:leads_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">Delivery log</a>', url)

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: forms.Form, change: bool
    ) -> None:
        actor = Actor(user=request.user, source="manual")
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if "event_types" in data:
            data["event_types"] = list(data["event_types"])
        if change:
            current = WebhookEndpoint.objects.get(pk=obj.pk)
            webhook_endpoint_update(endpoint=current, actor=actor, data=data)
            return
        endpoint, secret = webhook_endpoint_create(
            workspace=obj.workspace,
            actor=actor,
            url=obj.url,
            event_types=list(form.cleaned_data["event_types"]),
            payload_format=obj.payload_format,
            timeout_seconds=obj.timeout_seconds,
            retry_attempts=obj.retry_attempts,
            description=obj.description,
            is_active=obj.is_active,
        )
        obj.pk, obj.uuid, obj.secret = endpoint.pk, endpoint.uuid, endpoint.secret
        obj._state.adding = False
        messages.warning(request, f"Copy the signing secret now; it is not shown again: {secret}")

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        webhook_endpoint_delete(endpoint=obj, actor=Actor(user=request.user, source="manual"))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for endpoint in queryset:
            self.delete_model(request, endpoint)

    @admin.action(description="Rotate the signing secret (old one valid 24 h more)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor(user=request.user, source="manual")
        for endpoint in queryset.filter(deleted_at__isnull=True):
            secret = webhook_secret_rotate(endpoint=endpoint, actor=actor)
            messages.warning(
                request,
                f"New secret for {endpoint.url} (copy it now, it is not shown again): {secret}",
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WorkspaceScopedAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "short_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["=event_id", "endpoint__url"]
    readonly_fields = [
        "endpoint",
        "event_id",
        "event_type",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "locked_until",
        "last_status_code",
        "last_error",
        "last_response_body",
        "delivered_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["redeliver"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_select_related = ["endpoint"]

    @admin.display(description="Last error")
    def short_error(self, obj: WebhookDelivery) -> str:
        return obj.last_error[:80]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False  # the log is a record; "redeliver" is the only way to act on it

    @admin.action(description="Redeliver selected events", permissions=["view"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = webhook_deliveries_redeliver(deliveries=list(queryset))
        inactive = queryset.filter(
            Q(endpoint__is_active=False) | Q(endpoint__deleted_at__isnull=False)
        ).count()
        self.message_user(request, f"Queued {len(ids)} delivery(ies) again.")
        if inactive:
            messages.warning(
                request,
                f"{inactive} of them go to a disabled or deleted endpoint and will not be "
                "sent until it is active again.",
            )


@admin.register(SavedView)
class SavedViewAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "membership", "workspace", "created_at"]
    search_fields = ["name"]
    list_select_related = ["membership__user", "workspace"]
    raw_id_fields = ["membership"]


@admin.register(ImportJob)
class ImportJobAdmin(WorkspaceScopedAdmin):
    """Imports are run and reverted from the staff Imports page; here they are read."""

    list_display = [
        "original_name",
        "workspace",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "failed_count",
        "created_at",
    ]
    list_filter = ["status", "file_format"]
    search_fields = ["original_name"]
    list_select_related = ["workspace"]
    readonly_fields = [f.name for f in ImportJob._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False


@admin.register(ImportRow)
class ImportRowAdmin(WorkspaceScopedAdmin):
    list_display = ["job", "row_number", "outcome", "matched_by", "lead_id"]
    list_filter = ["outcome"]
    search_fields = ["=job__id"]
    raw_id_fields = ["job", "lead"]
    show_full_result_count = False
    paginator = CappedCountPaginator

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRow | None = None) -> bool:
        return False
