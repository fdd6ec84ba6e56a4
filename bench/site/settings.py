"""Settings for the benchmark server: Leadbook's own, plus the reference view."""

from leads_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.site.urls"
