"""What the borrowers' phones received: the texts the reference gateway delivered, by loan — the
written plan's code (the agent's borrowers give it on the confirmation endpoint, the page's on
*My plan*), the change codes the page sends, and the link to the borrower's page that the overdue
notices, the written plans and the plan reminders carry (notification's application/links.py)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from tideover_contracts.events.notifications import NotificationRequested, Purpose

#: Not \b: in Chinese text the code touches a word character. The first six digits standing alone
#: are the code: every message that carries one states it before the link.
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
#: The link's token: 40 URL-safe base64 characters after /b/ (tideover_runtime.borrower_links);
#: what follows it in a text (a full stop, a Chinese comma, a space) is not part of it.
LINK_TOKEN = re.compile(r"/b/([A-Za-z0-9_-]{40})(?![A-Za-z0-9_-])")


def code_in(text: str) -> str | None:
    """The one-time code a message states, if any."""
    found = CODE.search(text)
    return found.group(1) if found else None


def link_token_in(text: str) -> str | None:
    """The token of the borrower's link a message carries, if any."""
    found = LINK_TOKEN.search(text)
    return found.group(1) if found else None


@dataclass
class Phones:
    """The last text of each purpose each loan's borrower received, and the last link."""

    texts: dict[tuple[uuid.UUID, Purpose], str] = field(default_factory=dict)
    links: dict[uuid.UUID, str] = field(default_factory=dict)

    def deliver(self, request: NotificationRequested) -> None:
        """The gateway delivered `request` (any channel: an e-mail's link opens the page too)."""
        self.texts[(request.loan_id, request.purpose)] = request.body
        if token := link_token_in(request.body):
            self.links[request.loan_id] = token

    def written_plan_code(self, loan_id: uuid.UUID) -> str | None:
        text = self.texts.get((loan_id, Purpose.WRITTEN_PLAN))
        return code_in(text) if text else None

    def change_code(self, loan_id: uuid.UUID) -> str | None:
        text = self.texts.get((loan_id, Purpose.CHANGE_CODE))
        return code_in(text) if text else None

    def forget_change_code(self, loan_id: uuid.UUID) -> None:
        """Before a new code is asked for: the one read next must be the new one."""
        self.texts.pop((loan_id, Purpose.CHANGE_CODE), None)

    def link(self, loan_id: uuid.UUID) -> str | None:
        return self.links.get(loan_id)

    def forget_link(self, token: str, loan_id: uuid.UUID) -> None:
        """The page refused `token` (expired): the borrower waits for a message with a new one."""
        if self.links.get(loan_id) == token:
            del self.links[loan_id]
