"""Benchmark of plan-calculation (issue figures; `make bench` runs it).

(a) In-process: the whole option menu and its recommendation for a 36-month loan (one
    installment overdue, 35 to come), over many runs: the common menu (options within the
    agent's authority) and the escalated one (the supervisor's waivers too); and the same
    menu rendered as the PlanOffered JSON the service publishes (version 2, compact), and its
    size in KiB (target ≤ 40 KiB).
(b) The quote endpoint (POST /v1/quotes) of a running service process, for the same 36-month
    position: open loop, a request every 1/rate s whether or not the previous one was answered,
    each latency counted from when its request was due (so a stall counts for every request it
    delays); p50, p99, max and errors (target p99 ≤ 5 ms at 50 requests/s).
(c) Through Kafka: NegotiationRequested published for loans the service already projected,
    to the last PlanOffered read back from plans.offers.v2 (each offer committed with its
    inbox row and published by the outbox relay); one service process, then two in one
    consumer group, beside the raw limit measured in the same run: aiokafka consuming the
    same requests and producing, for each, an offer of the size the service produces (the
    common menu's rendered offer), without our logic.

    python -m benchmarks.plans [--runs 3000] [--quote-seconds 20] [--quote-rate 50] [--negotiations 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx

from benchmarks.common import (
    count_events,
    isolated_infrastructure,
    peak_rss_mib,
    per_processes,
    progress,
    publish,
    raw_relay_limit,
    service_logs,
    wait_for_count,
    write,
)
from benchmarks.common import replicas as benchmark_replicas
from plan_calculation.application.offers import quote, render_offer
from plan_calculation.domain.options import Hardship
from plan_calculation.domain.position import LoanPosition
from tideover_contracts.envelope import wrap
from tideover_contracts.events.negotiation import NegotiationRequested
from tideover_contracts.events.overdue import LoanBecameOverdue, RemainingInstallment
from tideover_contracts.examples import cny, golden_events, schedule
from tideover_contracts.money import Money
from tideover_contracts.topics import NEGOTIATION_APPLICATIONS, OVERDUE_STATUS, PLANS_OFFERS
from tideover_runtime.service_keys import CallerRole
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.processes import ServiceProcess
from tideover_testkit.service_keys import harness_headers, register_harness_keys

BUSINESS_DATE = date(2026, 2, 18)
# 36,000.00 over 36 months at 7.2%, one installment overdue with its penalty, 35 still to come.
POSITION = LoanPosition(
    "CNY",
    BUSINESS_DATE,
    Decimal("1000.00"),
    Decimal("45.00"),
    Decimal(0),
    Decimal("3.15"),
    Decimal("36000.00"),
    Decimal("0.0720"),
    tuple([Decimal("1045.00")] * 35),
    charges_cap=Decimal("0.12"),
)
#: Disposable income 4,000.00: plans within the agent's authority are affordable.
HARDSHIP = Hardship(Money.of("4000.00", "CNY"))
#: 1,453.50: nothing within the agent's authority is (the least of those asks 726.95 a month); the
#: supervisor's deeper waiver brings one to 726.72, so its options are offered too.
ESCALATED = Hardship(Money.of("1453.50", "CNY"))


def percentiles(work: Callable[[], object], runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return round(timings[len(timings) // 2] * 1000, 3), round(timings[int(len(timings) * 0.99) - 1] * 1000, 3)


def rendered(hardship: Hardship) -> str:
    menu = quote(POSITION, hardship, True)
    return render_offer(
        menu,
        offer_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        loan_id=uuid.uuid4(),
        basis_business_date=BUSINESS_DATE,
        valid_until=datetime(2026, 2, 25, 14, tzinfo=UTC),
        supersedes_offer_id=None,
    )


def in_process(runs: int) -> dict[str, object]:
    figures: dict[str, object] = {}
    for name, hardship in (("common", HARDSHIP), ("escalated", ESCALATED)):
        menu = quote(POSITION, hardship, True)
        assert menu.recommended is not None
        assert any(option.needs_supervisor for option in menu.options) == (name == "escalated")
        p50, p99 = percentiles(lambda hardship=hardship: quote(POSITION, hardship, True), runs)
        figures[f"{name}_menu_options"] = len(menu.options)
        figures[f"{name}_menu_schedule_lines"] = sum(option.months for option in menu.options)
        figures[f"{name}_menu_ms_p50"], figures[f"{name}_menu_ms_p99"] = p50, p99
        p50, p99 = percentiles(lambda hardship=hardship: rendered(hardship), max(runs // 3, 100))
        figures[f"{name}_rendered_offer_ms_p50"], figures[f"{name}_rendered_offer_ms_p99"] = p50, p99
        figures[f"{name}_offer_kib"] = round(len(rendered(hardship).encode()) / 1024, 1)
    return figures


def _cny(amount: Decimal) -> dict[str, str]:
    return {"amount": str(amount), "currency": "CNY"}


#: The quote endpoint's request for POSITION and HARDSHIP (income 6,000.00, expenses 2,000.00).
QUOTE = {
    "business_date": BUSINESS_DATE.isoformat(),
    "jurisdiction": "CN",
    "overdue": {
        "principal": _cny(POSITION.principal),
        "interest": _cny(POSITION.interest),
        "fee": _cny(POSITION.fee),
        "penalty": _cny(POSITION.penalty),
    },
    "outstanding_principal": _cny(POSITION.outstanding_principal),
    "contract_rate": str(POSITION.contract_rate),
    "future_installments": [_cny(amount) for amount in POSITION.future_installments],
    "monthly_income": _cny(Decimal("6000.00")),
    "essential_expenses": _cny(Decimal("2000.00")),
    "evidence_verified": True,
}


async def quote_endpoint(logs: Path, seconds: float, rate: float) -> dict[str, object]:
    """POST /v1/quotes of one service process, open loop at `rate` requests/s for `seconds`."""
    async with isolated_infrastructure() as infra:
        register_harness_keys(infra.database_url)
        service = ServiceProcess("plan_calculation", infra.service_env(), logs).start(timeout=300)
        try:
            headers = harness_headers(CallerRole.NEGOTIATION_INTAKE)
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
            async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=10, limits=limits) as http:
                first = await http.post("/v1/quotes", json=QUOTE)
                first.raise_for_status()
                body = first.json()
                assert body["recommended_option_id"]
                assert len(body["options"]) == len(quote(POSITION, HARDSHIP, True).options)
                for _ in range(100):  # warm up: connections, the service's first requests
                    (await http.post("/v1/quotes", json=QUOTE)).raise_for_status()
                progress(f"quote endpoint: {rate:g} requests/s for {seconds:g} s…")
                latencies, errors = await _open_loop(http, seconds, rate)
                progress(f"the floor: GET /healthz, {rate:g} requests/s for {seconds:g} s…")
                floor, floor_errors = await _open_loop(http, seconds, rate, lambda: http.get("/healthz"))
        finally:
            service.stop()
    latencies.sort()
    floor.sort()
    return {
        "quote_answer_kib": round(len(first.content) / 1024, 1),
        "quote_requests": len(latencies) + errors,
        "quote_errors": errors,
        "quote_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
        "quote_ms_p99": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000, 2),
        "quote_ms_max": round(latencies[-1] * 1000, 2),
        # What any request costs here (this client, the service's HTTP stack, no work): the part
        # of the quote's latency that is not the quote.
        "healthz_errors": floor_errors,
        "healthz_ms_p50": round(floor[len(floor) // 2] * 1000, 2),
        "healthz_ms_p99": round(floor[max(int(len(floor) * 0.99) - 1, 0)] * 1000, 2),
    }


async def _open_loop(
    http: httpx.AsyncClient, seconds: float, rate: float, request: Callable[[], Awaitable[httpx.Response]] | None = None
) -> tuple[list[float], int]:
    """Each request (a quote unless told) sent when due; its latency from when it was due to its answer."""
    latencies: list[float] = []
    errors = 0

    async def one(due: float) -> None:
        nonlocal errors
        try:
            answer = await (request() if request else http.post("/v1/quotes", json=QUOTE))
            if answer.status_code != 200:
                errors += 1
                return
        except httpx.HTTPError:
            errors += 1
            return
        latencies.append(time.perf_counter() - due)

    started = time.perf_counter()
    requests = []
    for n in range(round(seconds * rate)):
        due = started + n / rate
        await asyncio.sleep(max(due - time.perf_counter(), 0))
        requests.append(asyncio.create_task(one(due)))
    await asyncio.gather(*requests)
    return latencies, errors


def negotiation_stream(count: int) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """For each of `count` loans: its LoanBecameOverdue (a 36-month loan, the first installment
    overdue) and a NegotiationRequested with proven hardship."""
    examples = {type(event).__name__: event for event in golden_events()}
    installments = schedule("36000.00", 36, date(2026, 2, 15))
    remaining = tuple(RemainingInstallment(installment=item, outstanding=item.total) for item in installments)
    base_overdue = examples["LoanBecameOverdue"].model_copy(
        update={"business_date": BUSINESS_DATE, "outstanding_principal": cny("36000.00"), "remaining_schedule": remaining}
    )
    request = examples["NegotiationRequested"]
    hardship = request.hardship.model_copy(update={"monthly_income": cny("6000.00"), "essential_expenses": cny("2000.00")})
    now = datetime.now(UTC)
    overdue_messages, requests = [], []
    for _ in range(count):
        loan_id = uuid.uuid4()
        overdue: LoanBecameOverdue = base_overdue.model_copy(update={"loan_id": loan_id})
        asked: NegotiationRequested = request.model_copy(
            update={"loan_id": loan_id, "application_id": uuid.uuid4(), "hardship": hardship}
        )
        key = str(loan_id).encode()
        overdue_messages.append((key, wrap(overdue, producer="bench", occurred_at=now).to_bytes()))
        requests.append((key, wrap(asked, producer="bench", occurred_at=now).to_bytes()))
    return overdue_messages, requests


async def offers_through_kafka(
    infra: Infrastructure, stream: tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]], logs: Path, replicas: int
) -> tuple[float, float]:
    """Projections first (not timed); then from the first request published to the last offer read."""
    overdue, requests = stream
    async with benchmark_replicas("plan_calculation", infra, logs, replicas) as services:
        await publish(infra, OVERDUE_STATUS.name, overdue)
        await wait_for_count(infra.database_url, "SELECT count(*) FROM plan_calculation.loan_projections", len(overdue))
        listening = asyncio.Event()
        reader = asyncio.create_task(count_events(infra, PLANS_OFFERS.name, "PlanOffered", len(requests), listening))
        await listening.wait()
        started = time.perf_counter()
        await publish(infra, NEGOTIATION_APPLICATIONS.name, requests)
        finished = await asyncio.wait_for(reader, timeout=900)
        return len(requests) / (finished - started), max(peak_rss_mib(service.pid) for service in services)


async def raw_limit(infra: Infrastructure, requests: list[tuple[bytes, bytes]], offer: bytes) -> float:
    """aiokafka alone: consume the requests and produce an offer of the same size for each."""
    await publish(infra, NEGOTIATION_APPLICATIONS.name, requests)
    return await raw_relay_limit(infra, NEGOTIATION_APPLICATIONS.name, len(requests), PLANS_OFFERS.name, offer)


async def through_kafka(count: int, logs: Path) -> dict[str, object]:
    stream = negotiation_stream(count)
    figures: dict[str, object] = {}
    for replicas in (1, 2):
        async with isolated_infrastructure() as infra:
            rate, rss = await offers_through_kafka(infra, stream, logs, replicas)
        figures[per_processes("negotiations_per_second", replicas)] = round(rate)
        figures.setdefault("service_peak_rss_mib", round(rss, 1))
    async with isolated_infrastructure() as infra:
        raw = await raw_limit(infra, stream[1], rendered(HARDSHIP).encode())
    figures["raw_limit_per_second"] = round(raw)
    figures["ratio_to_raw_2_processes"] = round(figures["negotiations_per_second_2_processes"] / raw, 3)  # type: ignore[operator]
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--quote-seconds", type=float, default=20)
    parser.add_argument("--quote-rate", type=float, default=50)
    parser.add_argument("--negotiations", type=int, default=5000)
    arguments = parser.parse_args()
    logs = service_logs()
    figures = in_process(arguments.runs)
    if arguments.quote_seconds:
        figures |= await quote_endpoint(logs, arguments.quote_seconds, arguments.quote_rate)
    if arguments.negotiations:
        figures |= await through_kafka(arguments.negotiations, logs)
    figures["targets"] = (
        "menu p99 ≤ 2 ms for a 36-month loan; its offer ≤ 40 KiB; quote endpoint p99 ≤ 5 ms at 50 requests/s;"
        " ≥ 1,000 NegotiationRequested/s through Kafka to PlanOffered with two processes"
    )
    write(
        "plans",
        figures,
        {
            "runs": arguments.runs,
            "loan_months": 36,
            "negotiations": arguments.negotiations,
            "quote_seconds": arguments.quote_seconds,
            "quote_requests_per_second": arguments.quote_rate,
            "service_logs": str(logs),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
