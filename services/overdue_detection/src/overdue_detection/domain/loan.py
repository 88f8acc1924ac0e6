"""A loan as overdue-detection tracks it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tideover_contracts.common import ContactRef
from tideover_contracts.events.loans import AllocationOrder


@dataclass(frozen=True)
class LoanRow:
    loan_id: uuid.UUID
    currency: str
    status: str
    under_plan: bool
    allocation_order: AllocationOrder
    contract_rate: Decimal
    overdue_rate: Decimal
    contact: ContactRef
    episode: int
    overdue_since: date | None
    bucket: str
    credit: Decimal
