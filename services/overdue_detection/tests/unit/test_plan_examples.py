"""Plans in the ledger by example (DESIGN.md §3a): the case of issue 15, and a payment on the
quote's basis date; the laws over random loans are in test_ledger_laws.py."""

from __future__ import annotations

import uuid
from datetime import date

from overdue_detection.domain.ledger import COMPONENTS, ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms, covered
from overdue_detection.domain.replay import replay
from tideover_contracts.events.loans import AllocationOrder
from tideover_contracts.events.negotiation import PlanEffect

from .test_ledger_laws import CN, ZERO, D, add_months, parts, split


class TestTheCaseOfIssue15:
    """Six installments of 7,652.90; the first half paid; an arrears plan of three months over
    the arrears; the borrower pays only the plan's parts. Nothing the borrower did not pay leaves
    the book: installments 4–6 stay owed, and none of 1–4 is settled."""

    schedule = tuple(Installment(n, add_months(date(2026, 1, 15), n - 1), D("7000.00"), D("652.90"), D("0")) for n in range(1, 7))

    def test_only_the_plan_parts_paid_leave_the_regular_installments_owed(self) -> None:
        paid = (
            Payment("p1", D("7652.90"), date(2026, 1, 15)),
            Payment("p2", D("7652.90"), date(2026, 2, 15)),
            Payment("p3", D("7652.90"), date(2026, 3, 15)),
        )
        basis = date(2026, 4, 20)
        before = replay(self.schedule, paid, basis, CN, AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL)
        fourth = before.installments[3].owed(365)
        lines = tuple(
            PlanLine(n, add_months(basis, n), *(split(fourth[c], 3)[n - 1] for c in ("principal", "interest", "fee", "penalty")))
            for n in (1, 2, 3)
        )
        plan = PlanTerms(uuid.uuid4(), 1, PlanEffect.ARREARS, basis, basis, lines, {}, "completed", date(2026, 7, 20))
        plan_payments = tuple(
            Payment(
                f"plan{n}",
                sum((getattr(line, c) for c in ("principal", "interest", "fee", "penalty")), start=ZERO),
                line.due_date,
            )
            for n, line in enumerate(lines)
        )
        after = replay(
            self.schedule,
            paid + plan_payments,
            date(2026, 7, 21),
            CN,
            AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL,
            (Pause(basis, date(2026, 7, 20)),),
            (plan,),
        )
        owed_principal = sum((line.owed(365)["principal"] for line in after.installments), start=ZERO)
        # The plan payments went to the oldest obligations first: installment 5 (due 15 May)
        # before the plan's first line (due 20 May), and so on; what is owed is what was not paid.
        paid_total = sum((p.amount for p in paid + plan_payments), start=ZERO)
        assert (
            sum((line.outstanding(365) for line in after.installments), start=ZERO)
            == sum((line.charged(365)[c] for line in after.installments for c in COMPONENTS), start=ZERO)
            - parts(after, "rescheduled", "principal")
            - parts(after, "rescheduled", "interest")
            - parts(after, "rescheduled", "penalty")
            - paid_total
        )
        assert owed_principal >= D("14000.00")  # installments 5 and 6, or their equivalent, still owed
        assert not any(line.rescheduled_by for line in after.installments if line.sequence in (5, 6))


def test_a_payment_on_the_basis_date_is_in_the_quote_when_the_plan_is_activated_that_day() -> None:
    """The quote saw a payment value-dated on its basis date (here paying the penalty first):
    activated the same day, the plan takes over what was left after it, and nothing is waived as
    `quote_honoured` (no day passed) — not the penalty the payment had paid in the quote."""
    policy = ChargePolicy(contract_rate=D("0.1000"), overdue_rate=D("0.1800"), cap_rate=None)
    schedule = (
        Installment(1, date(2027, 1, 15), D("1000.00"), D("100.00"), ZERO),
        Installment(2, date(2027, 2, 15), D("1000.00"), D("100.00"), ZERO),
    )
    basis = date(2027, 1, 31)
    paid = (Payment("p1", D("200.00"), basis),)
    quote = replay(schedule, paid, basis, policy, AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL)
    probe = PlanTerms(uuid.uuid4(), 1, PlanEffect.ARREARS, basis, basis, (), {})
    lines = covered(quote.installments, probe, policy.day_count)
    owed = {c: sum((line.owed(policy.day_count)[c] for line in lines), start=ZERO) for c in COMPONENTS}
    assert owed["penalty"] == 0  # the payment paid the penalty accrued to it (penalty first)
    plan = PlanTerms(
        uuid.uuid4(),
        1,
        PlanEffect.ARREARS,
        basis,
        basis,
        (PlanLine(1, date(2027, 2, 28), owed["principal"], owed["interest"], owed["fee"], owed["penalty"]),),
        {},
    )
    ledger = replay(schedule, paid, basis, policy, AllocationOrder.PENALTY_FEE_INTEREST_PRINCIPAL, (), (plan,))
    assert ledger.waivers[plan.plan_id].quote_honoured["penalty"] == 0
    old = next(line for line in ledger.installments if line.sequence == 1)
    assert old.outstanding(policy.day_count) == 0  # all of it taken over as quoted, nothing left owed
