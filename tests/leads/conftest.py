"""Fixtures for the staff page tests: a manager persona and quick lead making."""

import pytest

from leads.actors import Actor
from leads.models import Lead, Membership
from leads.services.leads import lead_create
from tests.conftest import make_member


@pytest.fixture
def mia(ws_a) -> Membership:
    """Mia manages workspace A: sees and reassigns every lead, no settings."""
    return make_member(ws_a, "mia@acme.test", Membership.Role.MANAGER, "Mia Manager")


@pytest.fixture
def make_lead(ws_a):
    def make(workspace=None, **data) -> Lead:
        data.setdefault("first_name", "Lead")
        return lead_create(
            workspace=workspace or ws_a, actor=Actor.system(), data=data, route=False
        ).lead

    return make


@pytest.fixture
def signed_in(client):
    """Sign a membership's user in with the test client."""

    def sign_in(member: Membership):
        client.force_login(member.user)
        return client

    return sign_in
