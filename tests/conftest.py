"""Personas (STYLE §15): alice owns workspace A, bob is an agent in A, carol a viewer in
A, dave owns workspace B. Plus the PostgreSQL gate for concurrency tests."""

import pytest
from django.db import connection

from leads.actors import Actor
from leads.models import Membership, Rotation, RotationMember, Stage, Team, User, Workspace
from leads.services.api_keys import api_key_create

_SKIPPED_FOR_PG: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    reason = (
        "needs PostgreSQL: set DATABASE_URL=postgres://… (make test does this for you when "
        "a server is reachable)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
            _SKIPPED_FOR_PG.append(item.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_FOR_PG:
        terminalreporter.write_sep(
            "!", f"{len(_SKIPPED_FOR_PG)} PostgreSQL-only tests SKIPPED on this database", red=True
        )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_member(workspace: Workspace, email: str, role: str, name: str = "") -> Membership:
    user = User.objects.create_user(email=email, password="correct-horse-battery", full_name=name)
    return Membership.objects.create(
        workspace=workspace, user=user, role=role, display_name=name or email.split("@")[0]
    )


@pytest.fixture
def ws_a(db) -> Workspace:
    return Workspace.objects.create(name="Acme Sales")


@pytest.fixture
def ws_b(db) -> Workspace:
    return Workspace.objects.create(name="Bravo Sales")


@pytest.fixture
def alice(ws_a) -> Membership:
    return make_member(ws_a, "alice@acme.test", Membership.Role.OWNER, "Alice Owner")


@pytest.fixture
def bob(ws_a) -> Membership:
    return make_member(ws_a, "bob@acme.test", Membership.Role.AGENT, "Bob Agent")


@pytest.fixture
def carol(ws_a) -> Membership:
    return make_member(ws_a, "carol@acme.test", Membership.Role.VIEWER, "Carol Viewer")


@pytest.fixture
def dave(ws_b) -> Membership:
    return make_member(ws_b, "dave@bravo.test", Membership.Role.OWNER, "Dave Owner")


@pytest.fixture
def actor_a(alice) -> Actor:
    return Actor(user=alice.user, membership=alice, source="manual")


@pytest.fixture
def key_a(ws_a, alice) -> str:
    return api_key_create(workspace=ws_a, name="A integration", created_by=alice.user)[1]


@pytest.fixture
def key_b(ws_b, dave) -> str:
    return api_key_create(workspace=ws_b, name="B integration", created_by=dave.user)[1]


@pytest.fixture
def stages_a(ws_a) -> list[Stage]:
    return [
        Stage.objects.create(workspace=ws_a, slug="new", name="New", position=0),
        Stage.objects.create(workspace=ws_a, slug="won", name="Won", position=1, is_won=True),
    ]


def make_rotation(
    workspace: Workspace, members: list[Membership], *, team: Team | None = None, name: str = ""
) -> Rotation:
    rotation = Rotation.objects.create(
        workspace=workspace, team=team, name=name or (team.name if team else Rotation.DEFAULT_NAME)
    )
    for order, member in enumerate(members):
        RotationMember.objects.create(
            workspace=workspace, rotation=rotation, membership=member, order=order
        )
    return rotation


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"
