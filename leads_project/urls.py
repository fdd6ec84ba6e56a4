from django.contrib import admin
from django.urls import include, path

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

handler400 = "leads.views.errors.bad_request"
