"""What the simulation sees of the services: their events about our loans, folded into each
loan's standing and each business day's figures (the report's series)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tideover_contracts.events.plans import PlanActivated
from tideover_testkit.kafka import TopicWatcher


@dataclass
class Standing:
    """One loan as the services last told of it."""

    bucket: str | None = None  # while overdue and not under a plan
    plan: PlanActivated | None = None  # the last plan activated
    plan_ended: str | None = None  # "completed" or "broken", for the last plan
    plan_lines_paid: set[int] = field(default_factory=set)


@dataclass
class Day:
    """What one business day brought (the report's `series` entry, before the notices, which
    come from notification's contact log)."""

    business_date: date
    applications: int = 0
    offers: int = 0
    rejections: int = 0
    recovered: Decimal = Decimal(0)
    waived: Decimal = Decimal(0)


class Observer:
    """Reads the services' events as they arrive (a TopicWatcher over their output topics) and
    keeps what concerns the loans of this run."""

    def __init__(self, watcher: TopicWatcher, loan_ids: set[uuid.UUID]) -> None:
        self._watcher = watcher
        self._loans = loan_ids
        self._read = 0
        self._event_ids: set[uuid.UUID] = set()  # delivery is at least once: a relay may publish twice
        self.standing: dict[uuid.UUID, Standing] = {loan_id: Standing() for loan_id in loan_ids}
        self.counts: Counter[str] = Counter()
        #: The same counts, loan by loan (the report's split by how borrowers asked for help).
        self.counts_by_loan: dict[uuid.UUID, Counter[str]] = {loan_id: Counter() for loan_id in loan_ids}
        self.offers_by_kind: Counter[str] = Counter()
        self.sent_by_purpose: Counter[str] = Counter()
        self.waived = Decimal(0)
        self.reinstated = Decimal(0)

    def catch_up(self, day: Day) -> None:
        """Fold the events that arrived since the last call into the standings and `day`."""
        seen = self._watcher.seen
        while self._read < len(seen):
            envelope = seen[self._read].envelope
            self._read += 1
            loan_id = getattr(envelope.payload, "loan_id", None) if envelope else None
            if envelope is None or loan_id not in self._loans or envelope.event_id in self._event_ids:
                continue
            self._event_ids.add(envelope.event_id)
            self.counts[envelope.event_type] += 1
            self.counts_by_loan[loan_id][envelope.event_type] += 1
            self._fold(envelope.event_type, envelope.payload, self.standing[loan_id], day)

    def _fold(self, event_type: str, event: Any, loan: Standing, day: Day) -> None:
        match event_type:
            case "LoanBecameOverdue" | "OverdueStatusChanged":
                loan.bucket = None if event.under_plan else event.bucket.value
            case "LoanCured":
                loan.bucket = None
            case "NegotiationRequested":
                day.applications += 1
            case "PlanOffered":
                day.offers += 1
            case "PlanRejected":
                day.rejections += 1
            case "PlanActivated":
                loan.plan, loan.plan_ended, loan.plan_lines_paid = event, None, set()
                loan.bucket = None
                self.offers_by_kind[event.kind.value] += 1
            case "WaiverGranted":
                self._waiver(event, day)
            case "PlanInstallmentPaid":
                if event.fully_paid:
                    loan.plan_lines_paid.add(event.sequence)
            case "PlanCompleted":
                loan.plan_ended = "completed"
            case "PlanBroken":
                loan.plan_ended = "broken"
            case "NotificationRequested":
                self.sent_by_purpose[event.purpose.value] += 1

    def _waiver(self, event: Any, day: Day) -> None:
        """What the ledger recorded as waived (DESIGN.md §3a), the quote it honoured included."""
        if event.status.value == "conditional":
            day.waived += event.waived.total.amount
            self.waived += event.waived.total.amount
        elif event.status.value == "reinstated":
            self.reinstated += event.waived.total.amount

    def buckets(self) -> Counter[str]:
        return Counter(loan.bucket for loan in self.standing.values() if loan.bucket and loan.bucket != "current")

    def plans(self) -> dict[str, int]:
        standings = self.standing.values()
        return {
            "active": sum(1 for loan in standings if loan.plan is not None and loan.plan_ended is None),
            "completed": self.counts["PlanCompleted"],
            "broken": self.counts["PlanBroken"],
        }
