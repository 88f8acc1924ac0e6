"""Benchmark of negotiation-intake's HTTP API (issue figures; `make bench` runs it).

An agent's mixed load on the running service, open loop: requests start at a fixed rate
(200 a second for 60 s) whether or not earlier ones have answered, and each one's latency is
measured from the moment it was due, so a stall shows up in the figures instead of slowing the
load down. The service first takes in LoanBecameOverdue for `--loans` loans through Kafka (not
timed); every request carries an agent's API key. The mix:

- 60% GET /v1/loans/{id} of a random known loan (200);
- 25% POST /v1/applications on a loan not applied for before, with an Idempotency-Key (201);
- 15% POST /v1/applications/{id}/evidence, a PDF on an application opened earlier in the run
  (201; a loan view while none is open yet).

Any other status, or no answer, is an error. Figures: p50 and p99 over all requests and p99 of
each kind, the rate achieved, errors, and the service's peak RSS.

    python -m benchmarks.intake [--rate 200] [--seconds 60] [--loans 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import httpx

from benchmarks.common import isolated_infrastructure, peak_rss_mib, publish, service_logs, write
from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.examples import golden_events
from tideover_contracts.topics import OVERDUE_STATUS
from tideover_testkit.journeys import PROOF_PDF, hardship_application
from tideover_testkit.processes import ServiceProcess

VIEW, CREATE, UPLOAD = "loan_view", "create", "upload"
MIX = {VIEW: 60, CREATE: 25, UPLOAD: 15}
EXPECTED = {VIEW: 200, CREATE: 201, UPLOAD: 201}
SEED = 20260218


def overdue_events(loans: list[uuid.UUID]) -> list[tuple[bytes, bytes]]:
    """A LoanBecameOverdue (the golden example) for each loan, keyed by the loan as upstream keys it."""
    example = {type(event).__name__: event for event in golden_events()}["LoanBecameOverdue"]
    now = datetime.now(UTC)
    return [
        (
            str(loan_id).encode(),
            wrap(example.model_copy(update={"loan_id": loan_id}), producer="bench", occurred_at=now).to_bytes(),
        )
        for loan_id in loans
    ]


async def wait_for_loan_views(database_url: str, wanted: int, timeout: float = 300) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(timeout):
            while await connection.fetchval("SELECT count(*) FROM negotiation_intake.loan_views") < wanted:
                await asyncio.sleep(0.2)
    finally:
        await connection.close()


@dataclass
class Load:
    """The known loans, those not yet applied for, the applications opened so far, and what each
    request took (its kind, seconds from when it was due, and whether it answered as expected)."""

    http: httpx.AsyncClient
    loans: list[uuid.UUID]
    rng: random.Random
    fresh: list[uuid.UUID] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    results: list[tuple[str, float, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fresh = self.rng.sample(self.loans, len(self.loans))

    async def request(self, kind: str, due: float) -> None:
        if kind == UPLOAD and not self.applications:
            kind = VIEW
        try:
            if kind == VIEW:
                response = await self.http.get(f"/v1/loans/{self.rng.choice(self.loans)}")
            elif kind == CREATE:
                response = await self.http.post(
                    "/v1/applications",
                    json=hardship_application(self.fresh.pop()),
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
            else:
                response = await self.http.post(
                    f"/v1/applications/{self.rng.choice(self.applications)}/evidence",
                    data={"kind": "unemployment_proof"},
                    files={"file": ("proof.pdf", PROOF_PDF, "application/pdf")},
                )
            ok = response.status_code == EXPECTED[kind]
            if ok and kind == CREATE:
                self.applications.append(response.json()["application_id"])
        except Exception:  # no answer, or not the answer expected: an error like any other
            ok = False
        self.results.append((kind, time.perf_counter() - due, ok))

    async def run(self, rate: float, seconds: float) -> float:
        """Start `rate` requests a second for `seconds`, each at its time; wait for the last
        answer and return the seconds from the first start to it."""
        kinds = self.rng.choices(list(MIX), weights=list(MIX.values()), k=round(rate * seconds))
        if (creates := kinds.count(CREATE)) > len(self.fresh):
            raise SystemExit(f"{creates} applications to open but only {len(self.fresh)} loans: raise --loans")
        # A full collection of this process's heap (the setup's objects) pauses it for ~100 ms,
        # which would count as the service's latency: freeze the heap, keep no finished tasks.
        gc.collect()
        gc.freeze()
        pending: set[asyncio.Task[None]] = set()
        started = time.perf_counter()
        for n, kind in enumerate(kinds):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(self.request(kind, due))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        return time.perf_counter() - started


def percentile(seconds: list[float], share: float) -> float | None:
    """The nearest-rank percentile, in milliseconds."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    return round(ordered[max(0, math.ceil(len(ordered) * share) - 1)] * 1000, 1)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200, help="requests started a second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--loans", type=int, default=4000, help="overdue loans known to intake (one per application)")
    arguments = parser.parse_args()
    logs = service_logs()
    loans = [uuid.uuid4() for _ in range(arguments.loans)]
    async with isolated_infrastructure() as infra:
        service = ServiceProcess("negotiation_intake", infra.service_env(), logs).start(timeout=300)
        try:
            await publish(infra, OVERDUE_STATUS.name, overdue_events(loans))
            await wait_for_loan_views(infra.database_url, len(loans))
            key = await issue_key(infra.database_url, "bench-agent", Role.AGENT)
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
            async with httpx.AsyncClient(base_url=service.url, headers={"X-API-Key": key}, limits=limits, timeout=30) as http:
                load = Load(http, loans, random.Random(SEED))
                elapsed = await load.run(arguments.rate, arguments.seconds)
            rss = peak_rss_mib(service.pid)
        finally:
            service.stop()
    latencies = [seconds for _, seconds, _ in load.results]
    figures: dict[str, object] = {
        "requests": len(load.results),
        "achieved_requests_per_second": round(len(load.results) / elapsed, 1),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": percentile(latencies, 1.0),
        "errors": sum(1 for *_, ok in load.results if not ok),
    }
    for kind in MIX:
        figures[f"{kind}_p99_ms"] = percentile([seconds for done, seconds, _ in load.results if done == kind], 0.99)
    figures["service_peak_rss_mib"] = round(rss, 1)
    figures["targets"] = "200 requests/s for 60 s, p99 ≤ 50 ms, no errors"
    write(
        "intake",
        figures,
        {"rate": arguments.rate, "seconds": arguments.seconds, "loans": arguments.loans, "service_logs": str(logs)},
    )


if __name__ == "__main__":
    asyncio.run(main())
