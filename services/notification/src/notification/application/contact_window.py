"""When the borrower may next be pressed for payment, as the agents' console shows it: the
contact rules (domain/contact_rules.decide) asked of an overdue notice that would go now, with
the borrower's contact, what was sent to them this week, their plan and their loan's closure."""

from __future__ import annotations

import uuid
from datetime import datetime

from notification.application.deciding import borrower_of
from notification.application.ports import Notifying
from notification.domain.contact_rules import WEEK, Decision, Message, decide
from tideover_contracts.events.notifications import Purpose


async def contact_window(notifying: Notifying, loan_id: uuid.UUID, now: datetime) -> Decision | None:
    """Send (now, on which channel), hold (until when, by which rule) or suppress (by which rule)
    an overdue notice at `now`; None when the loan's contact is not known here."""
    store = notifying.store
    contact = (await store.contacts({loan_id})).get(loan_id)
    if contact is None:
        return None
    history = (await store.histories({loan_id}, now - WEEK))[loan_id]
    return decide(
        Message(Purpose.OVERDUE_NOTICE, now),
        borrower_of(contact),
        history,
        now,
        plan_active=loan_id in await store.active_plans({loan_id}),
        profile=notifying.profiles[contact.jurisdiction],
        closed=(await store.closures({loan_id})).get(loan_id),
    )
