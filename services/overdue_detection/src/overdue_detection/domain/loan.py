"""A loan as overdue-detection tracks it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from overdue_detection.domain.ledger import ChargePolicy
from tideover_contracts.common import ContactRef
from tideover_contracts.events.loans import AllocationOrder


@dataclass(frozen=True)
class LoanRow:
    loan_id: uuid.UUID
    currency: str
    status: str
    under_plan: bool
    allocation_order: AllocationOrder
    policy: ChargePolicy
    contact: ContactRef
    episode: int
    overdue_since: date | None
    bucket: str
    credit: Decimal
    paused_days: int
