"""/settings/webhooks/: endpoints, their delivery log (status, attempts, response codes,
payload), redeliver, rotate the signing secret, pause or delete.

Everything goes through leads.services.webhooks: URLs are SSRF-checked there, secrets
are minted there and shown once here."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from leads.forms import add_service_errors
from leads.models import WebhookDelivery, WebhookEndpoint
from leads.pagination import Sort, keyset_page
from leads.selectors import webhook_endpoints_with_last_delivery
from leads.services.webhooks import (
    webhook_deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
)
from leads.settings_forms import DeliveryFilterForm, WebhookForm
from leads.views.settings.base import SettingsMixin, no_store

DELIVERIES_PAGE = 25
NEWEST_FIRST = Sort(key="created", descending=True, columns=("created_at",))


class WebhooksView(SettingsMixin, TemplateView):
    template_name = "settings/webhooks.html"
    settings_tab = "webhooks"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", WebhookForm())
        context["endpoints"] = webhook_endpoints_with_last_delivery(self.workspace)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WebhookForm(request.POST)
        if form.is_valid():
            data = form.service_data()
            try:
                endpoint, secret = webhook_endpoint_create(
                    workspace=self.workspace,
                    actor=self.actor,
                    payload_format=form.cleaned_data["payload_format"],
                    **data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                context = self.get_context_data(new_endpoint=endpoint, secret=secret)
                return no_store(self.render_to_response(context, status=201))
        return self.render_to_response(self.get_context_data(form=form))


class WebhookMixin(SettingsMixin):
    settings_tab = "webhooks"

    def get_endpoint(self, pk: int) -> WebhookEndpoint:
        return self.get_scoped_or_404(WebhookEndpoint.objects.live(), pk=pk)

    def detail_url(self, endpoint: WebhookEndpoint) -> str:
        return reverse("leads:settings_webhook", args=[endpoint.pk])


class WebhookDetailView(WebhookMixin, TemplateView):
    """An endpoint's settings (editable) and its delivery log, newest first, in keyset
    pages, optionally of one status."""

    template_name = "settings/webhook_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endpoint = self.endpoint
        context.setdefault("form", WebhookForm(editing=True, initial=self.initial()))
        params = self.request.GET
        filter_form = DeliveryFilterForm(params or None)
        deliveries = WebhookDelivery.objects.filter(workspace=self.workspace, endpoint=endpoint)
        status = ""
        if filter_form.is_valid():
            status = filter_form.cleaned_data["status"]
        if status:
            deliveries = deliveries.filter(status=status)
        page = keyset_page(
            deliveries,
            sort=NEWEST_FIRST,
            after=params.get("after"),
            before=params.get("before"),
            size=DELIVERIES_PAGE,
        )
        context.update(
            endpoint=endpoint,
            filter_form=filter_form,
            page=page,
            status_query=f"status={status}&" if status else "",
        )
        return context

    def initial(self) -> dict[str, Any]:
        endpoint = self.endpoint
        return {
            "url": endpoint.url,
            "event_types": endpoint.event_types,
            "description": endpoint.description,
            "timeout_seconds": endpoint.timeout_seconds,
            "retry_attempts": endpoint.retry_attempts,
            "is_active": endpoint.is_active,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.endpoint = self.get_endpoint(pk)
        return self.render_to_response(self.get_context_data())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.endpoint = endpoint = self.get_endpoint(pk)
        form = WebhookForm(request.POST, editing=True, initial=self.initial())
        if form.is_valid():
            changes = form.service_data(changed_only=True)
            try:
                webhook_endpoint_update(endpoint=endpoint, actor=self.actor, data=changes)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if changes:
                    names = ", ".join(form[n].label.lower() for n in changes)
                    messages.success(request, f"Saved: {names}.")
                else:
                    messages.info(request, "Nothing changed.")
                return HttpResponseRedirect(self.detail_url(endpoint))
        return self.render_to_response(self.get_context_data(form=form))


class WebhookRotateSecretView(WebhookDetailView):
    """A new signing secret, shown once; the old one keeps signing for 24 hours."""

    required_roles = {"POST": SettingsMixin.required_roles["POST"]}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.endpoint = self.get_endpoint(pk)
        secret = webhook_secret_rotate(endpoint=self.endpoint, actor=self.actor)
        context = self.get_context_data(secret=secret)
        return no_store(self.render_to_response(context))


class WebhookDeleteView(WebhookMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = self.get_endpoint(pk)
        webhook_endpoint_delete(endpoint=endpoint, actor=self.actor)
        messages.success(request, f"Deleted the webhook to {endpoint.url}; nothing more is sent.")
        return HttpResponseRedirect(reverse("leads:settings_webhooks"))


class WebhookRedeliverView(WebhookMixin, View):
    """Send one event again from scratch (same event id and body, a fresh set of tries)."""

    def post(self, request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
        endpoint = self.get_endpoint(pk)
        delivery = self.get_scoped_or_404(
            WebhookDelivery.objects.filter(endpoint=endpoint), pk=delivery_id
        )
        webhook_deliveries_redeliver(deliveries=[delivery])
        if endpoint.is_active:
            messages.success(request, f"Queued {delivery.event_type} again; it is sent shortly.")
        else:
            messages.warning(
                request,
                "Queued again, but this endpoint is paused: the delivery will be marked "
                "as not sent. Activate the endpoint first.",
            )
        return HttpResponseRedirect(self.detail_url(endpoint) + f"#delivery-{delivery.pk}")
