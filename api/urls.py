"""/api/…: the four families, the OpenAPI schema and its viewers.

Pulse is mounted at the root of /api/, so it comes after the other families; each
family's prefix ends with a catch-all that answers unknown paths in its own envelope."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.autocalls.errors import AUTOCALLS
from api.docs import RedocView, SwaggerView
from api.mega.errors import MEGA
from api.omni.errors import OMNI
from api.pulse.errors import PULSE
from api.views import FamilyNotFoundView


def not_found_for(family: object) -> object:
    view = type(f"{family.label}NotFound", (FamilyNotFoundView,), {"family": family})
    return view.as_view()


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("v1/", include("api.omni.urls")),
    re_path(r"^v1/", not_found_for(OMNI)),
    path("agents/crm/", include("api.mega.urls")),
    re_path(r"^agents/crm/", not_found_for(MEGA)),
    path("user/", include("api.autocalls.urls")),
    re_path(r"^user/", not_found_for(AUTOCALLS)),
    path("", include("api.pulse.urls")),
    re_path(r"^", not_found_for(PULSE)),
]
