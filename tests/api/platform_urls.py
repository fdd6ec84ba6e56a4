"""Probe endpoints, one per family, to test the API platform on its own."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.autocalls.errors import AUTOCALLS
from api.errors import ApiError
from api.mega.errors import MEGA
from api.omni.errors import OMNI
from api.pulse.errors import PULSE
from api.views import FamilyAPIView
from leads.models import Lead
from leads.services.leads import lead_create
from leads_project.urls import handler400  # noqa: F401  (Django reads it from the URLconf)


class ProbeInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    count = serializers.IntegerField(required=False)
    boom = serializers.BooleanField(required=False, default=False)
    # Refuse the request without naming a field: as a service does ("service", a
    # ValidationError) or as a view does ("view", an ApiError at the validation status).
    refuse = serializers.ChoiceField(choices=["service", "view"], required=False)


class Probe(FamilyAPIView):
    required_scopes = {"GET": "leads:read", "POST": "leads:write", "DELETE": "leads:write"}

    def get(self, request: Request) -> Response:
        leads = self.scoped(Lead).order_by("id")
        return Response(
            {"leads": [{"id": lead.pk, "first_name": lead.first_name} for lead in leads]}
        )

    def post(self, request: Request) -> Response:
        data = ProbeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        boom = values.pop("boom")
        values.pop("count", None)
        refuse = values.pop("refuse", None)
        if refuse == "service":
            raise DjangoValidationError("Nothing to call in this campaign.", code="nothing_to_call")
        if refuse == "view":
            raise ApiError(self.family.validation_status, "refused", "This lead is opted out.")
        write = lead_create(workspace=self.workspace, actor=self.actor, data=values)
        if boom:
            raise RuntimeError("boom after the insert")
        return Response({"id": write.lead.pk, "uuid": str(write.lead.uuid)}, status=201)


class ProbeDetail(FamilyAPIView):
    required_scopes = {"GET": "leads:read"}

    def get(self, request: Request, pk: int) -> Response:
        lead = self.get_scoped_or_404(Lead, pk=pk)
        return Response({"id": lead.pk})


class BulkProbe(Probe):
    throttle_bucket = "bulk"


def probes(family: object) -> list:
    attrs = {"family": family}
    return [
        path("probe", type(f"{family.label}Probe", (Probe,), attrs).as_view()),
        path("probe/<int:pk>", type(f"{family.label}ProbeDetail", (ProbeDetail,), attrs).as_view()),
        path("probe/bulk", type(f"{family.label}BulkProbe", (BulkProbe,), attrs).as_view()),
    ]


urlpatterns = [
    path("api/v1/", include(probes(OMNI))),
    path("api/agents/crm/", include(probes(MEGA))),
    path("api/user/", include(probes(AUTOCALLS))),
    path("api/", include(probes(PULSE))),
    path("", include("leads_project.urls")),
]
