"""Duplicate matching by phone: the same number however it is written, never a number of
another country that happens to end with the same ten digits."""

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from leads.models import Lead
from leads.services.leads import lead_create, lead_matching
from leads.services.matching import (
    MATCH_LOCKS_PER_BATCH,
    lead_find_match,
    match_lock,
    match_lock_many,
)
from tests.api.mega.conftest import Mega
from tests.api.omni.conftest import omni

LONDON = "+44 20 7946 0958"  # last ten digits 2079460958
MAINE = "+1 207 946 0958"  # the same last ten digits, another person


@pytest.fixture
def london(ws_a, actor_a) -> Lead:
    return lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Lon", "phone": LONDON}
    ).lead


def test_a_number_of_another_country_with_the_same_last_ten_digits_is_not_a_match(
    ws_a, actor_a, london
):
    assert lead_find_match(ws_a, phone_e164="+12079460958") == (None, None)
    maine = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Me", "phone": "(207) 946-0958"}
    ).lead
    assert lead_find_match(ws_a, phone_e164="+12079460958") == (maine, "phone")
    assert lead_find_match(ws_a, phone_e164="+442079460958") == (london, "phone")
    assert lead_matching(london) == []


def test_omni_matching_leads_lists_the_same_number_only(client, ws_a, actor_a, key_a, london):
    written_otherwise = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Me", "phone": "207.946.0958"}
    ).lead
    response = omni(client, "post", "leads", key_a, {"firstName": "Probe", "phoneNumber": MAINE})
    assert response.status_code == 201, response.content
    assert [m["id"] for m in response.json()["matchingLeads"]] == [str(written_otherwise.uuid)]


def test_mega_create_merges_the_same_number_but_not_another_countrys(client, ws_a, key_a, london):
    mega = Mega(client, key_a, ws_a)
    maine = mega.post("leads", {"contact_name": "Pat", "contact_phone": MAINE})
    assert maine.status_code == 201
    assert maine.json()["lead"]["id"] != str(london.uuid)
    assert maine.json()["lead"]["contact_phone"] == "+12079460958"
    again = mega.post("leads", {"contact_phone": "(207) 946-0958", "contact_email": "p@x.com"})
    assert again.json()["lead"]["id"] == maine.json()["lead"]["id"]
    london.refresh_from_db()
    assert (london.first_name, london.email) == ("Lon", "")
    assert Lead.objects.filter(workspace=ws_a).count() == 2


# --- Match locks (PostgreSQL) ---------------------------------------------------------


def advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_large_batch_holds_one_lock_not_one_per_email_and_phone(ws_a):
    """PostgreSQL's lock table is shared by every session: a default server fits about
    12,000 advisory locks, and with one per key eight import batches filled it."""
    emails = {f"p{i}@x.com" for i in range(1000)}
    phones = {f"206555{i:04d}" for i in range(1000)}
    with transaction.atomic():
        match_lock_many(ws_a, email_keys=emails, phone_keys=phones)
        assert advisory_locks_held() == 1
    few = set(list(emails)[: MATCH_LOCKS_PER_BATCH // 2])
    with transaction.atomic():
        match_lock_many(ws_a, email_keys=few, phone_keys=set())
        assert advisory_locks_held() == 1 + len(few)  # the workspace's, shared, and each key


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_large_batch_holds_back_its_own_workspaces_creates_only(ws_a, ws_b):
    holding, release = threading.Event(), threading.Event()

    def batch() -> None:
        try:
            with transaction.atomic():
                keys = {f"b{i}@x.com" for i in range(MATCH_LOCKS_PER_BATCH + 1)}
                match_lock_many(ws_a, email_keys=keys, phone_keys=set())
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=batch)
    thread.start()
    try:
        assert holding.wait(10)

        def create_lock(workspace) -> None:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                match_lock(workspace, email_key="someone-else@x.com", phone_key="")

        create_lock(ws_b)  # another workspace: not held back
        with pytest.raises(OperationalError, match="lock timeout"):
            create_lock(ws_a)  # a different email, but the same workspace: waits
    finally:
        release.set()
        thread.join()
    create_lock(ws_a)  # the batch committed: free again
