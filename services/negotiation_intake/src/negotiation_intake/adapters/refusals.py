"""Requests refused before they changed anything (issue 17, M3) — no or an unknown key, a role
without the right, invalid input, too large a body, nothing by that id, a server error — kept
with their reason in `refused_requests` (migration 0006). A refused change of an application is
in the audit log already, with the application before it (entrypoints/changes.py); it is not
kept twice.

Bounded, so that a flood cannot fill the disk, by tideover_runtime.refusals.Budget: per process
and per minute, so many from one caller (an authenticated agent's key; else the client's
address) and so many from all unauthenticated callers together. The rest are counted, and
the count kept in one summary row per minute (`dropped`, naming the callers). Rows are deleted
after KEPT_DAYS days; the table refuses any other change or deletion."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from negotiation_intake.application.ports import Page
from tideover_runtime.database import FAILED, Connection
from tideover_runtime.refusals import Budget, over_the_bound
from tideover_runtime.service import Resources

log = structlog.get_logger(__name__)

#: As migration 0006's trigger says: younger rows cannot be deleted.
KEPT_DAYS = 90
PRUNE_EVERY_SECONDS = 3600.0
OVER_THE_BOUND = "over_the_bound"
#: A page cursor: the last entry's id.
CURSOR_PATTERN = r"^[0-9]{1,18}$"


@dataclass(frozen=True)
class Refusal:
    """One refused request and why (`reason`: the problem's rule, else its title)."""

    at: datetime
    status: int
    reason: str
    detail: str | None
    method: str
    path: str
    client: str | None
    agent_id: str | None = None
    role: str | None = None
    key_id: str | None = None

    @property
    def caller(self) -> str:
        """Whom the bound counts it against: the key of an authenticated caller, else the address
        (a key id that came with an unknown key says nothing: anyone may make one up)."""
        return f"key {self.key_id}" if self.agent_id else f"address {self.client or 'unknown'}"


@dataclass
class Watch:
    """What the door knows of the request it is serving: whether the audit log has it already."""

    audited: bool = False


_WATCH: ContextVar[Watch | None] = ContextVar("refused_request_watch", default=None)


def watching() -> tuple[Watch, Any]:
    """A watch over the request being served (and the token that ends it: `stop_watching`)."""
    watch = Watch()
    return watch, _WATCH.set(watch)


def stop_watching(token: Any) -> None:
    _WATCH.reset(token)


def note_audited() -> None:
    """The request being served has its entry in the audit log: it is not kept again as refused."""
    if (watch := _WATCH.get()) is not None:
        watch.audited = True


def note_kept() -> None:
    """The request being served was kept as refused by its route, with what the door cannot see
    (the borrower's page: why a link was refused, and not its token): not kept twice."""
    note_audited()


class RefusalLog:
    """Keeps refusals within the Budget; writes each minute's summary of those left out once the
    minute is over, and deletes rows past KEPT_DAYS at most once an hour."""

    def __init__(
        self, resources: Callable[[], Resources], budget: Budget | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._resources, self._budget, self._monotonic = resources, budget or Budget(), monotonic
        self._summaries: dict[int, asyncio.Task[None]] = {}
        self._next_prune = 0.0

    async def record(self, refusal: Refusal) -> None:
        now = self._monotonic()
        if not self._budget.admit(refusal.caller, refusal.agent_id is None, now):
            self._summarise_after(self._budget.window(now), now)
            return
        try:
            async with self._resources().pool.acquire() as connection:
                await _insert(connection, refusal)
                if now >= self._next_prune:
                    self._next_prune = now + PRUNE_EVERY_SECONDS
                    await prune(connection)
        except FAILED as error:  # the answer has gone already: say so in the log, never to the caller
            log.exception("refused request not kept", error=repr(error), status=refusal.status, path=refusal.path)

    def _summarise_after(self, window: int, now: float) -> None:
        if window not in self._summaries:
            delay = self._budget.window_end(window) - now
            task = asyncio.get_running_loop().create_task(self._summarise(window, delay), name="refusal-summary")
            self._summaries[window] = task
            task.add_done_callback(lambda _: self._summaries.pop(window, None))

    async def _summarise(self, window: int, delay: float) -> None:
        await asyncio.sleep(delay)
        dropped = self._budget.take_dropped(window)
        summary = Refusal(
            at=self._resources().clock.now(),
            status=0,
            reason=OVER_THE_BOUND,
            method="",
            path="",
            client=None,
            detail=over_the_bound(self._budget, dropped),
        )
        try:
            async with self._resources().pool.acquire() as connection:
                await _insert(connection, summary, dropped=dropped.total())
        except FAILED as error:
            log.exception("refusal summary not kept", error=repr(error), dropped=dropped.total())


async def _insert(connection: Connection, refusal: Refusal, dropped: int = 0) -> None:
    summary = dropped > 0
    await connection.execute(
        """
        INSERT INTO refused_requests (at, status, reason, detail, method, path, agent_id, role, key_id, client, dropped)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """,
        refusal.at,
        None if summary else refusal.status,
        _text(refusal.reason),
        _text(refusal.detail),
        _text(refusal.method),
        _text(refusal.path),
        refusal.agent_id,
        refusal.role,
        refusal.key_id,
        refusal.client,
        dropped,
    )


def _text(value: str | None) -> str | None:
    """As Postgres text holds it: a NUL (a path may have one, `%00`) is shown as U+FFFD."""
    return value.replace("\x00", "\ufffd") if value else None


async def prune(connection: Connection) -> int:
    """Deletes the rows older than KEPT_DAYS; how many."""
    deleted = await connection.fetchval(
        """
        WITH gone AS (DELETE FROM refused_requests WHERE recorded_at < now() - make_interval(days => $1) RETURNING 1)
        SELECT count(*) FROM gone
        """,
        KEPT_DAYS,
    )
    return int(deleted)


async def entries(connection: Connection, limit: int, after: str | None) -> Page:
    """Oldest first; the cursor is the last entry's id."""
    if after is not None and not re.fullmatch(CURSOR_PATTERN, after):
        raise ValueError(f"not a page cursor: {after!r}")
    rows = await connection.fetch(
        """
        SELECT id, at, status, reason, detail, method, path, agent_id, role, key_id, client, dropped
        FROM refused_requests WHERE id > $1 ORDER BY id LIMIT $2
        """,
        int(after or 0),
        limit + 1,
    )
    items = [{**dict(row), "at": row["at"].isoformat()} for row in rows[:limit]]
    return Page(items, str(items[-1]["id"]) if len(rows) > limit else None)
