"""The laws of the loan's ledger with plans of both effects (DESIGN.md §3a), over random loans,
payments (early, late, partial, over, value-dated in the past) and plans, completed, broken or
still running, checked after every close:

- conservation per component: charged = paid + waived + written off + outstanding, with nothing
  owed below zero and nothing paid beyond what was charged;
- every payment is paid on lines or kept as credit, to the cent;
- principal is neither created nor lost: the booked principal is paid, written off or owed;
- an arrears plan creates no interest, fee or penalty: the loan's own are paid, waived or owed;
- what is waived is exactly what the plans in force waived (a broken plan's is reinstated);
- completing a plan settles nothing: the loan's installments a plan did not take over stay owed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from overdue_detection.domain.ledger import COMPONENTS, ChargePolicy, Installment, Pause, Payment
from overdue_detection.domain.plan_effects import PlanLine, PlanTerms, covered
from overdue_detection.domain.replay import Ledger, replay
from tideover_contracts.events.loans import AllocationOrder
from tideover_contracts.events.negotiation import PlanEffect

D = Decimal
ZERO = D(0)
CENT = D("0.01")
CN = ChargePolicy(contract_rate=D("0.0720"), overdue_rate=D("0.0360"), cap_rate=D("0.1200"))
HIGH = ChargePolicy(contract_rate=D("0.1000"), overdue_rate=D("0.2400"), cap_rate=None, day_count=360)


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1, day=min(day.day, 28))


def split(amount: Decimal, parts: int) -> list[Decimal]:
    part = (amount / parts).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (parts - 1) + [amount - part * (parts - 1)]


@dataclass(frozen=True)
class Story:
    schedule: tuple[Installment, ...]
    payments: tuple[Payment, ...]
    plans: tuple[PlanTerms, ...]
    policy: ChargePolicy
    order: AllocationOrder
    closes: tuple[date, ...]

    @property
    def pauses(self) -> tuple[Pause, ...]:
        return tuple(Pause(plan.activated_on, plan.ended_on) for plan in self.plans)

    def ledger(self, through: date) -> Ledger:
        return replay(self.schedule, self.payments, through, self.policy, self.order, self.pauses, self.plans)


def _quote(draw: st.DrawFn, story: Story, ordinal: int, basis: date) -> PlanTerms | None:
    """A plan quoted from the ledger at `basis`, as plan-calculation would: the arrears (less a
    waiver) split over a few months, or everything left re-amortized with some new interest."""
    effect = draw(st.sampled_from(PlanEffect))
    months = draw(st.integers(min_value=1, max_value=6))
    known = Story(
        story.schedule, tuple(p for p in story.payments if p.value_date <= basis), story.plans, story.policy, story.order, ()
    )
    ledger = known.ledger(basis)  # what the services knew on the basis date
    probe = PlanTerms(uuid.uuid4(), ordinal, effect, basis, basis, (), {})
    lines = covered(ledger.installments, probe, story.policy.day_count)
    owed = {c: sum((line.owed(story.policy.day_count)[c] for line in lines), start=ZERO) for c in COMPONENTS}
    if sum(owed.values()) <= 0:
        return None
    share = draw(st.sampled_from((D(0), D("0.2"), D("0.5"), D(1))))
    waiver = {c: (owed[c] * share).quantize(CENT, rounding=ROUND_DOWN) for c in ("penalty", "interest", "fee")}
    asked = {c: owed[c] - waiver.get(c, ZERO) for c in COMPONENTS}
    if effect == PlanEffect.RESCHEDULE:
        asked["interest"] += draw(st.decimals(min_value=0, max_value=500, places=2))
    columns = {c: split(asked[c], months) for c in COMPONENTS}
    plan_lines = tuple(
        PlanLine(n + 1, add_months(basis, n + 1), *(columns[c][n] for c in ("principal", "interest", "fee", "penalty")))
        for n in range(months)
    )
    activated = basis + timedelta(days=draw(st.integers(min_value=0, max_value=7)))
    outcome = draw(st.sampled_from(("active", "completed", "broken")))
    ended = None if outcome == "active" else activated + timedelta(days=draw(st.integers(min_value=1, max_value=200)))
    return PlanTerms(uuid.uuid4(), ordinal, effect, basis, activated, plan_lines, waiver, outcome, ended)


@st.composite
def stories(draw: st.DrawFn) -> Story:
    first_due = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))).replace(day=15)
    count = draw(st.integers(min_value=2, max_value=12))
    amounts = st.decimals(min_value=D("1.00"), max_value=D("5000.00"), places=2)
    schedule = tuple(
        Installment(
            n + 1,
            add_months(first_due, n),
            draw(amounts),
            (draw(amounts) / 10).quantize(CENT),
            draw(st.sampled_from((D(0), D(5)))),
        )
        for n in range(count)
    )
    total = sum((i.principal + i.interest + i.fee for i in schedule), start=ZERO)
    payments = tuple(
        Payment(
            f"p{n}",
            draw(st.decimals(min_value=D("0.01"), max_value=total / 2, places=2)),
            first_due + timedelta(days=draw(st.integers(min_value=-20, max_value=500))),
        )
        for n in range(draw(st.integers(min_value=0, max_value=8)))
    )
    story = Story(schedule, payments, (), draw(st.sampled_from((CN, HIGH))), draw(st.sampled_from(AllocationOrder)), ())
    plans: list[PlanTerms] = []
    basis = first_due + timedelta(days=draw(st.integers(min_value=1, max_value=90)))
    for ordinal in (1, 2):
        plan = _quote(draw, story, ordinal, basis)
        if plan is None:
            break
        plans.append(plan)
        story = Story(schedule, payments, tuple(plans), story.policy, story.order, ())
        if plan.ended_on is None or (plan.outcome == "completed" and draw(st.booleans())):
            break
        basis = plan.ended_on + timedelta(days=draw(st.integers(min_value=1, max_value=60)))
    last = add_months(first_due, count + 8)
    closes = tuple(
        sorted({first_due + timedelta(days=draw(st.integers(min_value=0, max_value=(last - first_due).days))) for _ in range(4)})
    )
    return Story(schedule, payments, tuple(plans), story.policy, story.order, (*closes, last))


def parts(ledger: Ledger, prefix: str, component: str) -> Decimal:
    return sum((line.part(prefix, component) for line in ledger.installments), start=ZERO)


def charged(ledger: Ledger, component: str, day_count: int) -> Decimal:
    """What the lines charge, less what a plan took over (its own lines charge it again)."""
    return sum((line.charged(day_count)[component] for line in ledger.installments), start=ZERO) - parts(
        ledger, "rescheduled", component
    )


def booked(story: Story, component: str) -> Decimal:
    return sum((getattr(i, component) for i in story.schedule), start=ZERO)


@settings(max_examples=300, deadline=None)
@given(stories())
def test_the_ledger_balances_after_every_close(story: Story) -> None:
    day_count = story.policy.day_count
    for close in story.closes:
        ledger = story.ledger(close)
        for line in ledger.installments:
            for component, owed in line.owed(day_count).items():
                assert owed >= 0, f"line {line.sequence} owes {owed} of {component} on {close}"
        for component in COMPONENTS:
            outstanding = sum((line.owed(day_count)[component] for line in ledger.installments), start=ZERO)
            accounted = sum((parts(ledger, prefix, component) for prefix in ("paid", "waived", "written_off")), start=ZERO)
            assert charged(ledger, component, day_count) == accounted + outstanding, (component, close)
        paid = sum((parts(ledger, "paid", c) for c in COMPONENTS), start=ZERO)
        received = sum((p.amount for p in story.payments if p.value_date <= close), start=ZERO)
        future = sum((p.amount for p in story.payments if p.value_date > close), start=ZERO)
        assert paid + ledger.credit == received + future  # replay applies every payment recorded
        assert charged(ledger, "principal", day_count) == booked(story, "principal")


@settings(max_examples=300, deadline=None)
@given(stories())
def test_an_arrears_plan_creates_nothing_and_waives_only_what_it_says(story: Story) -> None:
    ledger = story.ledger(story.closes[-1])
    in_force = [plan for plan in story.plans if plan.in_force]
    for component in ("interest", "fee"):
        if all(plan.effect == PlanEffect.ARREARS for plan in in_force):
            assert charged(ledger, component, story.policy.day_count) == booked(story, component)
        waived = sum(
            (w.plan.get(component, ZERO) + w.quote_honoured.get(component, ZERO) for w in ledger.waivers.values()), start=ZERO
        )
        assert parts(ledger, "waived", component) == waived
    assert set(ledger.waivers) == {plan.plan_id for plan in in_force}
    assert not any(line.plan_id for line in ledger.installments if line.plan_id not in ledger.waivers)


@settings(max_examples=200, deadline=None)
@given(stories())
def test_a_plan_settles_nothing_it_did_not_take_over(story: Story) -> None:
    """Whatever a plan did not take over stays on the loan's own installment, under its own date."""
    ledger = story.ledger(story.closes[-1])
    day_count = story.policy.day_count
    for line in ledger.installments:
        if line.plan_id is None and line.rescheduled_by is None:
            taken = sum((line.part("rescheduled", c) for c in COMPONENTS), start=ZERO)
            settled = sum((line.part(p, c) for p in ("paid", "waived", "written_off") for c in COMPONENTS), start=ZERO)
            assert sum(line.charged(day_count).values(), start=ZERO) == taken + settled + line.outstanding(day_count)


@settings(max_examples=300, deadline=None)
@given(stories())
def test_an_accepted_quote_is_activated_as_quoted(story: Story) -> None:
    """The offer honours its quote (DESIGN.md §3a): whatever was paid or accrued between the basis
    date and the activation, the plan's lines charge what the quote said and its waiver is the
    quoted one; the penalty accrued meanwhile is waived as `quote_honoured`, never charged."""
    ledger = story.ledger(story.closes[-1])
    day_count = story.policy.day_count
    for plan in (plan for plan in story.plans if plan.in_force):
        waived = ledger.waivers[plan.plan_id]
        assert waived.plan == {c: plan.waiver.get(c, ZERO) for c in ("penalty", "interest", "fee")}
        assert waived.quote_honoured["interest"] == waived.quote_honoured["fee"] == 0
        lines = {line.plan_sequence: line for line in ledger.installments if line.plan_id == plan.plan_id}
        for quoted in plan.lines:
            charged = lines[quoted.sequence].charged(day_count)
            assert charged == {c: getattr(quoted, c) for c in COMPONENTS}, (plan.effect, quoted.sequence)


@settings(max_examples=300, deadline=None)
@given(stories())
def test_quote_honoured_is_the_penalty_accrued_after_the_basis_and_nothing_else(story: Story) -> None:
    """The penalty waived as `quote_honoured` is exactly what the lines the plan takes over
    accrued after the quote's basis date, up to the activation: the quote (the ledger as of its
    basis, domain `as_of`) charged everything before. Payments value-dated on or before the basis
    were in the quote, even when the plan is activated on the basis date itself."""
    first = next((plan for plan in story.plans if plan.ordinal == 1 and plan.in_force), None)
    if first is None:
        return
    day_count = story.policy.day_count
    quoted = tuple(payment for payment in story.payments if payment.value_date <= first.basis_date)

    def penalty_on_covered(through: date) -> Decimal:
        ledger = replay(story.schedule, quoted, through, story.policy, story.order, story.pauses)
        probe = PlanTerms(uuid.uuid4(), 1, first.effect, first.basis_date, first.basis_date, (), {})
        sequences = {line.sequence for line in covered(ledger.installments, probe, day_count)}
        return sum((line.owed(day_count)["penalty"] for line in ledger.installments if line.sequence in sequences), start=ZERO)

    accrued = penalty_on_covered(first.activated_on) - penalty_on_covered(first.basis_date)
    waived = story.ledger(story.closes[-1]).waivers[first.plan_id]
    assert waived.quote_honoured["penalty"] == accrued
