"""The dashboard and the workspace switcher."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View

from leads.charts import bar_chart
from leads.selectors import dashboard_figures
from leads.views.base import SESSION_WORKSPACE_KEY, Role, StaffMixin, staff_memberships


class DashboardView(StaffMixin, TemplateView):
    template_name = "leads/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        figures = dashboard_figures(self.member)
        context.update(figures=figures, chart=bar_chart(figures.per_day))
        return context


class WorkspaceSwitchView(StaffMixin, View):
    """Choose the workspace every staff page shows (kept in the session)."""

    required_roles = {"POST": Role.VIEWER}

    def post(self, request: HttpRequest) -> HttpResponse:
        wanted = request.POST.get("workspace", "")
        target = next(
            (m for m in staff_memberships(request) if str(m.workspace_id) == wanted), None
        )
        if target is None:
            messages.error(request, "You are not a member of that workspace.")
        else:
            request.session[SESSION_WORKSPACE_KEY] = target.workspace_id
            messages.success(request, f"Now working in {target.workspace.name}.")
        next_url = request.POST.get("next", "")
        # Another workspace's lead would be a 404: land on the new workspace's start page
        # unless we came from a page that exists in every workspace.
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ) or not next_url.startswith(("/leads/?", "/pipeline/")):
            next_url = "/"
        return HttpResponseRedirect(next_url)
