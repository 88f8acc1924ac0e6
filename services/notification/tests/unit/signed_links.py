"""The borrower's links the template tests render with (application/links.py): the golden loan's
page for its borrower, signed with the development secret at the default page address, for a
message made when the golden event of its purpose happened, so that every rendering (and
golden/) is the same."""

from __future__ import annotations

from datetime import UTC, datetime

from notification.application.links import LINKED, BorrowerLinks, SignedLink, carries_link
from notification.application.message_facts import Facts
from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import LOAN_ID, borrower, golden_events

LINKS = BorrowerLinks.for_development()
BORROWER_ID = borrower().borrower_id
_WRITTEN_PLAN_SENT = next(event for event in golden_events() if isinstance(event, PlanSentToBorrower)).sent_at
#: When the golden message of each purpose that carries a link was made: the golden overdue
#: notice the morning after its business date (16 February 2026, 10:30 in Beijing), the written
#: plan as it was sent, the plan installment reminder 3 days before its due date (15 April).
MADE_AT = {
    Purpose.OVERDUE_NOTICE: datetime(2026, 2, 16, 2, 30, tzinfo=UTC),
    Purpose.WRITTEN_PLAN: _WRITTEN_PLAN_SENT,
    Purpose.PLAN_INSTALLMENT_REMINDER: datetime(2026, 4, 12, 2, 30, tzinfo=UTC),
}
assert MADE_AT.keys() == LINKED
#: The link each golden message carries.
LINK: dict[Purpose, SignedLink] = {purpose: LINKS.sign(LOAN_ID, BORROWER_ID, at) for purpose, at in MADE_AT.items()}


def with_link(purpose: Purpose, channel: Channel, facts: Facts, link: SignedLink | None = None) -> Facts:
    """`facts` with the link's (`link`, else the golden one of `purpose`), where a message for
    `purpose` on `channel` carries it."""
    if not carries_link(purpose, channel):
        return facts
    return {**facts, **(link or LINK[purpose]).facts()}
