"""The staff page fixtures (make_lead, the manager persona) for the checklist pages."""

from tests.leads.conftest import make_lead, mia  # noqa: F401  (shared fixtures)
