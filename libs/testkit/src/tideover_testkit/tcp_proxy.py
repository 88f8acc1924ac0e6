"""A TCP proxy in front of a server, to take it away from a client without touching the server:
`cut()` refuses new connections and drops the open ones (as a restart does), `hang()` accepts
and never answers, `restore()` forwards again on the same port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

from tideover_testkit.processes import free_port


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server; `cut()` refuses new connections and drops the open
    ones, `hang()` accepts and never answers, `restore()` forwards again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._forward = True

    async def restore(self) -> None:
        await self._close_server()
        if not self._forward:
            self._drop_connections()  # the held ones
        self._forward = True
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def cut(self) -> None:
        await self._close_server()
        self._drop_connections()

    async def hang(self) -> None:
        await self.cut()
        self._forward = False
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _drop_connections(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.add(client_writer)
        if not self._forward:
            return  # held open, never answered, until cut or restored
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.add(server_writer)
        await asyncio.gather(_pipe(client_reader, server_writer), _pipe(server_reader, client_writer))

    async def close(self) -> None:
        await self.cut()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


def through(database_url: str, port: int) -> str:
    parts = urlsplit(database_url)
    credentials = parts.netloc.rpartition("@")[0]
    return urlunsplit((parts.scheme, f"{credentials}@127.0.0.1:{port}", parts.path, parts.query, parts.fragment))


@contextlib.asynccontextmanager
async def postgres_proxy(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A proxy in front of `database_url`'s server, forwarding, and the URL that goes through it."""
    address = urlsplit(database_url)
    proxy = TcpProxy(address.hostname or "127.0.0.1", address.port or 5432)
    await proxy.restore()
    try:
        yield proxy, through(database_url, proxy.port)
    finally:
        await proxy.close()
