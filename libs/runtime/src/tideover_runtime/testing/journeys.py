"""What journeys through the running services share: the topics to watch and the agent's
hardship application (used by the end-to-end tests and the demo)."""

from __future__ import annotations

import uuid
from typing import Any

from tideover_contracts.topics import GATEWAYS, SCHEDULER, TOPICS, UPSTREAM

#: Every topic our services publish (not the upstream, clock or gateway ones).
SERVICE_OUTPUT_TOPICS = tuple(topic.name for topic in TOPICS if topic.producer not in (UPSTREAM, SCHEDULER, GATEWAYS))


def hardship_application(loan_id: uuid.UUID, description: str = "Laid off in January") -> dict[str, Any]:
    """The body of POST /v1/applications: an unemployed borrower, CNY 4,000 income, 2,000 essentials."""
    return {
        "loan_id": str(loan_id),
        "hardship": {
            "reason": "unemployment",
            "description": description,
            "monthly_income": {"amount": "4000.00", "currency": "CNY"},
            "essential_expenses": {"amount": "2000.00", "currency": "CNY"},
        },
        "requested_options": ["arrears_installments"],
        "agent_id": "agent-007",
    }
