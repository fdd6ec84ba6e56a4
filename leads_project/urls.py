from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from api.errors import api_bad_request
from leads.views.errors import bad_request as staff_bad_request

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    # /documents/<signed token> downloads, and the lead page's checklist panels.
    path("", include("checklists.urls")),
    path("accounts/", include("leads.account_urls")),
    path("campaigns/", include("campaigns.urls")),
    # Staff pages last: "" would otherwise shadow nothing, but keep the API's paths first.
    path("", include("leads.urls")),
]


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 before any view runs (e.g. a Host header not in ALLOWED_HOSTS): in the
    family's envelope under /api/, the staff error page elsewhere."""
    return api_bad_request(request, exception) or staff_bad_request(request, exception)


handler400 = bad_request
