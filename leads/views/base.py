"""What every staff page shares: sign-in, the current workspace, role checks and scoping.

StaffMixin is the one place that decides who may see or do what on a staff page (STYLE
§9-10). A view declares the role each HTTP method needs in `required_roles`; dispatch()
resolves the signed-in person's membership in the workspace chosen in their session,
refuses what their role may not do (403), and gives the view `self.member`,
`self.workspace` and scoped lookups where another workspace's object — or, for an agent,
a colleague's lead — is a 404 exactly like a missing one."""

import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from leads.actors import Actor, RequestMeta
from leads.filters import workspace_zone
from leads.models import Lead, Membership, Workspace

Role = Membership.Role
# Each role may do everything the roles before it may.
ROLE_ORDER = [Role.VIEWER, Role.AGENT, Role.MANAGER, Role.ADMIN, Role.OWNER]
SESSION_WORKSPACE_KEY = "leadbook_workspace_id"


def role_at_least(member: Membership, role: str) -> bool:
    """Whether the member's role is `role` or a stronger one."""
    return ROLE_ORDER.index(member.role) >= ROLE_ORDER.index(role)


def staff_memberships(request: HttpRequest) -> list[Membership]:
    """The signed-in person's active memberships, by workspace name (cached per request)."""
    cached = getattr(request, "_staff_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=request.user, is_active=True)
            .select_related("workspace", "user")
            .order_by("workspace__name", "id")
        )
        request._staff_memberships = cached
    return cached


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the workspace chosen in the session, else the first one."""
    memberships = staff_memberships(request)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_WORKSPACE_KEY)
    for member in memberships:
        if member.workspace_id == chosen:
            return member
    return memberships[0]


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or what the trusted proxies in front of us saw (TRUSTED_PROXY_COUNT)."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or None


class StaffMixin(LoginRequiredMixin):
    """Base of every staff page. Subclasses set `required_roles` (HTTP method -> the
    weakest role allowed); a method not listed is 405."""

    required_roles: ClassVar[dict[str, str]] = {"GET": Role.VIEWER, "HEAD": Role.VIEWER}

    member: Membership
    workspace: Workspace

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        member = current_membership(request)
        if member is None:
            return render(request, "leads/no_workspace.html", status=403)
        needed = self.required_roles.get(request.method or "")
        if needed is None:
            return HttpResponseNotAllowed(sorted(self.required_roles))
        self.member = member
        self.workspace = member.workspace
        request.staff_member = member
        if not role_at_least(member, needed):
            raise PermissionDenied("Your role in this workspace does not allow this.")
        return super().dispatch(request, *args, **kwargs)

    # --- what a staff view uses ------------------------------------------------------
    @property
    def actor(self) -> Actor:
        request = self.request
        return Actor(
            user=request.user,
            membership=self.member,
            source="manual",
            request=RequestMeta(
                method=request.method or "", path=request.path, ip=client_ip(request)
            ),
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The workspace's time zone: times people type are read in it."""
        return workspace_zone(self.workspace)

    def can(self, role: str) -> bool:
        return role_at_least(self.member, role)

    def require(self, role: str) -> None:
        """Refuse (403) an action that needs a stronger role than the member has."""
        if not self.can(role):
            raise PermissionDenied("Your role in this workspace does not allow this.")

    def scoped(self, source: type[models.Model] | models.QuerySet) -> models.QuerySet:
        """Rows of the current workspace only."""
        qs = source._default_manager.all() if isinstance(source, type) else source
        return qs.filter(workspace=self.workspace)

    def get_scoped_or_404(self, source: type[models.Model] | models.QuerySet, **lookup: Any) -> Any:
        try:
            return self.scoped(source).get(**lookup)
        except (ObjectDoesNotExist, ValidationError, ValueError, TypeError):
            raise Http404("Not found.") from None

    def visible_leads(self) -> models.QuerySet:
        """Leads this member may see: agents their own and unassigned ones, others all."""
        return Lead.objects.visible_to(self.member)

    def get_lead_or_404(self, pk: Any, queryset: models.QuerySet | None = None) -> Lead:
        qs = queryset if queryset is not None else self.visible_leads()
        try:
            return qs.filter(workspace=self.workspace).get(pk=pk)
        except (ObjectDoesNotExist, ValidationError, ValueError, TypeError):
            raise Http404("Not found.") from None
