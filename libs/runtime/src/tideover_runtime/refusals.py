"""Every refused request is audited with its reason, within a bound so that a flood cannot fill
the disk (issue 17, M3 and Deliver 5).

`Answer` watches what a service answered (the status, and the problem document that says why);
`Budget` says which refusals are kept: at most PER_CALLER_A_MINUTE a minute from one caller (an
authenticated key; else the client's address) and ANONYMOUS_A_MINUTE from all unauthenticated
callers together, per process; the rest are counted by caller for a summary.

negotiation-intake keeps its refusals in a table (negotiation_intake/adapters/refusals.py, with
`GET /v1/audit/refusals`). The query services keep theirs in the log: `LoggedRefusals`, which
service_auth.guard puts in front of their routes, writes one `query refused` line a refusal (the
key's id, never the key) and, at the first refusal after a minute with refusals over the bound,
one `refusals over the bound` line with what it counted instead."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tideover_runtime.http import PROBLEM_JSON

log = structlog.get_logger(__name__)

PER_CALLER_A_MINUTE = 10
ANONYMOUS_A_MINUTE = 60
WINDOW_SECONDS = 60.0
#: Callers a summary names by name; the rest are counted together as `others`.
NAMED_IN_SUMMARY = 20
#: Probes and scrapes: never refused for a reason worth keeping.
UNWATCHED = frozenset({"/healthz", "/readyz", "/metrics"})
#: What of a problem document is read for its reason (ours are a few hundred bytes).
PROBLEM_BYTES = 16 * 1024
DETAIL_CHARACTERS = 500
#: As a service answers an unexpected error (tideover_runtime.http).
UNEXPECTED = "Internal server error"


@dataclass
class Answer:
    """What was answered: the status, and the problem document if it was one."""

    status: int = 0
    problem: bytes = b""
    is_problem: bool = False
    #: The kind of error that ended the request unanswered (answered 500 further out).
    failure: str | None = None

    def watching(self, send: Send) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                headers = dict(message.get("headers", []))
                self.is_problem = headers.get(b"content-type", b"").startswith(PROBLEM_JSON.encode())
            elif message["type"] == "http.response.body" and self.is_problem and len(self.problem) < PROBLEM_BYTES:
                self.problem += message.get("body", b"")
            await send(message)

        return watched

    def document(self) -> dict[str, Any]:
        """The problem document answered; for a failure, one that names its kind."""
        try:
            body = json.loads(self.problem)
        except ValueError:
            body = None
        if isinstance(body, dict) and body:
            return body
        return {"title": UNEXPECTED, "detail": self.failure} if self.failure else {}

    def reason(self) -> str:
        """Why: the problem's rule, else its title, else the status's phrase."""
        document = self.document()
        return str(document.get("rule") or document.get("title") or phrase(self.status))

    def detail(self) -> str | None:
        detail = self.document().get("detail")
        return str(detail)[:DETAIL_CHARACTERS] if detail else None


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


class Budget:
    """Which refusals are kept: PER_CALLER_A_MINUTE a window from one caller, and
    ANONYMOUS_A_MINUTE from unauthenticated callers together; the others are counted by window."""

    def __init__(
        self, per_caller: int = PER_CALLER_A_MINUTE, anonymous: int = ANONYMOUS_A_MINUTE, window_seconds: float = WINDOW_SECONDS
    ) -> None:
        self.per_caller, self.anonymous, self._window_seconds = per_caller, anonymous, window_seconds
        self._window = -1
        self._kept: Counter[str] = Counter()
        self._anonymous_kept = 0
        self._dropped: dict[int, Counter[str]] = {}

    def window(self, now: float) -> int:
        return int(now // self._window_seconds)

    def window_end(self, window: int) -> float:
        return (window + 1) * self._window_seconds

    def admit(self, caller: str, anonymous: bool, now: float) -> bool:
        """Whether to keep a refusal from `caller` at `now` (monotonic seconds); if not, it is counted."""
        window = self.window(now)
        if window != self._window:
            self._window, self._kept, self._anonymous_kept = window, Counter(), 0
        if self._kept[caller] < self.per_caller and not (anonymous and self._anonymous_kept >= self.anonymous):
            self._kept[caller] += 1
            self._anonymous_kept += anonymous
            return True
        dropped = self._dropped.setdefault(window, Counter())
        dropped[caller if caller in dropped or len(dropped) < NAMED_IN_SUMMARY else "others"] += 1
        return False

    def take_dropped(self, window: int) -> Counter[str]:
        """The refusals not kept in `window`, by caller; forgotten here once taken."""
        return self._dropped.pop(window, Counter())

    def take_dropped_before(self, window: int) -> Counter[str]:
        """The refusals not kept in the windows before `window`, together; forgotten once taken."""
        taken: Counter[str] = Counter()
        for earlier in [each for each in self._dropped if each < window]:
            taken += self._dropped.pop(earlier)
        return taken


def over_the_bound(budget: Budget, dropped: Counter[str]) -> str:
    """What a summary says of the refusals counted and not kept."""
    counted = "; ".join(f"{caller}: {count}" for caller, count in dropped.most_common())
    return (
        f"refusals over the bound of {budget.per_caller} a minute a caller, {budget.anonymous} unauthenticated"
        f" in all, counted and not kept: {counted}"
    )


@dataclass
class LoggedRefusals:
    """ASGI middleware: each answer of 400 or more (or an error that ended the request) is logged
    with its reason within the Budget; see the module's docstring. `caller_of` names the caller
    the door authenticated, from the request's state (None: unauthenticated), and
    `presented_key_id` the id of a key that came and was refused."""

    app: ASGIApp
    caller_of: Callable[[Scope], dict[str, str] | None]
    presented_key_id: Callable[[Scope], str | None]
    monotonic: Callable[[], float]
    budget: Budget = field(default_factory=Budget)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNWATCHED:
            await self.app(scope, receive, send)
            return
        answer = Answer()
        try:
            await self.app(scope, receive, answer.watching(send))
        except Exception as error:
            answer.status, answer.failure = answer.status or 500, type(error).__name__
            raise
        finally:
            if answer.status >= 400:
                self._log(scope, answer)

    def _log(self, scope: Scope, answer: Answer) -> None:
        now = self.monotonic()
        caller = self.caller_of(scope)
        client = scope["client"][0] if scope.get("client") else None
        if dropped := self.budget.take_dropped_before(self.budget.window(now)):
            log.warning("refusals over the bound", dropped=dropped.total(), detail=over_the_bound(self.budget, dropped))
        counted_as = f"key {caller['key_id']}" if caller else f"address {client or 'unknown'}"
        if not self.budget.admit(counted_as, caller is None, now):
            return
        who: dict[str, str | None] = {**caller} if caller else {"key_id": self.presented_key_id(scope)}
        log.warning(
            "query refused",
            status=answer.status,
            reason=answer.reason(),
            detail=answer.detail(),
            method=scope["method"],
            path=scope["path"][:1000],
            client=client,
            **who,
        )
