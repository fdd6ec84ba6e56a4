"""Pulse paths, mounted at the root of /api/ (so after the other families). A trailing
slash is accepted too: clients built from the Pulse docs differ on it."""

from django.urls import re_path

from api.pulse import views

urlpatterns = [
    re_path(r"^leads/?$", views.PulseLeadListView.as_view(), name="pulse-leads"),
    re_path(r"^leads/(?P<pk>[0-9]+)/?$", views.PulseLeadDetailView.as_view(), name="pulse-lead"),
    re_path(
        r"^leads/(?P<pk>[0-9]+)/archive/?$",
        views.PulseLeadArchiveView.as_view(),
        name="pulse-lead-archive",
    ),
]
