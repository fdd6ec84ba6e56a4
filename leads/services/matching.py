"""Finding the lead an incoming one duplicates, safely under concurrency."""

import hashlib
from collections.abc import Iterable

from django.db import connection

from leads.models import Lead, Workspace


def email_match_key(email: str) -> str:
    """Emails match case-insensitively, ignoring surrounding spaces. Dots and +tags are
    kept: they can be real, different mailboxes."""
    return (email or "").strip().lower()


def match_lock(workspace: Workspace, *, email_key: str, phone_key: str) -> None:
    """Serialize check-then-insert for the same email or phone within a workspace.

    The phone key is the last ten digits (phone_match_key), coarser than a match (which
    needs the same E.164 number): numbers of different countries sharing them only wait
    on each other, and every writer, single or batch, keeps using one key per number.

    PostgreSQL: transaction-scoped advisory locks, taken in a fixed order so two requests
    never deadlock. SQLite: IMMEDIATE transactions already serialize every writer."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        k
        for k in (f"e:{email_key}" if email_key else "", f"p:{phone_key}" if phone_key else "")
        if k
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(workspace, key)])


def match_lock_many(
    workspace: Workspace, *, email_keys: Iterable[str], phone_keys: Iterable[str]
) -> None:
    """match_lock for a whole batch in one statement, in the same global order (by key),
    so a batch and single creates never deadlock each other."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"e:{k}" for k in email_keys if k} | {f"p:{k}" for k in phone_keys if k})
    if not keys:
        return
    with connection.cursor() as cursor:
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
