"""/settings/routing/: teams, lead sources and rotations, and who gets the next leads.

Every change goes through leads.services.teams (one SETTINGS entry in the audit trail
each); the page shows each rotation's next five assignments from rotation_preview."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView, View

from leads.forms import add_service_errors
from leads.models import LeadSource, Rotation, RotationMember, Team
from leads.selectors import rotation_card, routing_overview
from leads.services.teams import (
    lead_source_create,
    lead_source_update,
    rotation_create,
    rotation_member_availability_set,
    rotation_update,
    team_create,
    team_update,
)
from leads.settings_forms import LeadSourceForm, RotationForm, TeamForm, seat_formset
from leads.views.settings.base import SettingsMixin


def routing_url(anchor: str = "") -> str:
    return reverse("leads:settings_routing") + (f"#{anchor}" if anchor else "")


class RoutingView(SettingsMixin, TemplateView):
    template_name = "settings/routing.html"
    settings_tab = "routing"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["routing"] = routing_overview(self.workspace)
        return context


class RoutingEditView(SettingsMixin, TemplateView):
    """Create (no pk) or edit (pk) one routing object with its form page."""

    settings_tab = "routing"
    model: type
    noun = ""

    def get_object(self) -> Any:
        pk = self.kwargs.get("pk")
        return None if pk is None else self.get_scoped_or_404(self.model, pk=pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(object=self.object, noun=self.noun)
        return context

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data(**self.forms(None)))

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        self.object = self.get_object()
        forms = self.forms(request.POST)
        # Validate every form (no short-circuit): all their errors show at once.
        valid = [f.is_valid() for f in forms.values()]
        if all(valid):
            try:
                saved = self.save(**forms)
            except ValidationError as error:
                self.service_errors(forms, error)
            else:
                verb = "Saved" if self.object is not None else "Created"
                messages.success(request, f"{verb} the {self.noun} “{saved.name}”.")
                return HttpResponseRedirect(
                    routing_url(f"{self.noun.replace(' ', '-')}-{saved.pk}")
                )
        return self.render_to_response(self.get_context_data(**forms))

    def forms(self, data: Any) -> dict[str, Any]:
        raise NotImplementedError

    def save(self, **forms: Any) -> Any:
        raise NotImplementedError

    def service_errors(self, forms: dict[str, Any], error: ValidationError) -> None:
        add_service_errors(forms["form"], error)


class TeamEditView(RoutingEditView):
    template_name = "settings/team_form.html"
    model = Team
    noun = "team"

    def forms(self, data: Any) -> dict[str, Any]:
        initial = None
        if self.object is not None:
            team = self.object
            initial = {
                "name": team.name,
                "is_active": team.is_active,
                "members": list(team.members.values_list("pk", flat=True)),
            }
        return {"form": TeamForm(data, workspace=self.workspace, initial=initial)}

    def save(self, *, form: TeamForm) -> Team:
        data = form.cleaned_data
        if self.object is None:
            return team_create(
                workspace=self.workspace,
                actor=self.actor,
                name=data["name"],
                is_active=data["is_active"],
                member_emails=form.member_emails(),
            )
        return team_update(
            team=self.object,
            actor=self.actor,
            data={"name": data["name"], "is_active": data["is_active"]},
            member_emails=form.member_emails(),
        )


class LeadSourceEditView(RoutingEditView):
    template_name = "settings/lead_source_form.html"
    model = LeadSource
    noun = "lead source"

    def forms(self, data: Any) -> dict[str, Any]:
        initial = None
        if self.object is not None:
            source = self.object
            initial = {"name": source.name, "team": source.team_id, "is_active": source.is_active}
        return {"form": LeadSourceForm(data, workspace=self.workspace, initial=initial)}

    def save(self, *, form: LeadSourceForm) -> LeadSource:
        data = form.service_data()
        if self.object is None:
            return lead_source_create(
                workspace=self.workspace,
                actor=self.actor,
                name=data["name"],
                is_active=data["is_active"],
                team_id=data["team"],
            )
        return lead_source_update(source=self.object, actor=self.actor, data=data)


class RotationEditView(RoutingEditView):
    """A rotation's name, team and status, and its members in turn order with weights."""

    template_name = "settings/rotation_form.html"
    model = Rotation
    noun = "rotation"

    def get_object(self) -> Rotation | None:
        rotation = super().get_object()
        return rotation_card(rotation) if rotation is not None else None

    def forms(self, data: Any) -> dict[str, Any]:
        initial = None
        rotation = self.object
        if rotation is not None:
            initial = {"name": rotation.name, "team": rotation.team_id, "status": rotation.status}
        return {
            "form": RotationForm(
                data, workspace=self.workspace, rotation=rotation, initial=initial
            ),
            "seats": seat_formset(data, workspace=self.workspace, rotation=rotation),
        }

    def save(self, *, form: RotationForm, seats: Any) -> Rotation:
        data = form.service_data()
        if self.object is None:
            return rotation_create(
                workspace=self.workspace,
                actor=self.actor,
                name=data["name"],
                team_id=data["team"],
                status=data["status"],
                seats=seats.seats(),
            )
        return rotation_update(
            rotation=self.object, actor=self.actor, data=data, seats=seats.seats()
        )

    def service_errors(self, forms: dict[str, Any], error: ValidationError) -> None:
        # The members are the rows of the seat table: their problems go above it.
        if hasattr(error, "error_dict") and "rotation_members" in error.error_dict:
            self.seat_errors = [m for e in error.error_dict.pop("rotation_members") for m in e]
            if not error.error_dict:
                return
        super().service_errors(forms, error)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["seat_errors"] = getattr(self, "seat_errors", [])
        return context


class RotationSeatAvailabilityView(SettingsMixin, View):
    """Out of office / back: a member skips their turns without losing their place."""

    def post(self, request: HttpRequest, pk: int, seat_id: int) -> HttpResponse:
        rotation = self.get_scoped_or_404(Rotation.objects.select_related("team"), pk=pk)
        seat = self.get_scoped_or_404(RotationMember.objects.filter(rotation=rotation), pk=seat_id)
        taking_leads = request.POST.get("taking_leads") == "true"
        seat = rotation_member_availability_set(seat=seat, actor=self.actor, is_active=taking_leads)
        name = seat.membership.name
        text = f"{name} takes leads again." if taking_leads else f"{name} is away: turns skip them."
        if request.htmx:
            card = rotation_card(rotation)
            context = {"rotation": card, "announce": text}
            return render(request, "settings/routing.html#rotation-card", context)
        messages.success(request, text)
        return HttpResponseRedirect(routing_url(f"rotation-{rotation.pk}"))
