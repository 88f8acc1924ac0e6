"""The door of intake's HTTP face (issue 17, L2 and M3): the caller's key is checked before the
body is read and the body is bounded (tideover_runtime.door, for every /v1 route but the open
ones: the borrower's, where the code is the credential), and every refused answer, whatever
refused it, is kept with its reason.

An answer of 400 or more is kept in `refused_requests` (adapters/refusals.py, bounded against
floods) unless the audit log has the request already (a change refused by a rule)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from fastapi import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from negotiation_intake.adapters.refusals import Refusal, RefusalLog, stop_watching, watching
from negotiation_intake.application.ports import Agent
from tideover_runtime.clock import Clock
from tideover_runtime.door import KeyFirst
from tideover_runtime.refusals import UNWATCHED, Answer

log = structlog.get_logger(__name__)

#: The presented key's id (tdo_<id>_<secret>), kept for a refused key: never the secret.
KEY_ID_LENGTH = 12
#: A path that carries a credential, kept without it: the borrower's link (/b/<token>, issue 21),
#: anything under /b/ but the page's own paths (entrypoints/borrower_page).
CREDENTIAL_IN_PATH = re.compile(r"^/b/(?!(?:static|language|leave|left|plan|help)(?:/|$))[^/]+")


@dataclass
class Door:
    """ASGI middleware: see the module's docstring. `authenticate` is the API's own key check
    (401 as an HTTPException)."""

    app: ASGIApp
    authenticate: Callable[[Request], Awaitable[Agent]]
    refusals: RefusalLog
    #: The service's clock, once it has started: when a refusal happened.
    clock: Callable[[], Clock]
    #: The most bytes a body may have, by method and path.
    body_limit: Callable[[str, str], int]
    keyed_prefix: str = "/v1/"
    open_paths: frozenset[str] = field(default_factory=frozenset)
    #: The 413 a page answers in HTML (entrypoints/too_large.py); None: problem+json.
    too_large: Callable[[Request, int], Response | None] = field(default=lambda _request, _limit: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNWATCHED:
            await self.app(scope, receive, send)
            return
        answer = Answer()
        watch, token = watching()
        try:
            await self._serve(scope, receive, answer.watching(send))
        except Exception as error:
            answer.status, answer.failure = answer.status or 500, type(error).__name__
            raise
        finally:
            stop_watching(token)
            # A request that failed may have had its audit entry rolled back: kept whatever the watch says.
            if answer.status >= 400 and (answer.failure or not watch.audited):
                await self._keep(scope, answer)

    def __post_init__(self) -> None:
        self._serve = KeyFirst(
            self.app,
            self.authenticate,
            self.body_limit,
            state_key="agent",
            keyed_prefix=self.keyed_prefix,
            open_paths=self.open_paths,
            too_large=self.too_large,
        )

    async def _keep(self, scope: Scope, answer: Answer) -> None:
        agent = scope.get("state", {}).get("agent")
        try:
            await self.refusals.record(
                Refusal(
                    at=self.clock().now(),
                    status=answer.status,
                    reason=answer.reason(),
                    detail=answer.detail(),
                    method=scope["method"],
                    path=kept_path(scope["path"]),
                    client=scope["client"][0] if scope.get("client") else None,
                    agent_id=agent.agent_id if isinstance(agent, Agent) else None,
                    role=agent.role.value if isinstance(agent, Agent) else None,
                    key_id=agent.key_id if isinstance(agent, Agent) else _presented_key_id(scope),
                )
            )
        except Exception as error:  # the answer has gone already: whatever fails here goes to the log alone
            log.exception("refused request not kept", error=repr(error), status=answer.status, path=kept_path(scope["path"]))


def _presented_key_id(scope: Scope) -> str | None:
    """The id part of a key that was presented and refused, if it has the form of one."""
    presented = Request(scope).headers.get("x-api-key", "")
    prefix, _, rest = presented.partition("_")
    key_id = rest.partition("_")[0]
    return key_id if prefix == "tdo" and len(key_id) == KEY_ID_LENGTH and key_id.isalnum() and key_id.isascii() else None


def kept_path(path: str) -> str:
    """`path` as a refusal keeps it: bounded, and with no credential (CREDENTIAL_IN_PATH)."""
    return CREDENTIAL_IN_PATH.sub("/b/{token}", path)[:1000]
