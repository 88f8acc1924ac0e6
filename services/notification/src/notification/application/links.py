"""The borrower's own link in a message (issue 21): the signed link that opens the borrower's page
(tideover_runtime.borrower_links), bound to the loan and the borrower notification has on file
for it, expiring `link_valid_days` after the message was made.

Which messages carry it (`carries_link`): the overdue notice, the written plan and the plan
installment reminder, as text: SMS, e-mail and push. A voice call neither carries it nor speaks
of it, in every language: a call cannot hand over a link, and "the link in our text messages"
would send a borrower who opted out of SMS, or whose texts failed, looking for one they never got.

Nothing of a link is stored; it is signed again whenever its message is rendered. The link is a
bearer credential for days (DESIGN.md §5: a secret is not kept in clear after it is sent), and a
message is rendered only when it is sent: at once, when a hold ends (quiet hours), or on the next
channel after a failure. Everything the token is made of is kept already: the loan, the
borrower on file (contacts) and the instant the message was made (`messages.created_at`, from the
service's clock, the business clock in a simulation). Signing again from those gives the same
token every time (the MAC is deterministic), so a message held overnight carries a link that
works and expires as first decided, and there is no token to mask, encrypt or forget in the
messages table. What is kept of a message that was sent has the token masked (the contact log,
domain/masking.py), and its request is blanked in the outbox once published
(application/deciding.py `carries_a_secret`), as the one-time codes are.

A message is not sent more than `stale_after` (3 days, domain/contact_rules.py) after it was
made: with the default 7 days, a link has at least 4 days left when it arrives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from notification.domain.messages import StoredMessage
from tideover_contracts.common import Channel
from tideover_contracts.events.notifications import Purpose
from tideover_runtime.borrower_links import DEVELOPMENT_LINK_SECRET, LinkSettings, link_for, read

#: The messages that carry the borrower's link (issue 21): what presses for payment or asks for a
#: decision, where the page lets the borrower act on it.
LINKED = frozenset({Purpose.OVERDUE_NOTICE, Purpose.WRITTEN_PLAN, Purpose.PLAN_INSTALLMENT_REMINDER})
#: The channels that can carry a link: text a borrower can tap.
LINK_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.PUSH})


class MissingLinksError(RuntimeError):
    """A message that carries the borrower's link came to be rendered by a service built without
    its link secret (entrypoints/bootstrap.py builds it with one)."""


def carries_link(purpose: Purpose, channel: Channel) -> bool:
    """Whether a message for `purpose` on `channel` carries the borrower's link."""
    return purpose in LINKED and channel in LINK_CHANNELS


@dataclass(frozen=True)
class SignedLink:
    """A link as a message states it: the whole `url`, its `token` (the secret part, masked
    wherever the message is kept) and when it expires (to the hour, rounded up)."""

    url: str
    token: str = field(repr=False)
    expires_at: datetime

    def facts(self) -> dict[str, object]:
        """What the templates read: `borrower_link` and `link_expires_at`."""
        return {"borrower_link": self.url, "link_expires_at": self.expires_at}


@dataclass(frozen=True)
class BorrowerLinks:
    """Signs the borrowers' links: the page's address and the links' lifetime (`settings`), and
    the server-side secret they are signed with."""

    settings: LinkSettings
    secret: bytes = field(repr=False)

    @classmethod
    def for_development(cls) -> BorrowerLinks:
        """Links as a developer's machine and the tests sign them: the default page and lifetime,
        the development secret (which negotiation-intake accepts only in development)."""
        return cls(LinkSettings.model_construct(), DEVELOPMENT_LINK_SECRET.encode())

    def sign(self, loan_id: uuid.UUID, borrower_id: str, made_at: datetime) -> SignedLink:
        """The link to `loan_id`'s page for `borrower_id`, valid `link_valid_days` from `made_at`."""
        url = link_for(loan_id, borrower_id, made_at, self.settings, self.secret)
        token = url.removeprefix(self.settings.borrower_page_url)
        claims = read(token)
        assert claims is not None  # a token just signed reads back
        return SignedLink(url, token, claims.expires_at)

    def for_message(self, message: StoredMessage, borrower_id: str, channel: Channel) -> SignedLink | None:
        """The link `message` carries on `channel` (None: it carries none), expiring
        `link_valid_days` after the message was made, however late it is sent."""
        if not carries_link(message.purpose, channel):
            return None
        return self.sign(message.loan_id, borrower_id, message.created_at)
