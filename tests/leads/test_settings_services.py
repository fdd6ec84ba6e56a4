"""The services behind the settings pages: keys issued and revoked with an audit entry,
a rotation member away and back, the rotation preview from loaded rows."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.actors import Actor
from leads.models import ActionLog, ApiKey, RotationMember
from leads.services.api_keys import api_key_issue, api_key_revoke, api_key_verify
from leads.services.routing import rotation_pick, rotation_preview
from leads.services.teams import rotation_member_availability_set
from tests.concurrency import run_in_threads
from tests.conftest import make_member, make_rotation


def test_an_issued_key_is_audited_without_its_secret(ws_a, actor_a):
    key, secret = api_key_issue(workspace=ws_a, actor=actor_a, name="Zap", scopes=["leads:read"])
    assert api_key_verify(secret) == key
    log = ActionLog.objects.get(event="api_key_created")
    assert log.input["apiKey"] == key.display_prefix and secret not in str(log.input)
    assert key.created_by == actor_a.user


@pytest.mark.parametrize(
    ("scopes", "expires_in", "field"),
    [([], None, "scopes"), (["leads:read"], -1, "expires_at"), (["bogus"], None, "scopes")],
)
def test_a_key_without_scopes_or_already_expired_is_refused(
    ws_a, actor_a, scopes, expires_in, field
):
    expires = timezone.now() + datetime.timedelta(days=expires_in) if expires_in else None
    with pytest.raises(ValidationError) as err:
        api_key_issue(workspace=ws_a, actor=actor_a, name="X", scopes=scopes, expires_at=expires)
    assert field in err.value.message_dict
    assert not ApiKey.objects.exists() and not ActionLog.objects.exists()


def test_revoking_twice_records_once(ws_a, actor_a):
    key, secret = api_key_issue(workspace=ws_a, actor=actor_a, name="Z", scopes=["leads:read"])
    api_key_revoke(key=key, actor=actor_a)
    first = ApiKey.objects.get(pk=key.pk).revoked_at
    api_key_revoke(key=key, actor=actor_a)
    assert ApiKey.objects.get(pk=key.pk).revoked_at == first
    assert ActionLog.objects.filter(event="api_key_revoked").count() == 1
    assert api_key_verify(secret) is None


def test_a_member_away_keeps_their_place_and_takes_turns_again_when_back(ws_a, actor_a):
    ann, ben, cat = (make_member(ws_a, f"{n}@acme.test", "agent", n) for n in ("ann", "ben", "cat"))
    rotation = make_rotation(ws_a, [ann, ben, cat])
    seat = RotationMember.objects.get(rotation=rotation, membership=ben)
    rotation_member_availability_set(seat=seat, actor=actor_a, is_active=False)
    assert [rotation_pick(rotation=rotation).member for _ in range(3)] == [ann, cat, ann]
    rotation_member_availability_set(seat=seat, actor=actor_a, is_active=True)
    assert rotation_pick(rotation=rotation).member == ben
    assert ActionLog.objects.filter(event="rotation_member_availability").count() == 2
    # Setting what is already set changes and records nothing.
    rotation_member_availability_set(seat=seat, actor=actor_a, is_active=True)
    assert ActionLog.objects.filter(event="rotation_member_availability").count() == 2


def test_the_preview_from_loaded_rows_matches_the_one_that_loads_them(ws_a, alice, bob):
    rotation = make_rotation(ws_a, [alice, bob])
    RotationMember.objects.filter(membership=bob).update(weight=3)
    rows = list(rotation.members.select_related("membership__user"))
    assert rotation_preview(rotation, 6, members=rows) == rotation_preview(rotation, 6)
    assert rotation_preview(rotation, 4) == [bob, alice, bob, bob]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_revoking_one_key_at_once_record_it_once(ws_a, alice):
    key, secret = api_key_issue(
        workspace=ws_a, actor=Actor(user=alice.user), name="Z", scopes=["leads:read"]
    )
    _, errors = run_in_threads(8, lambda n: api_key_revoke(key=key, actor=Actor(user=alice.user)))
    assert errors == []
    assert ActionLog.objects.filter(event="api_key_revoked").count() == 1
    assert api_key_verify(secret) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_marking_a_member_away_while_turns_are_taken_is_safe_and_sticks(ws_a, alice):
    ann, ben = (make_member(ws_a, f"{n}@acme.test", "agent", n) for n in ("ann", "ben"))
    rotation = make_rotation(ws_a, [ann, ben])
    seat = RotationMember.objects.get(rotation=rotation, membership=ben)

    def work(n: int) -> object:
        if n == 0:
            return rotation_member_availability_set(
                seat=seat, actor=Actor(user=alice.user), is_active=False
            )
        return [rotation_pick(rotation=rotation) for _ in range(5)]

    _, errors = run_in_threads(6, work)
    assert errors == []
    picks = [rotation_pick(rotation=rotation).member for _ in range(6)]
    assert picks == [ann] * 6
    assert ActionLog.objects.filter(event="rotation_member_availability").count() == 1
