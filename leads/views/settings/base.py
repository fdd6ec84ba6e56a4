"""What every settings page shares: only owners and admins, for every method."""

from typing import Any, ClassVar

from django.http import HttpResponse

from leads.views.base import Role, StaffMixin

ADMIN_ONLY = {"GET": Role.ADMIN, "HEAD": Role.ADMIN, "POST": Role.ADMIN}


class SettingsMixin(StaffMixin):
    """Base of the settings pages. Managers, agents and viewers get 403 on every method;
    another workspace's object is a 404 (StaffMixin's scoped lookups)."""

    required_roles: ClassVar[dict[str, str]] = ADMIN_ONLY
    settings_tab: ClassVar[str] = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["settings_tab"] = self.settings_tab
        return context


def no_store(response: HttpResponse) -> HttpResponse:
    """A page that shows a secret once must not be kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store"
    return response
