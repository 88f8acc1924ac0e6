"""One active scheduler among replicas (DESIGN.md §6): the one holding a Postgres advisory lock,
on a connection of its own. Postgres lets the lock go when that connection ends — the holder
stopped, was killed, or lost the network — and the next replica to try takes it over. The
leader does its work on the same connection, so a holder that lost the lock cannot write."""

from __future__ import annotations

import asyncpg
import structlog

from tideover_runtime.database import FAILED

log = structlog.get_logger(__name__)

#: The advisory lock's key (one per database): the bytes of "tideover" as a positive bigint.
LOCK_KEY = int.from_bytes(b"tideover", "big") >> 1
#: How long a statement on the lock's connection may take, and how soon Postgres notices the
#: connection of a leader that vanished (TCP keepalives, user timeout), letting the lock go.
COMMAND_TIMEOUT_SECONDS = 30.0
CONNECTION = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "30000",
}
#: What says the lock's connection is gone: a failed or a timed-out statement.
LOST: tuple[type[BaseException], ...] = (*FAILED, TimeoutError)


class Leadership:
    def __init__(self, database_url: str, schema: str) -> None:
        self._database_url, self._schema = database_url, schema
        self._connection: asyncpg.Connection | None = None

    async def connection(self) -> asyncpg.Connection | None:
        """The lock's connection if this process holds the lock (taking it if it is free), else None."""
        if self._connection is not None:
            try:
                await self._connection.fetchval("SELECT 1")
            except LOST as error:
                log.warning("the scheduler's lock connection is lost; it leads no more", error=repr(error))
                await self.let_go()
            else:
                return self._connection
        connection = await asyncpg.connect(
            self._database_url,
            timeout=COMMAND_TIMEOUT_SECONDS,
            command_timeout=COMMAND_TIMEOUT_SECONDS,
            server_settings={"search_path": self._schema, "application_name": "scheduler-leader", **CONNECTION},
        )
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
            log.info("this scheduler leads: it closes the days and ticks")
            self._connection = connection
            return connection
        await connection.close()
        return None

    async def let_go(self) -> None:
        """Give the lock up (closing its connection lets Postgres release it)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    @property
    def leads(self) -> bool:
        return self._connection is not None


async def leader_pid(connection: asyncpg.Connection) -> int | None:
    """The server process of the connection holding the lock, if a scheduler leads."""
    pid = await connection.fetchval(
        """
        SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1
        """,
        LOCK_KEY,
    )
    return int(pid) if pid is not None else None
