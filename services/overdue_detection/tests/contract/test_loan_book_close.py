"""The loan book's contract for the close (application/ports.py LoanBook), on the fake and on
Postgres: which loans a close reads, the episode states it keeps, the reminders it finds and the
status events it stages."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from overdue_detection.application.ports import EnvelopeFacts, StatusEvent
from overdue_detection.domain.episodes import EpisodeState, Untold
from tideover_contracts.common import Bucket
from tideover_contracts.events.overdue import CureReason, LoanBecameOverdue, LoanCured, OverdueChangeReason, OverdueStatusChanged

from .conftest import Book

D = Decimal
DAY = date(2026, 2, 18)
FACTS = EnvelopeFacts("overdue-detection", datetime(2026, 2, 18, 10, tzinfo=UTC))


async def test_positions_read_overdue_and_episode_loans_that_are_active(book: Book) -> None:
    overdue, closed, planned = [(await book.book()).loan_id for _ in range(3)]
    _current, in_episode = [(await book.book(booked_on=date(2026, 2, 10))).loan_id for _ in range(2)]  # first due 10 March
    await book.port.set_status(closed, status="closed")
    await book.port.set_status(planned, under_plan=True)
    await book.port.save_episodes([(in_episode, EpisodeState(1, date(2026, 2, 16), Bucket.M1, DAY, 0))])
    assert await book.port.accrue_penalties(DAY) == 1  # the first installment of the active loan not under a plan...
    assert await book.port.accrue_penalties(DAY) == 0  # ...once a day
    on_the_due_date = {row["loan_id"] for row in await book.port.positions(date(2026, 2, 15))}
    assert on_the_due_date == {in_episode}  # nothing is overdue on its due date; an episode is read until it ends
    rows = {row["loan_id"]: row for row in await book.port.positions(DAY)}
    assert set(rows) == {overdue, in_episode}
    row = rows[overdue]
    assert (row["oldest_due"], row["principal"], row["interest"], row["fee"], row["penalty"]) == (
        date(2026, 2, 15),
        D("1000.00"),
        D("45.00"),
        D("0.00"),
        D("0.31"),
    )
    assert (row["episode"], row["bucket"], row["overdue_since"], row["untold_kind"], row["paused_days"]) == (
        0,
        "current",
        None,
        None,
        0,
    )
    asked = await book.port.positions(DAY, [planned, closed, uuid.uuid4()], include_under_plan=True)
    assert [(r["loan_id"], r["penalty"]) for r in asked] == [(planned, D(0))]  # no penalty accrued under the plan


async def test_episode_states_are_kept_with_what_waits_untold(book: Book) -> None:
    loan = (await book.book()).loan_id
    untold = Untold("change", (OverdueChangeReason.BUCKET_CHANGED, OverdueChangeReason.WEEKLY), Bucket.M1, CureReason.PAID)
    await book.port.save_episodes([(loan, EpisodeState(2, date(2026, 2, 16), Bucket.M2, DAY, 3, untold))])
    [row] = await book.port.positions(DAY, [loan])
    assert (row["episode"], row["overdue_since"], row["bucket"], row["last_reported_on"], row["paused_days"]) == (
        2,
        date(2026, 2, 16),
        "M2",
        DAY,
        0,
    )
    assert (row["untold_kind"], list(row["untold_reasons"]), row["untold_previous_bucket"], row["untold_cure_reason"]) == (
        "change",
        ["bucket_changed", "weekly"],
        "M1",
        "paid",
    )
    stored = await book.port.get(loan)
    assert stored is not None
    assert (stored.episode, stored.bucket, stored.paused_days) == (2, "M2", 3)
    await book.port.save_episodes([(loan, EpisodeState(2, None, Bucket.CURRENT, DAY, 0))])
    assert await book.port.positions(date(2026, 2, 15)) == []  # nothing overdue, nothing untold


async def test_due_soon_finds_the_installments_to_remind_of(book: Book) -> None:
    loan, planned = (await book.book()).loan_id, (await book.book()).loan_id
    await book.port.set_status(planned, under_plan=True)
    [row] = await book.port.due_soon(date(2026, 2, 12), (3, 1))
    assert (row["loan_id"], row["sequence"], row["due_date"], row["days_before"], row["amount_due"]) == (
        loan,
        1,
        date(2026, 2, 15),
        3,
        D("1045.00"),
    )
    assert row["currency"] == "CNY"
    assert "borrower_id" in row["contact"]
    assert await book.port.due_soon(date(2026, 2, 13), (3, 1)) == []
    # A reminder day settled quietly (the 12th) is reminded at the next close told, with the days left.
    assert [
        (r["sequence"], r["days_before"]) for r in await book.port.due_soon(date(2026, 2, 13), (3, 1), date(2026, 2, 11))
    ] == [(1, 2)]
    assert await book.port.due_soon(date(2026, 2, 15), (3, 1), date(2026, 2, 11)) == []  # due today: no longer ahead


def _event(kind: str, loan_id: uuid.UUID, **fields: object) -> StatusEvent:
    values: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "event_type": kind,
        "loan_id": loan_id,
        "episode": 1,
        "days_past_due": 3,
        "bucket": "M1",
        "oldest_due": date(2026, 2, 15),
        "principal": D("1000.00"),
        "interest": D("45.00"),
        "fee": D("0.00"),
        "penalty": D("0.31"),
        "reasons": [],
        "previous_bucket": "current",
        "cure_reason": "paid",
        "correlation_id": "corr-1",
        "causation_id": uuid.uuid4(),
    }
    return StatusEvent(**{**values, **fields})  # type: ignore[arg-type]


async def test_status_events_are_staged_once_as_the_contracts_read_them(book: Book) -> None:
    loan = (await book.book()).loan_id
    await book.port.accrue_penalties(DAY)
    became = _event("LoanBecameOverdue", loan)
    changed = _event("OverdueStatusChanged", loan, reasons=["payment_applied"], previous_bucket="M1")
    cured = _event("LoanCured", loan, episode=2)
    await book.port.stage_status_events(DAY, [became, changed], FACTS)
    await book.port.stage_status_events(DAY, [became, cured], FACTS)  # became: staged before
    # One statement stages many events: in no order among them (Postgres's INSERT ... SELECT).
    envelopes = sorted(
        await book.status_events(), key=lambda e: ["LoanBecameOverdue", "OverdueStatusChanged", "LoanCured"].index(e.event_type)
    )
    assert [(e.event_id, e.event_type) for e in envelopes] == [
        (became.event_id, "LoanBecameOverdue"),
        (changed.event_id, "OverdueStatusChanged"),
        (cured.event_id, "LoanCured"),
    ]
    first = envelopes[0]
    assert (first.producer, first.occurred_at, first.correlation_id, first.causation_id) == (
        "overdue-detection",
        FACTS.occurred_at,
        "corr-1",
        became.causation_id,
    )
    payload = first.payload
    assert isinstance(payload, LoanBecameOverdue)
    assert (payload.business_date, payload.days_past_due, payload.bucket, payload.oldest_overdue_due_date) == (
        DAY,
        3,
        Bucket.M1,
        date(2026, 2, 15),
    )
    assert payload.overdue.total.amount == D("1045.31")
    assert payload.outstanding_principal.amount == D("3000.00")
    assert [(item.installment.sequence, item.outstanding.amount) for item in payload.remaining_schedule] == [
        (1, D("1045.31")),
        (2, D("1045.00")),
        (3, D("1045.00")),
    ]
    assert (payload.contract_rate, payload.overdue_rate, payload.charges_cap_applied, payload.under_plan) == (
        D("0.0720"),
        D("0.0360"),
        False,
        False,
    )
    assert isinstance(envelopes[1].payload, OverdueStatusChanged)
    assert (envelopes[1].payload.reasons, envelopes[1].payload.previous_bucket) == (
        (OverdueChangeReason.PAYMENT_APPLIED,),
        Bucket.M1,
    )
    assert isinstance(envelopes[2].payload, LoanCured)
    assert (envelopes[2].payload.episode, envelopes[2].payload.reason) == (2, CureReason.PAID)
    assert envelopes[2].payload.outstanding_principal.amount == D("3000.00")
