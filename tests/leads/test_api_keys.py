import random
import string

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import ApiKey
from leads.services.api_keys import api_key_create, api_key_parse, api_key_verify


def test_only_a_hash_of_the_secret_is_stored(ws_a):
    key, secret = api_key_create(workspace=ws_a, name="Zapier")
    assert secret.startswith(f"lb_{key.prefix}_")
    stored = ApiKey.objects.filter(pk=key.pk).values()[0]
    assert all(secret not in str(value) for value in stored.values())
    assert api_key_verify(secret) == key


def test_all_scopes_by_default_and_unknown_scopes_are_refused(ws_a):
    key, _ = api_key_create(workspace=ws_a, name="All")
    assert set(key.scopes) == set(ApiKey.Scope.values)
    with pytest.raises(ValidationError, match="Unknown scope: leads:delete"):
        api_key_create(workspace=ws_a, name="Bad", scopes=["leads:read", "leads:delete"])


def test_revoked_and_expired_keys_do_not_verify(ws_a):
    revoked, secret_r = api_key_create(workspace=ws_a, name="R")
    revoked.revoke()
    _expired, secret_e = api_key_create(
        workspace=ws_a, name="E", expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert api_key_verify(secret_r) is None
    assert api_key_verify(secret_e) is None


def test_verification_records_when_a_key_was_last_used(ws_a):
    key, secret = api_key_create(workspace=ws_a, name="U")
    assert key.last_used_at is None
    api_key_verify(secret)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_mistyped_keys_are_refused_without_touching_the_database(ws_a):
    _, secret = api_key_create(workspace=ws_a, name="M")
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    mutations = set()
    while len(mutations) < 500:
        i = rng.randrange(len(secret))
        if secret[i] == "_":
            continue
        mutated = secret[:i] + rng.choice(alphabet.replace(secret[i], "")) + secret[i + 1 :]
        mutations.add(mutated)
    with CaptureQueriesContext(connection) as queries:
        accepted = [m for m in mutations if api_key_parse(m) is not None]
    assert len(queries) == 0
    # A 6-character CRC checksum lets about one in 57 billion random mutations through.
    assert accepted == []
