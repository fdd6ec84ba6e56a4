"""What every Leadbook admin page shares: workspace scoping and cheap pagination.

Superusers (operators of the installation) see every workspace. Any other staff user
sees and changes only the workspaces where they are an owner or admin, and every
foreign key they pick is checked to belong to the same workspace. Users are not
workspace rows, so they get the same treatment by membership: a choice of users lists
only members of the workspaces the admin user administers, and the audit fields
(created_by, updated_by) are read-only, filled in from the signed-in user."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest
from django.utils.functional import cached_property

from leads.models import Membership, User, Workspace

# Who made or last changed a row: written by Leadbook, shown but never picked by hand.
AUDIT_FIELDS = ("created_by", "updated_by", "created_by_key")


def admin_workspace_ids(request: HttpRequest) -> list[int] | None:
    """Workspaces the signed-in staff user may administer; None means all (superuser)."""
    user = request.user
    if not user.is_active or not user.is_staff:
        return []
    if user.is_superuser:
        return None
    cached = getattr(request, "_admin_workspace_ids", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(
                user=user,
                is_active=True,
                role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
            ).values_list("workspace_id", flat=True)
        )
        request._admin_workspace_ids = cached
    return cached


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows, so a changelist over a million leads never runs a full
    COUNT(*); pages past the cap are still reachable through ?p=."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()


def _workspace_of_model(model: type[models.Model]) -> bool:
    return any(f.name == "workspace" for f in model._meta.get_fields())


def scoped_choices(related: type[models.Model], ids: list[int]) -> models.QuerySet | None:
    """The rows of `related` a staff user of workspaces `ids` may pick: a workspace's own
    rows, or the users who are members there. None when `related` is not tenant data."""
    if related is Workspace:
        return Workspace.objects.filter(pk__in=ids)
    if related is User:
        return User.objects.filter(memberships__workspace__in=ids).distinct()
    if _workspace_of_model(related):
        return related._default_manager.filter(workspace__in=ids)
    return None


class WorkspaceFormMixin(forms.ModelForm):
    """Refuses a foreign key that points into another workspace, and a user who is not a
    member of the workspace."""

    # Fields whose user is joining the workspace by this form (a membership's user).
    joining_user_fields: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        workspace = data.get("workspace") or getattr(self.instance, "workspace", None)
        if workspace is None and getattr(self.instance, "workspace_id", None):
            workspace = self.instance.workspace
        if workspace is None:
            return data
        for name, value in list(data.items()):
            if name == "workspace" or value is None:
                continue
            values = value if isinstance(value, models.QuerySet | list | tuple) else [value]
            for item in values:
                if isinstance(item, User):
                    if (
                        name in self.joining_user_fields
                        or item.memberships.filter(workspace=workspace).exists()
                    ):
                        continue
                    self.add_error(name, "Pick a member of this workspace.")
                    break
                ws_id = getattr(item, "workspace_id", None)
                if ws_id is not None and ws_id != workspace.pk:
                    self.add_error(name, "Pick one from the same workspace.")
                    break
        return data


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Base for every tenant-owned model's admin."""

    workspace_path = "workspace"
    form = WorkspaceFormMixin
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _scope(self, request: HttpRequest, qs: models.QuerySet) -> models.QuerySet:
        ids = admin_workspace_ids(request)
        if ids is None:
            return qs
        return qs.filter(**{f"{self.workspace_path}__in": ids})

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self._scope(request, super().get_queryset(request))

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str] | tuple[str, ...]:
        fields = list(super().get_readonly_fields(request, obj))
        names = {f.name for f in self.model._meta.get_fields()}
        return [*fields, *(f for f in AUDIT_FIELDS if f in names and f not in fields)]

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        if not change and hasattr(obj, "created_by_id") and obj.created_by_id is None:
            obj.created_by = request.user
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def _allowed(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        ids = admin_workspace_ids(request)
        if ids is None:
            return True
        if not ids:
            return False
        if obj is None:
            return True
        ws_id = obj
        for part in self.workspace_path.split("__"):
            ws_id = getattr(ws_id, part, None)
        return getattr(ws_id, "pk", None) in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            check_same_workspace(form.instance, instance)
            instance.save()
        formset.save_m2m()

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.Field:
        ids = admin_workspace_ids(request)
        if ids is not None:
            choices = scoped_choices(db_field.related_model, ids)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> forms.Field:
        ids = admin_workspace_ids(request)
        choices = None if ids is None else scoped_choices(db_field.related_model, ids)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class WorkspaceScopedInline(admin.TabularInline):
    """Inline rows inherit their parent's scoping and workspace; FK choices are narrowed
    the same way."""

    extra = 0
    exclude = ("workspace",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _ok(self, request: HttpRequest) -> bool:
        ids = admin_workspace_ids(request)
        return ids is None or bool(ids)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._ok(request)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._ok(request)

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._ok(request)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._ok(request)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.Field:
        ids = admin_workspace_ids(request)
        related = db_field.related_model
        choices = None if ids is None or related is Workspace else scoped_choices(related, ids)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def check_same_workspace(parent: models.Model, child: models.Model) -> None:
    """Used by inlines' save: a child row lives in its parent's workspace."""
    if getattr(child, "workspace_id", None) is None:
        child.workspace_id = parent.workspace_id
    elif child.workspace_id != parent.workspace_id:
        raise ValidationError("Rows must belong to the parent's workspace.")
