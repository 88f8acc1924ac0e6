"""Messages that wait for a fact another topic brings.

Two messages cannot be decided from their own event alone, and the other event comes on another
topic, read in no guaranteed order against theirs:

- a cure confirmation for a cure the loan's closure caused (LoanCured, reason loan_closed, on
  overdue.status.v1) needs the closure's reason (LoanClosed, on loans.lifecycle.v1): it is
  confirmed for a loan paid off or refinanced, suppressed for one written off or sold
  (contact rule `loan_closed`);
- a broken plan's message (PlanBroken, on plans.tracking.v1) states the days past due and the
  overdue total as the ledger has them after the break: the OverdueStatusChanged with reason
  plan_broken that overdue-detection publishes, caused by that PlanBroken (on overdue.status.v1).

The choice: the message is decided when the second of the two facts arrives. When its own event
comes first it is stored as 'waiting' (no contact decision yet, nothing in the contact log), and
the other fact's handler decides the loan's waiting messages. The outcome is then the same in
either order, and the message's id (the business key of the fact) makes it one message whichever
handler decides it. A broken plan's message does not wait on a closed loan: it presses for
payment, so it is suppressed (`loan_closed`) at once.

Both halves are read and written under the loan's lock (`NotificationStore.lock_loans`), so two
handlers of the two topics that run at once cannot both find the other half missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from notification.application.ports import LedgerStatus, NotificationStore
from notification.domain.messages import StoredMessage
from tideover_contracts.events.loans import LoanClosureReason
from tideover_contracts.events.overdue import CureReason, LoanCured
from tideover_contracts.events.tracking import PlanBroken


def cured_by_closure(message: StoredMessage) -> bool:
    source = message.source
    return isinstance(source, LoanCured) and source.reason is CureReason.LOAN_CLOSED


def may_wait(message: StoredMessage) -> bool:
    return cured_by_closure(message) or isinstance(message.source, PlanBroken)


@dataclass(frozen=True)
class Known:
    """What the other topics have told of some messages' loans and plans."""

    closures: dict[uuid.UUID, LoanClosureReason]  # by loan
    ledgers: dict[uuid.UUID, LedgerStatus]  # after each plan broke, by plan

    @classmethod
    async def of(cls, store: NotificationStore, messages: Collection[StoredMessage]) -> Known:
        if not messages:
            return cls({}, {})
        plans = {m.source.plan_id for m in messages if isinstance(m.source, PlanBroken)}
        closures = await store.closures({m.loan_id for m in messages})
        return cls(closures, await store.ledgers_after_breaks(plans) if plans else {})

    def waits(self, message: StoredMessage) -> bool:
        """Whether `message` still waits for the fact it needs (see the module's docstring)."""
        closed = message.loan_id in self.closures
        if isinstance(message.source, PlanBroken):
            return message.source.plan_id not in self.ledgers and not closed
        return cured_by_closure(message) and not closed

    def ledger_after(self, message: StoredMessage) -> LedgerStatus | None:
        source = message.source
        return self.ledgers.get(source.plan_id) if isinstance(source, PlanBroken) else None


async def known_after_locking(store: NotificationStore, messages: Collection[StoredMessage]) -> Known:
    """What is known of the messages that may wait, read under their loans' locks."""
    candidates = [message for message in messages if may_wait(message)]
    if candidates:
        await store.lock_loans({message.loan_id for message in candidates})
    return await Known.of(store, candidates)
