"""Fixtures shared with the staff page tests: a manager persona and quick lead making."""

from tests.leads.conftest import make_lead, mia  # noqa: F401  (shared fixtures)
