"""The agent's caseload: which borrowers ask for help and when — those who are to apply, once
overdue long enough, or early, before the first installment they will miss — and how: through
the agent, or a share of them (`Plan.page_share`) on their own page.

A page borrower needs the link a text brings (the overdue notice first): one who would come early
has none yet (the reminders before a due date carry none), and comes once overdue long enough, the
day they hold a link."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from tideover_simulator.agent import Agent, Case
from tideover_simulator.book import Borrower
from tideover_simulator.observer import Observer
from tideover_simulator.page_borrower import PageBorrower

#: Days overdue before the agent calls a borrower who is to apply (or the borrower, on the page,
#: asks for help themselves).
AGENT_CALLS_AFTER_DAYS = 5
#: Days before the first installment they will miss that a borrower who comes early calls (the
#: policy allows up to 30: DESIGN.md §4, early hardship).
EARLY_CALL_DAYS_BEFORE = 20


def asks_on_page(seed: int, loan_id: uuid.UUID, share: float) -> bool:
    """Whether the borrower of `loan_id` asks for help on their page: a draw of its own from the
    seed and the loan (not from the book's random numbers, so that the book stays as it was)."""
    draw = int.from_bytes(hashlib.sha256(f"{seed}|page|{loan_id}".encode()).digest()[:8]) / 2**64
    return draw < share


@dataclass
class Caseload:
    """The open cases, and since when each loan is overdue; `seed` and `page_share` decide who
    asks on the page."""

    seed: int = 7
    page_share: float = 0.0
    cases: dict[uuid.UUID, Case] = field(default_factory=dict)
    #: The business day each loan became overdue on (while it is).
    first_overdue: dict[uuid.UUID, date] = field(default_factory=dict)

    def note_overdue(self, observer: Observer, day: date) -> None:
        for loan_id, standing in observer.standing.items():
            if standing.bucket and loan_id not in self.first_overdue:
                self.first_overdue[loan_id] = day
            elif not standing.bucket:
                self.first_overdue.pop(loan_id, None)

    async def work(self, book: Sequence[Borrower], agent: Agent, page: PageBorrower, observer: Observer, day: date) -> None:
        """Open the cases due on `day`, then take the next step of every open case not yet under
        a plan: the agent's, then the page borrower's."""
        for borrower in book:
            if self._asks_today(borrower, observer, day):
                on_page = asks_on_page(self.seed, borrower.loan_id, self.page_share)
                if not on_page or page.has_link(borrower.loan_id):
                    self.cases[borrower.loan_id] = Case(borrower, on_page=on_page)
        for case in self.cases.values():
            if not case.finished and observer.standing[case.borrower.loan_id].plan is None:
                await agent.work(case)
                if case.on_page:
                    await page.act(case)

    def _asks_today(self, borrower: Borrower, observer: Observer, day: date) -> bool:
        since = self.first_overdue.get(borrower.loan_id)
        missed = borrower.first_missed_due if borrower.comes_early else None
        early = missed is not None and since is None and 0 < (missed - day).days <= EARLY_CALL_DAYS_BEFORE
        overdue_long_enough = since is not None and (day - since).days >= AGENT_CALLS_AFTER_DAYS
        return (
            borrower.applies
            and borrower.loan_id not in self.cases
            and (early or overdue_long_enough)
            and observer.standing[borrower.loan_id].plan is None
        )
