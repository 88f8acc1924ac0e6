"""When the borrower may next be pressed for payment, as the agents' console shows it: the
contact rules (domain/contact_rules.decide) asked of an overdue notice that would go now, with
the borrower's contact and their choices on their page, what was sent to them this week, their
plan and their loan's closure —
for one loan (the loan page) or many at once (the work queue's page, issue 20 finding 9)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from notification.application.deciding import borrower_of
from notification.application.ports import Notifying
from notification.domain.contact_rules import WEEK, Decision, Message, decide
from tideover_contracts.events.notifications import Purpose


async def contact_window(notifying: Notifying, loan_id: uuid.UUID, now: datetime) -> Decision | None:
    """Send (now, on which channel), hold (until when, by which rule) or suppress (by which rule)
    an overdue notice at `now`; None when the loan's contact is not known here."""
    return (await contact_windows(notifying, [loan_id], now)).get(loan_id)


async def contact_windows(notifying: Notifying, loan_ids: Sequence[uuid.UUID], now: datetime) -> dict[uuid.UUID, Decision]:
    """contact_window of each loan whose contact is known here, in the order asked (each once),
    from one read of each kind for all of them."""
    store = notifying.store
    asked = set(loan_ids)
    contacts = await store.contacts(asked)
    known = [loan_id for loan_id in dict.fromkeys(loan_ids) if loan_id in contacts]
    if not known:
        return {}
    histories = await store.histories(set(known), now - WEEK)
    under_plan = await store.active_plans(set(known))
    closures = await store.closures(set(known))
    chosen = await store.page_preferences(set(known))
    return {
        loan_id: decide(
            Message(Purpose.OVERDUE_NOTICE, now),
            borrower_of(contacts[loan_id], chosen.get(loan_id)),
            histories[loan_id],
            now,
            plan_active=loan_id in under_plan,
            profile=notifying.profiles[contacts[loan_id].jurisdiction],
            closed=closures.get(loan_id),
        )
        for loan_id in known
    }
