"""What the loan page tells an agent at a glance (issue 20): the overdue figures live from
overdue-detection, the book of record, or — only when it does not answer — intake's copy of the
last status event, flagged as a copy as of its business date (finding 1); the summary strip, the
contact log newest first, and why no new application may be opened (finding 7)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from negotiation_intake.domain.application import LoanView
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.one_at_a_time import OPEN, SecondNegotiation, refusal_to_open

COMPONENTS = ("principal", "interest", "fee", "penalty")
#: How many contact-log entries show before the rest is folded.
RECENT_CONTACTS = 5
LEDGER = "ledger"
COPY = "copy"


@dataclass(frozen=True)
class OverdueFigures:
    """The loan's overdue figures and where they come from: `source` is LEDGER (overdue-detection's
    overdue-status, as of its last closed business day) or COPY (intake's copy, as of the
    business date of the last status event it heard)."""

    source: str
    as_of: str | None
    days_past_due: int | None
    bucket: str | None
    oldest_due: str | None
    components: dict[str, dict[str, str] | None]
    total: dict[str, str] | None
    charges_cap_applied: bool

    @property
    def live(self) -> bool:
        return self.source == LEDGER


def overdue_figures(live: dict[str, Any] | None, copy: dict[str, Any]) -> OverdueFigures:
    """The live figures when overdue-detection answered with a closed business day; else the copy."""
    if live and live.get("as_of"):
        amounts = live["overdue_amounts"]
        total = sum((Decimal(amounts[part]["amount"]) for part in COMPONENTS), Decimal(0))
        return OverdueFigures(
            source=LEDGER,
            as_of=live["as_of"],
            days_past_due=live.get("days_past_due"),
            bucket=live.get("bucket"),
            oldest_due=live.get("oldest_overdue_due_date"),
            components={part: amounts[part] for part in COMPONENTS},
            total={"amount": str(total), "currency": amounts["principal"]["currency"]},
            charges_cap_applied=bool(live.get("charges_cap_applied")),
        )
    overdue = copy.get("overdue") or {}
    return OverdueFigures(
        source=COPY,
        as_of=copy.get("business_date"),
        days_past_due=copy.get("days_past_due"),
        bucket=copy.get("bucket"),
        oldest_due=copy.get("oldest_overdue_due_date"),
        components={part: overdue.get(part) for part in COMPONENTS},
        total=overdue.get("total"),
        charges_cap_applied=bool(copy.get("charges_cap_applied")),
    )


@dataclass(frozen=True)
class ContactLog:
    """Notification's contact log newest first: the latest few, the rest to fold; the message
    still held (when the borrower may next be contacted) if any."""

    recent: list[dict[str, Any]]
    earlier: list[dict[str, Any]]
    next_held: dict[str, Any] | None

    @property
    def last(self) -> dict[str, Any] | None:
        return self.recent[0] if self.recent else None


def _decided(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["decided_at"])


def contact_log(answer: dict[str, Any] | None) -> ContactLog | None:
    """The log as the page shows it; None when notification did not answer. The log comes oldest
    first; among entries decided at one instant the later-logged is the newer."""
    if answer is None:
        return None
    logged = list(enumerate(answer.get("entries") or []))
    entries = [entry for _, entry in sorted(logged, key=lambda item: (_decided(item[1]), item[0]), reverse=True)]
    return ContactLog(entries[:RECENT_CONTACTS], entries[RECENT_CONTACTS:], _next_held(entries))


def _next_held(newest_first: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The message that goes soonest of those whose latest decision is a hold."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in newest_first:
        latest.setdefault(entry["notification_id"], entry)
    held = [entry for entry in latest.values() if entry["decision"] == "held" and entry.get("held_until")]
    return min(held, key=lambda entry: datetime.fromisoformat(entry["held_until"]), default=None)


def open_application(applications: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The loan's application still open (one at a time: there is at most one)."""
    return next((application for application in applications if State(application["state"]) in OPEN), None)


def refusal_to_open_another(loan: LoanView, applications: Sequence[dict[str, Any]]) -> SecondNegotiation | None:
    """Why the page offers no new application: the rule the server would refuse it by."""
    active_plan = loan.plan_id if loan.plan_status == "active" else None
    known = [(uuid.UUID(application["application_id"]), State(application["state"])) for application in applications]
    return refusal_to_open(loan.loan_id, known, active_plan)


def borrower_time_zone(snapshot: dict[str, Any]) -> str | None:
    """The borrower's time zone, from the overdue snapshot's (or ledger position's) contact."""
    contact = snapshot.get("contact")
    return contact.get("time_zone") if isinstance(contact, dict) else None


def loan_page_context(loan: LoanView, applications: Sequence[dict[str, Any]], upstream: dict[str, Any]) -> dict[str, Any]:
    """What loan.html shows beyond the loan and its applications."""
    plans = (upstream["plans"] or {}).get("plans") if upstream.get("plans") is not None else None
    return {
        "figures": overdue_figures(upstream.get("overdue"), loan.snapshot),
        "contacts": contact_log(upstream.get("contacts")),
        "window": upstream.get("window"),
        "open_app": open_application(applications),
        "blocked": refusal_to_open_another(loan, applications),
        "borrower_zone": borrower_time_zone(loan.snapshot),
        "plans": plans,
    }
