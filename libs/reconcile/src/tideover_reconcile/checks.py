"""The checks of the trial balance, one function each (DESIGN.md §3a).

A loan is out of balance when one of `BALANCE_CHECKS` finds something; services disagree when
one of `DISAGREEMENT_CHECKS` does. Each check returns its findings, none when the loan (or the
book) passes. Pure: no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tideover_reconcile.ledger import Amounts, LoanLedger


@dataclass(frozen=True)
class Finding:
    """What one check found about one loan."""

    loan_id: uuid.UUID
    check: str
    detail: str


def lines_within_charged(loan: LoanLedger) -> list[Finding]:
    """DESIGN.md §3a, conservation per component: no line pays a component beyond what it charged,
    nor takes off more than it charged (paid + waived + written off + rescheduled), which would
    leave a negative outstanding."""
    findings = []
    for line in loan.lines:
        outstanding = dict(line.outstanding.items())
        for component, charged in line.charged.items():
            paid = getattr(line.paid, component)
            if paid > charged:
                detail = f"line {line.sequence} {component}: paid {paid} beyond charged {charged}"
            elif outstanding[component] < 0:
                detail = f"line {line.sequence} {component}: outstanding {outstanding[component]}"
            else:
                continue
            findings.append(Finding(loan.loan_id, "lines_within_charged", detail))
    return findings


def principal_conserved(loan: LoanLedger) -> list[Finding]:
    """DESIGN.md §3a: a plan neither creates nor loses principal; what it takes over from a line
    (rescheduled) its own lines charge again, so the net principal charged is what was lent."""
    charged = loan.figures.charged.principal
    if charged == loan.principal:
        return []
    return [Finding(loan.loan_id, "principal_conserved", f"net principal charged {charged} but lent {loan.principal}")]


def repayments_applied(loan: LoanLedger) -> list[Finding]:
    """DESIGN.md §3a, one book of record: every payment is applied once, to the lines or kept as
    the loan's credit, so the repayments received are what the lines were paid plus the credit."""
    applied = loan.figures.paid.total + loan.credit
    if loan.repaid == applied:
        return []
    return [
        Finding(
            loan.loan_id,
            "repayments_applied",
            f"received {loan.repaid} but paid on lines {applied - loan.credit} + credit {loan.credit}",
        )
    ]


def waivers_recorded(loan: LoanLedger) -> list[Finding]:
    """DESIGN.md §3a, nothing leaves the ledger unpaid except by a recorded act: what the lines
    say was waived is what the waivers in force recorded (conditional ones less those reinstated;
    a final one restates a conditional one), by component. Principal is never waived."""
    return _acts_match(loan, "waivers_recorded", loan.figures.waived, loan.waivers)


def write_offs_recorded(loan: LoanLedger) -> list[Finding]:
    """DESIGN.md §3a, nothing leaves the ledger unpaid except by a recorded act: what the lines
    say was written off is what the write-offs recorded, by component."""
    return _acts_match(loan, "write_offs_recorded", loan.figures.written_off, loan.write_offs)


def _acts_match(loan: LoanLedger, check: str, on_lines: Amounts, recorded: Amounts) -> list[Finding]:
    return [
        Finding(loan.loan_id, check, f"{component}: {lined} on the lines, {acted} recorded")
        for (component, lined), acted in zip(on_lines.items(), recorded, strict=True)
        if lined != acted
    ]


#: A loan is out of balance when any of these finds something.
BALANCE_CHECKS: tuple[Callable[[LoanLedger], list[Finding]], ...] = (
    lines_within_charged,
    principal_conserved,
    repayments_applied,
    waivers_recorded,
    write_offs_recorded,
)


@dataclass(frozen=True)
class TrackedLine:
    """A line of the ledger a plan month asks for, as repayment-tracking names it: a plan's own
    line (kind `plan`, its sequence in the plan) or a regular installment (`regular`, the loan's)."""

    plan_id: uuid.UUID
    loan_id: uuid.UUID
    kind: str
    sequence: int


@dataclass(frozen=True)
class ActivePlans:
    """The plans each service holds as active, plan id → loan id; and what repayment-tracking
    holds still owed on the lines of its active plans."""

    ledger: Mapping[uuid.UUID, uuid.UUID]  # overdue_detection.plans, outcome 'active'
    tracking: Mapping[uuid.UUID, uuid.UUID]  # repayment_tracking.plans, status 'active'
    tracked_left: Mapping[TrackedLine, Decimal] = field(default_factory=dict)


def tracked_plans_active_in_ledger(plans: ActivePlans) -> list[Finding]:
    """DESIGN.md §3a, one active plan per loan, the same in every service: a plan repayment-tracking
    follows as active is active in the ledger too."""
    return list(
        _missing(plans.tracking, plans.ledger, "tracked_plans_active_in_ledger", "repayment-tracking", "overdue-detection")
    )


def ledger_plans_active_in_tracking(plans: ActivePlans) -> list[Finding]:
    """DESIGN.md §3a, one active plan per loan, the same in every service: a plan active in the
    ledger is followed as active by repayment-tracking too."""
    return list(
        _missing(plans.ledger, plans.tracking, "ledger_plans_active_in_tracking", "overdue-detection", "repayment-tracking")
    )


def _missing(
    held: Mapping[uuid.UUID, uuid.UUID], other: Mapping[uuid.UUID, uuid.UUID], check: str, holder: str, lacker: str
) -> Iterator[Finding]:
    for plan_id, loan_id in sorted(held.items(), key=lambda item: (str(item[1]), str(item[0]))):
        if plan_id not in other:
            yield Finding(loan_id, check, f"plan {plan_id} is active in {holder}, not in {lacker}")


def tracked_lines_agree_with_ledger(plans: ActivePlans, loans: Mapping[uuid.UUID, LoanLedger]) -> list[Finding]:
    """DESIGN.md §3a, the same figure in every service: what repayment-tracking holds still owed on
    each line of an active plan's months is what the ledger (the book of record) says is owed on it."""
    findings = []
    for line, tracked in sorted(
        plans.tracked_left.items(), key=lambda item: (str(item[0].loan_id), item[0].kind, item[0].sequence)
    ):
        loan = loans.get(line.loan_id)
        if loan is None or line.plan_id not in plans.ledger:
            continue  # not read here, or not active in the ledger (another check says so)
        owed = _owed_on(loan, line)
        if owed != tracked:
            findings.append(
                Finding(
                    line.loan_id,
                    "tracked_lines_agree_with_ledger",
                    f"plan {line.plan_id}, {line.kind} line {line.sequence}: repayment-tracking holds {tracked} left,"
                    f" the ledger {owed}",
                )
            )
    return findings


def _owed_on(loan: LoanLedger, line: TrackedLine) -> Decimal | None:
    for ledger_line in loan.lines:
        if line.kind == "plan" and ledger_line.plan_id == line.plan_id and ledger_line.plan_sequence == line.sequence:
            return ledger_line.outstanding.total
        if line.kind == "regular" and ledger_line.plan_id is None and ledger_line.sequence == line.sequence:
            return ledger_line.outstanding.total
    return None


#: Services disagree when any of these finds something.
DISAGREEMENT_CHECKS: tuple[Callable[[ActivePlans], list[Finding]], ...] = (
    tracked_plans_active_in_ledger,
    ledger_plans_active_in_tracking,
)


def out_of_balance(loan: LoanLedger) -> list[Finding]:
    """Every balance check's findings about `loan`."""
    return [finding for check in BALANCE_CHECKS for finding in check(loan)]


def disagreements(plans: ActivePlans, loans: Mapping[uuid.UUID, LoanLedger]) -> list[Finding]:
    """Every disagreement check's findings."""
    return [finding for check in DISAGREEMENT_CHECKS for finding in check(plans)] + tracked_lines_agree_with_ledger(plans, loans)
