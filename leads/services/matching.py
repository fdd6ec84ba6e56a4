"""Finding the lead an incoming one duplicates, safely under concurrency."""

import hashlib
from collections.abc import Iterable

from django.db import connection

from leads.models import Lead, Workspace


def email_match_key(email: str) -> str:
    """Emails match case-insensitively, ignoring surrounding spaces. Dots and +tags are
    kept: they can be real, different mailboxes."""
    return (email or "").strip().lower()


# A batch with more keys than this takes one lock on its whole workspace instead of one
# per email and phone. PostgreSQL keeps every session's locks in one shared table, sized by
# max_locks_per_transaction: on a default server about 12,000 advisory locks fit in all,
# and of eight transactions taking 2,000 each (an import batch of a thousand rows) two
# were refused with "out of shared memory", which fails any query that needs a lock.
MATCH_LOCKS_PER_BATCH = 64


def match_lock(workspace: Workspace, *, email_key: str, phone_key: str) -> None:
    """Serialize check-then-insert for the same email or phone within a workspace.

    The phone key is the last ten digits (phone_match_key), coarser than a match (which
    needs the same E.164 number): numbers of different countries sharing them only wait
    on each other, and every writer, single or batch, keeps using one key per number.

    PostgreSQL: transaction-scoped advisory locks, the workspace's in shared mode (so a
    large batch, which takes it exclusively, waits for the writers already in and holds
    back the rest), then one per key, always in that order so two writers never
    deadlock. SQLite: IMMEDIATE transactions already serialize every writer."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        k
        for k in (f"e:{email_key}" if email_key else "", f"p:{phone_key}" if phone_key else "")
        if k
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_workspace_lock_id(workspace)])
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(workspace, key)])


def match_lock_many(
    workspace: Workspace, *, email_keys: Iterable[str], phone_keys: Iterable[str]
) -> None:
    """match_lock for a whole batch: up to MATCH_LOCKS_PER_BATCH keys, each key's lock in
    one statement, in the same order as match_lock; past that, the workspace's lock
    alone, exclusively, so the transaction holds one lock however large the batch (an
    import's writes of a thousand rows then hold back the workspace's single creates for
    that batch's fraction of a second). A transaction that already took match locks in
    the workspace should not go on to a large batch: a create waiting on one of its key
    locks would hold the shared lock it waits for, a deadlock that PostgreSQL breaks by
    failing one of the two."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"e:{k}" for k in email_keys if k} | {f"p:{k}" for k in phone_keys if k})
    if not keys:
        return
    with connection.cursor() as cursor:
        if len(keys) > MATCH_LOCKS_PER_BATCH:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_workspace_lock_id(workspace)])
            return
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_workspace_lock_id(workspace)])
        # unnest() yields the array in order, so the locks are taken in key order.
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k",
            [[_lock_id(workspace, key) for key in keys]],
        )


# Candidates considered when one email or phone matches many leads: the oldest wins, and a
# key shared by more leads than this is not a person but a placeholder (e.g. 000-0000).
MATCH_CANDIDATES = 200


def _lock_id(workspace: Workspace, key: str) -> int:
    digest = hashlib.blake2b(f"{workspace.pk}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _workspace_lock_id(workspace: Workspace) -> int:
    return _lock_id(workspace, "workspace")  # keys are "e:…" or "p:…": never this


def lead_find_match(
    workspace: Workspace, *, email: str = "", phone_e164: str = ""
) -> tuple[Lead | None, str | None]:
    """The oldest lead with the same email (checked first) or the same E.164 phone
    number, and which of the two matched. One narrow query finds the candidates by both
    keys (each served by its index); only the winner is loaded whole."""
    email_key = email_match_key(email)
    if not email_key and not phone_e164:
        return None, None
    # A lead merged into another is a tombstone: incoming duplicates go to the survivor.
    candidates = list(
        Lead.objects.matching(workspace, email_key=email_key, phone_e164=phone_e164)
        .not_merged()
        .order_by()
        .values_list("pk", "created_at", "email_normalized")[:MATCH_CANDIDATES]
    )
    by_email = [c for c in candidates if email_key and c[2] == email_key]
    pool, matched_by = (by_email, "email") if by_email else (candidates, "phone")
    if not pool:
        return None, None
    winner = min(pool, key=lambda c: (c[1], c[0]))
    return Lead.objects.get(pk=winner[0]), matched_by
