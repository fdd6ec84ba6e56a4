"""Checks every API view runs after authentication: a credential, the family's tenant
header, and the scope the view declares for the method."""

from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView


class HasCredential(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.auth is None:
            raise exceptions.NotAuthenticated(
                "Send an API key (x-api-key or Authorization: Bearer)."
            )
        return True


class TenantHeaderMatches(permissions.BasePermission):
    """MEGA's x-customer-id (required) and Pulse's x-account-id (optional) must name the
    credential's own workspace."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        family = view.family
        header = family.tenant_header
        if header is None:
            return True
        value = request.headers.get(header)
        if value is None or value.strip() == "":
            if family.tenant_header_required:
                raise exceptions.NotAuthenticated(f"The {header} header is required.")
            return True
        if value.strip().lower() != family.tenant_value(request.auth.workspace).lower():
            raise exceptions.PermissionDenied(
                f"The {header} header does not match the workspace of this credential."
            )
        return True


class HasScope(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        scope = view.required_scope(request)
        if scope is not None and scope not in request.auth.scopes:
            raise exceptions.PermissionDenied(f"This credential lacks the “{scope}” scope.")
        return True
