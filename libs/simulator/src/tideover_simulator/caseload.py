"""The agent's caseload: which borrowers the agent takes on and when — those who are to apply,
once overdue long enough, or early, before the first installment they will miss."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from tideover_simulator.agent import Agent, Case
from tideover_simulator.book import Borrower
from tideover_simulator.observer import Observer

#: Days overdue before the agent calls a borrower who is to apply.
AGENT_CALLS_AFTER_DAYS = 5
#: Days before the first installment they will miss that a borrower who comes early calls (the
#: policy allows up to 30: DESIGN.md §4, early hardship).
EARLY_CALL_DAYS_BEFORE = 20


@dataclass
class Caseload:
    """The agent's open cases, and since when each loan is overdue."""

    cases: dict[uuid.UUID, Case] = field(default_factory=dict)
    #: The business day each loan became overdue on (while it is).
    first_overdue: dict[uuid.UUID, date] = field(default_factory=dict)

    def note_overdue(self, observer: Observer, day: date) -> None:
        for loan_id, standing in observer.standing.items():
            if standing.bucket and loan_id not in self.first_overdue:
                self.first_overdue[loan_id] = day
            elif not standing.bucket:
                self.first_overdue.pop(loan_id, None)

    async def work(self, book: Sequence[Borrower], agent: Agent, observer: Observer, day: date) -> None:
        """Open the cases due on `day`, then work every open case not yet under a plan."""
        for borrower in book:
            since = self.first_overdue.get(borrower.loan_id)
            standing = observer.standing[borrower.loan_id]
            missed = borrower.first_missed_due if borrower.comes_early else None
            early = missed is not None and since is None and 0 < (missed - day).days <= EARLY_CALL_DAYS_BEFORE
            overdue_long_enough = since is not None and (day - since).days >= AGENT_CALLS_AFTER_DAYS
            if (
                borrower.applies
                and borrower.loan_id not in self.cases
                and (early or overdue_long_enough)
                and standing.plan is None
            ):
                self.cases[borrower.loan_id] = Case(borrower)
        for case in self.cases.values():
            if not case.finished and observer.standing[case.borrower.loan_id].plan is None:
                await agent.work(case)
