"""The ledger's formulas in SQL, built from the domain's one definition (domain/ledger.py) so that
the set-based close and the per-loan replay say the same; tests/integration/test_close_matches_replay.py
checks that they give the same cents.

Each expression reads an installment as `i` and its loan as `l` (for the day count).
"""

from __future__ import annotations

from overdue_detection.domain.ledger import COMPONENTS, SETTLING

#: What a line charges of each component: the penalty is its basis over the day count, rounded
#: half-up to the cent (Postgres round() on numeric; domain/ledger.py PENALTY_ROUNDING).
CHARGED = {
    "principal": "i.principal",
    "interest": "i.interest",
    "fee": "i.fee",
    "penalty": "round(i.penalty_basis / l.day_count, 2)",
}


def owed(component: str) -> str:
    """What a line still owes of `component`."""
    taken = " - ".join(f"i.{prefix}_{component}" for prefix in SETTLING if not (prefix == "waived" and component == "principal"))
    return f"({CHARGED[component]} - {taken})"


#: Everything a line still owes.
OWED = "(" + " + ".join(owed(component) for component in COMPONENTS) + ")"
#: What penalty accrues on: principal and interest still owed.
PENALTY_BASE = f"({owed('principal')} + {owed('interest')})"
#: A regular installment, not taken over by a plan: the only lines on which penalty accrues.
ACCRUES = "(i.plan_id IS NULL AND i.rescheduled_by IS NULL)"


def paused_days(after: str, through: str) -> str:
    """How many days in (`after`, `through`] a plan paused the loan `l` (domain Pause: the days
    after a plan's start, before its end)."""
    return f"""coalesce((SELECT sum(greatest(0, least(coalesce(p.end_date - 1, {through}), {through})
                                     - greatest(p.start_date, {after})))
                FROM pauses p WHERE p.loan_id = l.loan_id), 0)"""
