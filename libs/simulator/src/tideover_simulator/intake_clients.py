"""The agent's, the supervisor's and the borrower's clients on the intake API, with keys issued
by intake's own CLI as an operator issues them."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from tideover_simulator.agent import Agent
from tideover_simulator.clients import service_client
from tideover_simulator.phones import Phones

#: Awaited before each request the agent, the supervisor or a borrower sends to intake.
RequestHook = Callable[[httpx.Request], Awaitable[None]]


async def issue_key(database_url: str, agent_id: str, role: str) -> str:
    """An API key of `role` for `agent_id`, made by intake's own CLI as an operator makes one
    (`tideover-intake-keys create`): the simulator talks to intake through its API and CLI only."""
    command = shutil.which("tideover-intake-keys", path=str(Path(sys.executable).parent)) or "tideover-intake-keys"
    process = await asyncio.create_subprocess_exec(
        command,
        "create",
        "--agent-id",
        agent_id,
        "--role",
        role,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"tideover-intake-keys create failed ({process.returncode}): {err.decode().strip()}")
    return out.decode().strip()


class IntakeClients:
    """The agent's, the supervisor's and the borrower's clients on the intake API (keys issued on
    the intake database as `tideover-intake-keys create` does)."""

    def __init__(self, database_url: str, intake: str, phones: Phones, failed: list[str], hook: RequestHook | None) -> None:
        self._database_url, self._intake, self._phones = database_url, intake, phones
        self._failed, self._hook = failed, hook
        self._clients: list[httpx.AsyncClient] = []

    async def __aenter__(self) -> Agent:
        agent_key = await issue_key(self._database_url, "sim-agent", "agent")
        supervisor_key = await issue_key(self._database_url, "sim-supervisor", "supervisor")
        self._clients = [
            service_client(self._intake, self._failed, headers)
            for headers in ({"X-API-Key": agent_key}, {"X-API-Key": supervisor_key}, {})
        ]
        if self._hook is not None:
            for client in self._clients:
                client.event_hooks["request"].append(self._hook)
        agent, supervisor, borrower = self._clients
        return Agent(agent, supervisor, borrower, self._phones)

    async def __aexit__(self, *_: object) -> None:
        for client in self._clients:
            await client.aclose()
