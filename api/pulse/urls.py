"""Pulse paths, mounted at the root of /api/ (so after the other families). A trailing
slash is accepted too: clients built from the Pulse docs differ on it."""

from django.urls import re_path

from api.pulse import views

urlpatterns = [
    re_path(r"^auth/login/?$", views.PulseLoginView.as_view(), name="pulse-login"),
    re_path(r"^auth/session/?$", views.PulseSessionView.as_view(), name="pulse-session"),
    re_path(r"^leads/?$", views.PulseLeadListView.as_view(), name="pulse-leads"),
    re_path(r"^leads/(?P<pk>[0-9]+)/?$", views.PulseLeadDetailView.as_view(), name="pulse-lead"),
    re_path(
        r"^leads/(?P<pk>[0-9]+)/archive/?$",
        views.PulseLeadArchiveView.as_view(),
        name="pulse-lead-archive",
    ),
    re_path(r"^teams/?$", views.PulseTeamListView.as_view(), name="pulse-teams"),
    re_path(r"^teams/(?P<pk>[0-9]+)/?$", views.PulseTeamDetailView.as_view(), name="pulse-team"),
    re_path(
        r"^lead-sources/?$", views.PulseLeadSourceListView.as_view(), name="pulse-lead-sources"
    ),
    re_path(
        r"^lead-sources/(?P<pk>[0-9]+)/?$",
        views.PulseLeadSourceDetailView.as_view(),
        name="pulse-lead-source",
    ),
    re_path(r"^lead-rotations/?$", views.PulseRotationListView.as_view(), name="pulse-rotations"),
    re_path(
        r"^lead-rotations/(?P<pk>[0-9]+)/?$",
        views.PulseRotationDetailView.as_view(),
        name="pulse-rotation",
    ),
    re_path(
        r"^lead-rotations/(?P<pk>[0-9]+)/status/?$",
        views.PulseRotationStatusView.as_view(),
        name="pulse-rotation-status",
    ),
    re_path(
        r"^lead-rotations/(?P<pk>[0-9]+)/next-user/?$",
        views.PulseRotationNextUserView.as_view(),
        name="pulse-rotation-next-user",
    ),
]
