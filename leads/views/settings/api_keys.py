"""/settings/api-keys/: the workspace's API keys — create with scopes (the secret is shown
once), list with last use, revoke."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView, View

from leads.forms import add_service_errors
from leads.models import ApiKey
from leads.services.api_keys import api_key_issue, api_key_revoke
from leads.settings_forms import ApiKeyForm
from leads.views.settings.base import SettingsMixin, no_store


class ApiKeysView(SettingsMixin, TemplateView):
    template_name = "settings/api_keys.html"
    settings_tab = "api_keys"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ApiKeyForm(zone=self.zone))
        keys = list(
            ApiKey.objects.filter(workspace=self.workspace)
            .select_related("created_by")
            # Usable keys first, then the most recently revoked (NULLS FIRST spelled out:
            # databases disagree on where NULLs sort).
            .order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")
        )
        now = timezone.now()
        for key in keys:
            key.expired = key.expires_at is not None and key.expires_at <= now
        context["keys"] = keys
        context["scope_labels"] = dict(ApiKey.Scope.choices)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST, zone=self.zone)
        if form.is_valid():
            try:
                key, secret = api_key_issue(
                    workspace=self.workspace,
                    actor=self.actor,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # Shown in this response only: never stored, never put in a redirect or
                # the session's messages.
                context = self.get_context_data(new_key=key, secret=secret)
                return no_store(self.render_to_response(context, status=201))
        return self.render_to_response(self.get_context_data(form=form))


class ApiKeyRevokeView(SettingsMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = self.get_scoped_or_404(ApiKey, pk=pk)
        if key.revoked_at is not None:
            messages.info(request, f"“{key.name}” was already revoked.")
        else:
            api_key_revoke(key=key, actor=self.actor)
            messages.success(request, f"Revoked “{key.name}”: requests with it are refused now.")
        return HttpResponseRedirect(reverse("leads:settings_api_keys"))
