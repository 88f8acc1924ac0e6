"""Refused tries on the borrower's confirmation endpoint, counted in Postgres so that every
replica sees the same counts (domain/borrower_limits.py).

Each limit's row counts the refused tries since its window opened, by the database's clock:
this is a guard against guessing in real time, not a business rule on the business calendar.
A try locks its rows until its transaction ends, so concurrent tries take turns and none slips
past a count. Windows that have closed are deleted as new ones open (more of them than open): the table
holds about the rows of the last window, and a client at its limit adds none.
"""

from __future__ import annotations

from dataclasses import dataclass

from negotiation_intake.domain.borrower_limits import TryLimit
from tideover_runtime.database import Connection

#: The longest address kept (an IPv6 address with a zone fits).
MAX_SUBJECT = 100


@dataclass(frozen=True)
class Exceeded:
    limit: TryLimit
    retry_after_seconds: int


async def count_try(connection: Connection, limits: list[tuple[TryLimit, str]]) -> Exceeded | None:
    """Count a try against each (limit, subject), locking their rows; the first limit it goes
    beyond (and when its window closes), or None. Roll the transaction back when one is
    exceeded: a try refused by a limit does not count."""
    exceeded: Exceeded | None = None
    for limit, subject in limits:  # always in the caller's order: rows are locked in one order
        row = await connection.fetchrow(
            """
            INSERT INTO borrower_tries AS tries (subject, tries, window_ends) VALUES ($1, 1, now() + $2::interval)
            ON CONFLICT (subject) DO UPDATE SET
                tries = CASE WHEN tries.window_ends <= now() THEN 1 ELSE tries.tries + 1 END,
                window_ends = CASE WHEN tries.window_ends <= now() THEN now() + $2::interval ELSE tries.window_ends END
            RETURNING tries.tries, ceil(extract(epoch FROM tries.window_ends - now()))::int AS seconds_left
            """,
            f"{limit.scope}:{subject}"[:MAX_SUBJECT],
            limit.window,
        )
        assert row is not None
        if row["tries"] == 1:  # a window opened: clear some that closed (none another try holds)
            await connection.execute(
                """
                DELETE FROM borrower_tries WHERE subject IN (
                    SELECT subject FROM borrower_tries WHERE window_ends < now() LIMIT 100 FOR UPDATE SKIP LOCKED)
                """
            )
        if exceeded is None and row["tries"] > limit.tries:
            exceeded = Exceeded(limit, max(1, row["seconds_left"]))
    return exceeded


async def forgive_try(connection: Connection, limits: list[tuple[TryLimit, str]]) -> None:
    """The try succeeded: it does not count (a borrower with the right code is never held back)."""
    await connection.execute(
        "UPDATE borrower_tries SET tries = tries - 1 WHERE subject = ANY($1::text[]) AND tries > 0",
        [f"{limit.scope}:{subject}"[:MAX_SUBJECT] for limit, subject in limits],
    )
