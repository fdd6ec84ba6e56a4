from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from api.models import ApiSession, IdempotencyRecord
from leads.admin_base import CappedCountPaginator, WorkspaceScopedAdmin


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(WorkspaceScopedAdmin):
    """Stored responses to keyed POSTs, for support: read-only, purged after 24 h."""

    list_display = ["created_at", "workspace", "endpoint", "key", "status_code"]
    search_fields = ["=key", "endpoint"]
    list_select_related = ["workspace"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = [
        "workspace",
        "endpoint",
        "key",
        "fingerprint",
        "status_code",
        "content_type",
        "body",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: IdempotencyRecord | None = None
    ) -> bool:
        return False


@admin.register(ApiSession)
class ApiSessionAdmin(WorkspaceScopedAdmin):
    """Pulse session tokens (only their hashes): who holds one, until when; revocable."""

    list_display = ["created_at", "workspace", "api_key", "user", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["workspace", "api_key", "user"]
    fields = ["workspace", "api_key", "user", "expires_at", "revoked_at", "created_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiSession | None = None) -> bool:
        return False

    @admin.action(description="Revoke selected sessions")
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} session(s).")
