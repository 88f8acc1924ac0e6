"""Refused requests are kept within a bound, so that a flood cannot fill the disk (issue 17, M3):
so many a minute from one caller, so many from unauthenticated callers together; the rest are
counted by caller, for the minute's summary. The query services log theirs (LoggedRefusals):
each with its reason and the key's id, within the bound, and a summary of the rest."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from starlette.types import Scope
from structlog.testing import capture_logs

from tideover_runtime.http import build_http_app
from tideover_runtime.refusals import NAMED_IN_SUMMARY, Budget, LoggedRefusals


def kept(budget: Budget, callers: list[tuple[str, bool]], at: float) -> int:
    return sum(budget.admit(caller, anonymous, at) for caller, anonymous in callers)


def test_one_caller_is_kept_so_many_a_minute_and_the_rest_counted() -> None:
    budget = Budget(per_caller=3, anonymous=100)

    assert kept(budget, [("address 203.0.113.9", True)] * 50, at=0.0) == 3
    assert kept(budget, [("address 198.51.100.7", True)] * 2, at=1.0) == 2  # another caller has their own bound
    assert budget.take_dropped(0) == Counter({"address 203.0.113.9": 47})
    assert budget.take_dropped(0) == Counter()  # taken once


def test_unauthenticated_callers_together_are_bounded_and_agents_are_not_held_up_by_them() -> None:
    budget = Budget(per_caller=3, anonymous=10)
    many_addresses = [(f"address 10.0.{n // 256}.{n % 256}", True) for n in range(1000)]

    assert kept(budget, many_addresses, at=5.0) == 10
    assert kept(budget, [("key 0123456789ab", False)] * 5, at=6.0) == 3
    dropped = budget.take_dropped(0)
    assert dropped.total() == 990 + 2
    assert len(dropped) == NAMED_IN_SUMMARY + 1  # the first callers by name, the rest as `others`
    assert dropped["others"] == 990 + 2 - NAMED_IN_SUMMARY


def test_the_bound_starts_again_each_minute() -> None:
    budget = Budget(per_caller=3, anonymous=10)

    assert kept(budget, [("address 203.0.113.9", True)] * 5, at=59.9) == 3
    assert kept(budget, [("address 203.0.113.9", True)] * 5, at=60.0) == 3
    assert (budget.take_dropped(0), budget.take_dropped(1)) == (
        Counter({"address 203.0.113.9": 2}),
        Counter({"address 203.0.113.9": 2}),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def caller_of(scope: Scope) -> dict[str, str] | None:
    key = scope.get("state", {}).get("key")
    return {"key_id": key, "caller": "console", "role": "operator"} if key else None


def logged_api(clock: Clock) -> FastAPI:
    app = build_http_app("tiny", {})

    @app.get("/v1/loans/{number}")
    async def loan(number: int, request: Request) -> dict[str, int]:
        if number == 404:
            raise HTTPException(404, "No such loan")
        return {"number": number}

    async def who(scope: Scope, receive: Any, send: Any) -> None:
        key = dict(scope["headers"]).get(b"x-key")
        if key:
            scope.setdefault("state", {})["key"] = key.decode()
        await inner(scope, receive, send)

    inner = app.build_middleware_stack()
    budget = Budget(per_caller=2, anonymous=3)
    return LoggedRefusals(who, caller_of=caller_of, presented_key_id=lambda _: "madeupkey123", monotonic=clock, budget=budget)  # type: ignore[return-value]


async def test_each_refusal_is_logged_with_its_reason_within_the_bound_and_the_rest_summarised() -> None:
    clock = Clock()
    transport = httpx.ASGITransport(app=logged_api(clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as http:
        with capture_logs() as logs:
            await http.get("/v1/loans/1")  # answered: not a refusal
            await http.get("/healthz")
            for _ in range(5):
                await http.get("/v1/loans/404", headers={"x-key": "abcdefabcdef"})
            for _ in range(5):
                await http.get("/v1/loans/one")
            clock.now = 61.0
            await http.get("/v1/loans/404")

    refused = [entry for entry in logs if entry["event"] == "query refused"]
    [summary] = [entry for entry in logs if entry["event"] == "refusals over the bound"]
    keyed = [entry for entry in refused if entry["key_id"] == "abcdefabcdef"]
    assert [(entry["status"], entry["reason"], entry["role"]) for entry in keyed] == [(404, "No such loan", "operator")] * 2
    anonymous = [entry for entry in refused if entry["key_id"] == "madeupkey123"]
    assert [(entry["status"], entry["reason"]) for entry in anonymous] == [(422, "Invalid request")] * 2 + [(404, "No such loan")]
    assert summary["dropped"] == 3 + 3
    assert "key abcdefabcdef: 3" in summary["detail"]
    assert "address 127.0.0.1: 3" in summary["detail"]
