"""What a run counts as it goes (one entry per business day, the events published, the amounts
paid), and the figures the report is drawn from."""

from __future__ import annotations

import bisect
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tideover_simulator.agent import Case
from tideover_simulator.book import Borrower
from tideover_simulator.observer import Day, Observer
from tideover_simulator.scenario import Plan, at

#: How a borrower asked for help: through the agent, or on their own page.
CHANNELS = ("agent", "page")
#: What the split counts for each: the borrowers who set out to ask, the applications submitted,
#: the plans the borrowers accepted with the written plan's code, put in force, completed, broken,
#: and still running. Summed over the channels, each but `borrowers` is the run's total.
SPLIT_EVENTS = {
    "applications": "NegotiationRequested",
    "plans_accepted": "PlanAccepted",
    "plans_activated": "PlanActivated",
    "plans_completed": "PlanCompleted",
    "plans_broken": "PlanBroken",
}


@dataclass
class Tally:
    """What the run counted so far."""

    series: list[dict[str, Any]] = field(default_factory=list)
    published: Counter[str] = field(default_factory=Counter)
    paid: Decimal = Decimal(0)
    #: Recovered since the last business day was recorded.
    recovered: Decimal = Decimal(0)
    #: The page borrowers' steps left for the next day, by why (tideover_simulator.page_borrower).
    page_steps: Counter[str] = field(default_factory=Counter)

    def record(self, today: Day, observer: Observer) -> None:
        """Close `today`'s entry of the series (its notices are counted at the end of the run)."""
        self.series.append(
            {
                "business_date": today.business_date.isoformat(),
                "overdue_by_bucket": dict(sorted(observer.buckets().items())),
                "notices": {"sent": 0, "held": 0, "suppressed": 0},
                "applications": today.applications,
                "offers": today.offers,
                "rejections": today.rejections,
                "plans": observer.plans(),
                "recovered": str(self.recovered),
                "waived": str(today.waived),
            }
        )
        self.recovered = Decimal(0)

    def figures(
        self,
        plan: Plan,
        book: Sequence[Borrower],
        cases: Mapping[uuid.UUID, Case],
        first_day: date,
        observer: Observer,
        notices: list[dict[str, Any]],
        balance: dict[str, Any],
        elapsed: float,
    ) -> dict[str, Any]:
        """The run's figures: the series with each day's notices, the totals, the trial balance."""
        suppressed = self._count_notices(notices)
        return {
            "seed": plan.seed,
            "loans": len(book),
            "days": plan.days,
            "first_day": first_day.isoformat(),
            "last_day": self.series[-1]["business_date"] if self.series else first_day.isoformat(),
            "elapsed_seconds": round(elapsed, 1),
            "currency": "CNY",
            "series": self.series,
            "totals": self._totals(book, cases, observer, notices, suppressed),
            # The ledger of the book's loans after the last day (DESIGN.md §3a; tideover-reconcile).
            "trial_balance": balance,
        }

    def _count_notices(self, notices: list[dict[str, Any]]) -> Counter[str]:
        """Count each decision on its business day in the series; the suppressions by rule."""
        closes = [at(date.fromisoformat(entry["business_date"]), 10) for entry in self.series]
        suppressed: Counter[str] = Counter()
        for notice in notices:
            # A decision belongs to the business day whose close came last before it (or at it).
            index = bisect.bisect_right(closes, datetime.fromisoformat(notice["decided_at"])) - 1
            if self.series:
                self.series[max(index, 0)]["notices"][notice["decision"]] += 1
            if notice["decision"] == "suppressed":
                suppressed[notice["rule"] or "unspecified"] += 1
        return suppressed

    def _totals(
        self,
        book: Sequence[Borrower],
        cases: Mapping[uuid.UUID, Case],
        observer: Observer,
        notices: list[dict[str, Any]],
        suppressed: Counter[str],
    ) -> dict[str, Any]:
        decisions = Counter(notice["decision"] for notice in notices)
        plans = observer.plans()
        return {
            "borrowers_by_profile": dict(Counter(borrower.payer.value for borrower in book)),
            "plan_profiles": dict(Counter(case.borrower.keeper.value for case in cases.values())),
            "notices_sent": decisions["sent"],
            "notices_held": decisions["held"],
            "suppressed_by_rule": dict(suppressed),
            "sent_by_purpose": dict(observer.sent_by_purpose),
            "applications": observer.counts["NegotiationRequested"],
            "offers": observer.counts["PlanOffered"],
            "rejections": observer.counts["PlanRejected"],
            "offers_by_kind": dict(observer.offers_by_kind),
            "plans_accepted": observer.counts["PlanAccepted"],
            "plans_activated": observer.counts["PlanActivated"],
            "plans_completed": plans["completed"],
            "plans_broken": plans["broken"],
            "plans_active": plans["active"],
            "overdue_by_bucket": dict(sorted(observer.buckets().items())),
            "paid": str(self.paid),
            "recovered": str(sum((Decimal(entry["recovered"]) for entry in self.series), start=Decimal(0))),
            "waived": str(observer.waived),
            "waivers_reinstated": str(observer.reinstated),
            "events_published": dict(self.published),
            "service_events": dict(observer.counts),
            "help_by_channel": help_by_channel(cases, observer),
            "page_steps_not_taken": dict(sorted(self.page_steps.items())),
        }


def help_by_channel(cases: Mapping[uuid.UUID, Case], observer: Observer) -> dict[str, dict[str, int]]:
    """The borrowers who asked for help through the agent and on their page, and what became of
    their applications and plans (every application of a run is a case's)."""
    split = {channel: dict.fromkeys(("borrowers", *SPLIT_EVENTS, "plans_active"), 0) for channel in CHANNELS}
    for loan_id, case in cases.items():
        row = split["page" if case.on_page else "agent"]
        counts = observer.counts_by_loan.get(loan_id, Counter())
        standing = observer.standing[loan_id]
        row["borrowers"] += 1
        for key, event_type in SPLIT_EVENTS.items():
            row[key] += counts[event_type]
        row["plans_active"] += standing.plan is not None and standing.plan_ended is None
    return split
