"""Template context every staff page needs (header, workspace switcher, role flags).

Reads only what StaffMixin already loaded for the request: no extra queries."""

from typing import Any

from django.http import HttpRequest

from leads.models import Membership
from leads.services.imports import member_can_import
from leads.views.base import role_at_least


def staff(request: HttpRequest) -> dict[str, Any]:
    member = getattr(request, "staff_member", None)
    if member is None:
        return {}
    return {
        "member": member,
        "workspace": member.workspace,
        "memberships": getattr(request, "_staff_memberships", [member]),
        "can_edit": role_at_least(member, Membership.Role.AGENT),
        "can_manage": role_at_least(member, Membership.Role.MANAGER),
        "can_admin": role_at_least(member, Membership.Role.ADMIN),
        "can_import": member_can_import(member),
    }
