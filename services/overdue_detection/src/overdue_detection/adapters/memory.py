"""The loan book in memory: the fake of application/ports.py LoanBook, for unit tests of the use
cases. Plain dicts mirror the tables of adapters/loan_book.py; where its SQL holds the ledger's
rule (accrual, what is owed, paused days) this calls the domain instead. The contract suite
tests/contract/test_loan_book.py holds both to the same behaviour."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from overdue_detection.adapters.loan_rows import INSTALLMENT_COLUMNS, loan_from_row, untold_columns
from overdue_detection.adapters.memory_plans import MemoryPlanRecords
from overdue_detection.adapters.memory_status import status_envelope
from overdue_detection.application.ports import EnvelopeFacts, LedgerParts, StatusEvent
from overdue_detection.domain.delinquency import paused_days
from overdue_detection.domain.episodes import EpisodeState
from overdue_detection.domain.ledger import COMPONENTS, ZERO, ChargePolicy, Installment, Pause, Payment, accrue
from overdue_detection.domain.loan import LoanRow
from overdue_detection.domain.replay import WriteOff
from overdue_detection.domain.statuses import LoanStatus
from tideover_contracts.common import ContactRef, ScheduledInstallment
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.money import Money
from tideover_runtime.unit import Outbox

#: The episode columns of a loan, as booked.
_EPISODE: dict[str, Any] = {
    "episode": 0,
    "overdue_since": None,
    "bucket": "current",
    "last_reported_on": None,
    "paused_days": 0,
    "untold_kind": None,
    "untold_reasons": (),
    "untold_previous_bucket": None,
    "untold_cure_reason": None,
}


class MemoryLoanBook(MemoryPlanRecords):
    """`outbox`: where the status events are staged (the Postgres book writes its outbox table)."""

    def __init__(self, outbox: Outbox) -> None:
        super().__init__()
        self.outbox = outbox
        self.loans: dict[uuid.UUID, dict[str, Any]] = {}  # the columns of table loans
        self.installments: dict[uuid.UUID, dict[int, Installment]] = {}  # by loan, by sequence
        self.repayments: dict[str, tuple[uuid.UUID, Payment]] = {}
        self.calendar: dict[date, datetime] = {}  # the runtime's business_calendar
        self.told: date | None = None  # the runtime's told_closes

    async def record_business_day(self, day: BusinessDayClosed) -> None:
        """What the runtime records before a close is handled (tideover_runtime.clock)."""
        self.calendar.setdefault(day.business_date, day.closed_at)

    async def add_many(self, booked: list[tuple[LoanBooked, ChargePolicy]]) -> None:
        for loan, policy in booked:
            if loan.loan_id in self.loans:
                continue
            b = loan.borrower
            contact = ContactRef(borrower_id=b.borrower_id, locale=b.locale, time_zone=b.time_zone, jurisdiction=b.jurisdiction)
            self.loans[loan.loan_id] = {
                "loan_id": loan.loan_id,
                "borrower_id": b.borrower_id,
                "currency": loan.principal.currency,
                "principal": loan.principal.amount,
                "contract_rate": loan.contract_rate,
                "overdue_rate": loan.overdue_rate,
                "allocation_order": loan.allocation_order.value,
                "contact": contact.model_dump_json(),
                "booked_on": loan.booked_on,
                "jurisdiction": b.jurisdiction.value,
                "cap_rate": policy.cap_rate,
                "penalty_rate": policy.penalty_rate,
                "cap_binds": policy.cap_binds,
                "day_count": policy.day_count,
                "status": LoanStatus.ACTIVE,
                "under_plan": False,
                "credit": ZERO,
                **_EPISODE,
            }
            self.installments[loan.loan_id] = {
                i.sequence: Installment(i.sequence, i.due_date, i.principal.amount, i.interest.amount, i.fee.amount)
                for i in loan.installments
            }

    async def get(self, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanRow | None:
        row = self.loans.get(loan_id)
        return loan_from_row(row) if row else None

    async def get_many(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]:
        return {loan_id: loan_from_row(self.loans[loan_id]) for loan_id in loan_ids if loan_id in self.loans}

    async def set_status(self, loan_id: uuid.UUID, **fields: Any) -> None:
        if loan_id in self.loans:
            if unknown := set(fields) - set(self.loans[loan_id]):
                raise KeyError(f"loans has no column {unknown}")
            self.loans[loan_id].update(fields)

    async def lock(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LoanRow]:
        return {loan_id: loan_from_row(self.loans[loan_id]) for loan_id in sorted(set(loan_ids)) if loan_id in self.loans}

    async def ledgers(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, LedgerParts]:
        """As the SQL orders them: lines by sequence, pauses by start, plans by ordinal, write-offs by
        day; payments in no order (the replay orders them)."""

        def write_off(act: dict[str, Any]) -> WriteOff:
            return WriteOff(act["act_id"], act["business_date"], {c: act[c] for c in COMPONENTS})

        return {
            loan_id: LedgerParts(
                tuple(i for _, i in sorted(self.installments.get(loan_id, {}).items()) if i.plan_id is None),
                tuple(payment for owner, payment in self.repayments.values() if owner == loan_id),
                tuple(Pause(start, end) for start, end in sorted(self.pauses.get(loan_id, {}).items())),
                tuple(sorted((p for owner, p in self.plans.values() if owner == loan_id), key=lambda p: p.ordinal)),
                tuple(
                    write_off(act)
                    for act in sorted(self.ledger_acts.values(), key=lambda act: act["business_date"])
                    if act["loan_id"] == loan_id and act["kind"] == "write_off"
                ),
            )
            for loan_id in loan_ids
        }

    async def save_ledgers(
        self, ledgers: dict[uuid.UUID, tuple[tuple[Installment, ...], Decimal]], with_plans: set[uuid.UUID] | None = None
    ) -> None:
        written = [name for name in INSTALLMENT_COLUMNS if name not in ("sequence", "due_date", "principal", "interest", "fee")]
        for loan_id, (lines, _) in ledgers.items():
            book = self.installments.get(loan_id, {})
            for line in lines:
                if line.plan_id is None and line.sequence in book:
                    book[line.sequence] = replace(book[line.sequence], **{name: getattr(line, name) for name in written})
        for loan_id in ledgers if with_plans is None else with_plans:
            book = self.installments.get(loan_id, {})
            for sequence in [sequence for sequence, line in book.items() if line.plan_id is not None]:
                del book[sequence]
        for loan_id, (lines, credit) in ledgers.items():
            self.installments.setdefault(loan_id, {}).update({line.sequence: line for line in lines if line.plan_id is not None})
            if loan_id in self.loans:
                self.loans[loan_id]["credit"] = credit

    async def record_payments(self, payments: list[RepaymentReceived]) -> set[str]:
        recorded = set()
        for p in payments:
            if p.payment_id not in self.repayments:
                self.repayments[p.payment_id] = (p.loan_id, Payment(p.payment_id, p.amount.amount, p.value_date, p.received_at))
                recorded.add(p.payment_id)
        return recorded

    async def last_payments(self, loan_id: uuid.UUID, limit: int = 10) -> list[Any]:
        mine = sorted((p for owner, p in self.repayments.values() if owner == loan_id), key=lambda p: p.payment_id)
        mine.sort(key=lambda p: p.value_date, reverse=True)
        return [{"payment_id": p.payment_id, "amount": p.amount, "value_date": p.value_date} for p in mine[:limit]]

    async def last_business_date(self) -> date | None:
        return max(self.calendar, default=None)

    async def closed_days_around(self, business_date: date) -> tuple[date | None, date | None]:
        return (
            max((day for day in self.calendar if day < business_date), default=None),
            min((day for day in self.calendar if day > business_date), default=None),
        )

    # --- the business-day close ----------------------------------------------------------

    def _lines(self, loan_id: uuid.UUID) -> list[Installment]:
        return list(self.installments.get(loan_id, {}).values())

    def _pauses(self, loan_id: uuid.UUID) -> tuple[Pause, ...]:
        return tuple(Pause(start, end) for start, end in sorted(self.pauses.get(loan_id, {}).items()))

    async def accrue_penalties(self, business_date: date) -> int:
        """The rows the SQL updates (adapters/closing_sql.py), accrued by the domain (domain/ledger.py accrue)."""
        count = 0
        for loan_id, loan in self.loans.items():
            if loan["status"] != LoanStatus.ACTIVE or loan["under_plan"]:
                continue
            policy = loan_from_row(loan).policy
            for sequence, i in self.installments.get(loan_id, {}).items():
                since = max(i.due_date, i.accrued_through or i.due_date)
                unpaid = i.paid_principal + i.paid_interest < i.principal + i.interest
                if i.accrues and unpaid and i.penalty_base > 0 and i.due_date < business_date and since < business_date:
                    self.installments[loan_id][sequence] = accrue(i, business_date, policy, self._pauses(loan_id))
                    count += 1
        return count

    async def positions(
        self, business_date: date, loan_ids: list[uuid.UUID] | None = None, *, include_under_plan: bool = False
    ) -> list[Any]:
        if loan_ids is None:
            loan_ids = [loan_id for loan_id in self.loans if self._may_be_overdue(loan_id, business_date)]
        rows = []
        for loan_id in loan_ids:
            loan = self.loans.get(loan_id)
            if loan is None or loan["status"] != LoanStatus.ACTIVE or (loan["under_plan"] and not include_under_plan):
                continue
            overdue = [
                (i.due_date, owed)
                for i in self._lines(loan_id)
                if i.due_date < business_date and sum((owed := i.owed(loan["day_count"])).values(), start=ZERO) > 0
            ]
            oldest_due = min((due for due, _ in overdue), default=None)
            rows.append(
                {
                    **{c: loan[c] for c in ("loan_id", "currency", *_EPISODE)},
                    "oldest_due": oldest_due,
                    **{c: sum((owed[c] for _, owed in overdue), start=ZERO) for c in COMPONENTS},
                    "paused_days": paused_days(self._pauses(loan_id), oldest_due, business_date),
                }
            )
        return rows

    def _may_be_overdue(self, loan_id: uuid.UUID, business_date: date) -> bool:
        """The SQL's candidates: an unpaid line due before the day, or an episode (or news) open."""
        loan = self.loans[loan_id]
        return (
            loan["overdue_since"] is not None
            or loan["untold_kind"] is not None
            or any(
                i.due_date < business_date
                and i.rescheduled_by is None
                and i.paid_principal + i.paid_interest + i.paid_fee < i.principal + i.interest + i.fee
                for i in self._lines(loan_id)
            )
        )

    async def remaining_schedules(self, loan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[ScheduledInstallment, Decimal]]]:
        schedules: dict[uuid.UUID, list[tuple[ScheduledInstallment, Decimal]]] = {}
        for loan_id in loan_ids:
            if (loan := self.loans.get(loan_id)) is None:
                continue
            currency = loan["currency"]
            for i in sorted(self._lines(loan_id), key=lambda i: i.sequence):
                if (owed := i.outstanding(loan["day_count"])) > 0:
                    scheduled = ScheduledInstallment.model_construct(
                        sequence=i.sequence,
                        due_date=i.due_date,
                        principal=Money.trusted(i.principal, currency),
                        interest=Money.trusted(i.interest, currency),
                        fee=Money.trusted(i.fee, currency),
                    )
                    schedules.setdefault(loan_id, []).append((scheduled, owed))
        return schedules

    async def save_episodes(self, states: list[tuple[uuid.UUID, EpisodeState]]) -> None:
        for loan_id, state in states:
            kind, reasons, previous, cure = untold_columns(state.untold)
            if loan_id in self.loans:
                self.loans[loan_id].update(
                    episode=state.episode,
                    overdue_since=state.overdue_since,
                    bucket=state.bucket.value,
                    last_reported_on=state.last_reported_on,
                    paused_days=state.paused_days,
                    untold_kind=kind,
                    untold_reasons=reasons,
                    untold_previous_bucket=previous,
                    untold_cure_reason=cure,
                )

    async def tell_close(self, business_date: date) -> date | None:
        before, self.told = self.told, business_date if self.told is None else max(self.told, business_date)
        return before + timedelta(days=1) if before is not None and before < business_date else None

    async def stage_status_events(self, business_date: date, events: list[StatusEvent], facts: EnvelopeFacts) -> None:
        envelopes = [
            status_envelope(event, business_date, facts, self.loans[event.loan_id], self._lines(event.loan_id))
            for event in events
        ]
        await self.outbox.stage(envelopes)

    async def due_soon(self, business_date: date, days_before: tuple[int, ...], since: date | None = None) -> list[Any]:
        rows = []
        for loan_id, loan in self.loans.items():
            if loan["status"] != LoanStatus.ACTIVE or loan["under_plan"]:
                continue
            for i in self._lines(loan_id):
                reminded = any((since or business_date) <= i.due_date - timedelta(days=d) <= business_date for d in days_before)
                if i.due_date > business_date and reminded and (owed := i.outstanding(loan["day_count"])) > 0:
                    rows.append(
                        {
                            "loan_id": loan_id,
                            "sequence": i.sequence,
                            "due_date": i.due_date,
                            "days_before": (i.due_date - business_date).days,
                            "amount_due": owed,
                            "currency": loan["currency"],
                            "contact": loan["contact"],
                        }
                    )
        return rows
