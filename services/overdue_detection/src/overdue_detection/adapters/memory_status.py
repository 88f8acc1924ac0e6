"""The `overdue.status.v1` events of the in-memory loan book (adapters/memory.py), rendered in
Python in the shape adapters/status_outbox.py renders them in SQL, and parsed with the contracts."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from overdue_detection.application.ports import EnvelopeFacts, StatusEvent
from overdue_detection.domain.ledger import ZERO, Installment
from tideover_contracts.envelope import Envelope, parse_message
from tideover_contracts.topics import OVERDUE_STATUS


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


def _payload(event: StatusEvent, business_date: date, loan: dict[str, Any], lines: list[Installment]) -> dict[str, Any]:
    currency, day_count = loan["currency"], loan["day_count"]
    outstanding = _money(sum((line.owed(day_count)["principal"] for line in lines), start=ZERO), currency)
    common = {"loan_id": str(event.loan_id), "episode": event.episode, "business_date": business_date.isoformat()}
    contact = json.loads(loan["contact"])
    if event.event_type == "LoanCured":
        return {**common, "reason": event.cure_reason, "outstanding_principal": outstanding, "contact": contact}
    amounts = {"principal": event.principal, "interest": event.interest, "fee": event.fee, "penalty": event.penalty}
    payload = {
        **common,
        "days_past_due": event.days_past_due,
        "bucket": event.bucket,
        "oldest_overdue_due_date": event.oldest_due.isoformat() if event.oldest_due else None,
        "overdue": {
            **{c: _money(amount, currency) for c, amount in amounts.items()},
            "total": _money(sum(amounts.values(), start=ZERO), currency),
        },
        "outstanding_principal": outstanding,
        "contract_rate": str(loan["contract_rate"]),
        "overdue_rate": str(loan["overdue_rate"]),
        "charges_cap_applied": loan["cap_binds"],
        "under_plan": loan["under_plan"],
        "remaining_schedule": [
            {
                "installment": {
                    "sequence": line.sequence,
                    "due_date": line.due_date.isoformat(),
                    **{c: _money(getattr(line, c), currency) for c in ("principal", "interest", "fee")},
                },
                "outstanding": _money(line.outstanding(day_count), currency),
            }
            for line in sorted(lines, key=lambda line: line.sequence)
            if line.outstanding(day_count) > 0
        ],
        "contact": contact,
    }
    if event.event_type == "OverdueStatusChanged":
        payload |= {"reasons": list(event.reasons), "previous_bucket": event.previous_bucket}
    return payload


def status_envelope(
    event: StatusEvent, business_date: date, facts: EnvelopeFacts, loan: dict[str, Any], lines: list[Installment]
) -> Envelope[Any]:
    """One decided event as the outbox keeps it (its envelope facts as the SQL writes them)."""
    value = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "schema_version": 1,
        "occurred_at": facts.occurred_at.isoformat().replace("+00:00", "Z"),
        "producer": facts.producer,
        "correlation_id": event.correlation_id,
        "causation_id": str(event.causation_id),
        "payload": _payload(event, business_date, loan, lines),
    }
    return parse_message(json.dumps(value).encode(), OVERDUE_STATUS.event_classes())
