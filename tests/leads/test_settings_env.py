"""The environment readers (leads_project/env.py), the settings built with them, and
.env.example, which must list every setting they read."""

import ast
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler

from leads_project.env import env_bool, env_int, env_list, env_str, env_url

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "leads_project" / "settings.py"


@pytest.fixture
def load_settings(monkeypatch):
    """settings.py run afresh with the given environment (and no .env file)."""

    def load(**env: str) -> dict[str, Any]:
        monkeypatch.setattr("dotenv.load_dotenv", lambda *args, **kwargs: False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load


def test_env_str_reads_a_value_and_falls_back_to_its_default(monkeypatch):
    monkeypatch.setenv("LB_TEST", "hello")
    monkeypatch.setenv("LB_EMPTY", "")
    monkeypatch.delenv("LB_UNSET", raising=False)
    assert env_str("LB_TEST") == "hello"
    assert env_str("LB_EMPTY", "fallback") == "fallback"
    assert env_str("LB_UNSET", "fallback") == "fallback"


@pytest.mark.parametrize("value", [None, ""])
def test_env_str_without_a_default_requires_the_variable(monkeypatch, value):
    monkeypatch.delenv("LB_TEST", raising=False)
    if value is not None:
        monkeypatch.setenv("LB_TEST", value)
    with pytest.raises(ImproperlyConfigured, match="Set the environment variable LB_TEST"):
        env_str("LB_TEST")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        (" YES ", True),
        ("on", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("LB_TEST", raw)
    assert env_bool("LB_TEST", default=not expected) is expected


def test_env_bool_uses_its_default_when_unset_and_refuses_anything_else(monkeypatch):
    monkeypatch.delenv("LB_TEST", raising=False)
    assert env_bool("LB_TEST", True) is True
    monkeypatch.setenv("LB_TEST", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"LB_TEST must be a boolean.*'maybe'"):
        env_bool("LB_TEST")


def test_env_int_reads_a_number_and_falls_back_when_blank(monkeypatch):
    monkeypatch.setenv("LB_TEST", " 42 ")
    assert env_int("LB_TEST", 7, minimum=1) == 42
    monkeypatch.setenv("LB_TEST", "  ")
    assert env_int("LB_TEST", 7) == 7
    monkeypatch.delenv("LB_TEST")
    assert env_int("LB_TEST", 7) == 7


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ten", "LB_TEST must be an integer, got 'ten'"),
        ("1.5", "LB_TEST must be an integer, got '1.5'"),
        ("0", "LB_TEST must be at least 1, got 0"),
        ("-3", "LB_TEST must be at least 1, got -3"),
    ],
)
def test_env_int_refuses_a_non_number_or_one_below_its_minimum(monkeypatch, raw, message):
    monkeypatch.setenv("LB_TEST", raw)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        env_int("LB_TEST", 5, minimum=1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("LB_TEST", " a.example.com, ,b.example.com,")
    assert env_list("LB_TEST") == ["a.example.com", "b.example.com"]
    monkeypatch.setenv("LB_TEST", "")
    assert env_list("LB_TEST", ["x"]) == []  # set but empty: an empty list, not the default
    monkeypatch.delenv("LB_TEST")
    default = ["x"]
    assert env_list("LB_TEST", default) == ["x"] and env_list("LB_TEST", default) is not default
    assert env_list("LB_TEST") == []


REDIS_SCHEMES = ("redis", "rediss", "unix")


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("rediss://:secret@cache.example.com:6380/1", True),
        ("unix:///run/redis/redis.sock", True),
        ("localhost:6379", False),
        ("127.0.0.1:6379", False),
        ("http://:hunter2@cache:6379", False),
        ("redis://", False),
        ("cache.example.com", False),
    ],
)
def test_env_url_accepts_only_the_given_schemes_with_an_address(monkeypatch, url, accepted):
    monkeypatch.setenv("LB_TEST", url)
    if accepted:
        assert env_url("LB_TEST", schemes=REDIS_SCHEMES) == url
        return
    with pytest.raises(ImproperlyConfigured) as err:
        env_url("LB_TEST", schemes=REDIS_SCHEMES)
    assert str(err.value).startswith(
        "LB_TEST must be a URL starting with one of redis://, rediss://, unix://"
    )
    assert "hunter2" not in str(err.value)  # a password in the URL stays out of the logs


def test_env_url_is_empty_when_unset(monkeypatch):
    monkeypatch.delenv("LB_TEST", raising=False)
    assert env_url("LB_TEST", schemes=REDIS_SCHEMES) == ""
    assert env_url("LB_TEST", schemes=REDIS_SCHEMES, default="redis://h/0") == "redis://h/0"


def test_a_redis_url_without_its_scheme_stops_leadbook_at_start_up(load_settings):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be a URL starting with"):
        load_settings(REDIS_URL="localhost:6379")


def test_a_redis_url_moves_the_cache_to_redis(load_settings):
    settings = load_settings(REDIS_URL="rediss://cache.example.com:6380/0")
    assert settings["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "rediss://cache.example.com:6380/0",
    }


@pytest.mark.parametrize(
    ("env", "milliseconds"), [({}, 20000), ({"SQLITE_BUSY_TIMEOUT": "5"}, 5000)]
)
def test_sqlite_connections_wait_as_long_as_sqlite_busy_timeout_says(
    load_settings, monkeypatch, tmp_path, django_db_blocker, env, milliseconds
):
    monkeypatch.delenv("SQLITE_BUSY_TIMEOUT", raising=False)
    settings = load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env)
    connections = ConnectionHandler({"default": settings["DATABASES"]["default"]})
    try:
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == milliseconds
    finally:
        connections.close_all()


def env_reads(source: Path) -> set[str]:
    """Names of the variables a module reads through the env_* helpers."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_env_example_lists_every_setting_read_from_the_environment():
    names = env_reads(SETTINGS)
    assert {"DATABASE_URL", "SQLITE_BUSY_TIMEOUT", "PULSE_EXACT_COUNT_LIMIT"} <= names
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert sorted(names - listed) == []
