"""How often the borrower's own doors may be tried (issue 17, L1; issue 21): the confirmation
endpoint, the signed link that opens the borrower's page, and the page itself.

The one-time code is the borrower's only credential at the confirmation endpoint: 5 wrong tries
lock a code, and these limits slow a guesser across codes and across applications. Only refused
tries count there and at the link, so a borrower who enters the right code or opens a good link
is never held back, however many share an address (a carrier's NAT). A refused try for an
application or a loan that does not exist counts the same as any other: the limits disclose
nothing either. The page counts every request from an address, answered or not: a bound on
scraping and floods, well above what people behind one address click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class TryLimit:
    """At most `tries` tries in `window`, counted from the first of them (which tries count is
    the limit's to say: refused ones, or every request)."""

    scope: str  # what is limited: the rule a refusal names
    tries: int
    window: timedelta


#: A code's 5 tries, and those of one resend, in a quarter of an hour.
PER_APPLICATION = TryLimit("borrower_tries_per_application", tries=10, window=timedelta(minutes=15))
#: One address (or the proxy's X-Forwarded-For) guessing across applications.
PER_CLIENT = TryLimit("borrower_tries_per_client", tries=30, window=timedelta(minutes=15))
#: Links refused to one address: a link copied badly is tried again a few times; a guesser of
#: tokens (80 bits of MAC, tideover_runtime.borrower_links) gets nowhere at this pace.
LINK_PER_CLIENT = TryLimit("borrower_link_tries_per_client", tries=20, window=timedelta(minutes=15))
#: Links refused for one loan (the loan a well-formed token names), from any address.
LINK_PER_LOAN = TryLimit("borrower_link_tries_per_loan", tries=10, window=timedelta(minutes=15))
#: Every request to the borrower's page from one address, the link's included.
PAGE_PER_CLIENT = TryLimit("borrower_page_requests_per_client", tries=300, window=timedelta(minutes=15))
#: Change codes asked for one loan (*I need help* sent, or a new code asked for): each is an SMS
#: to the borrower's phone, so a page left open or a script cannot flood it. Notification sends at
#: most 5 a day for a loan (its change_code_limit); intake stops asking well before that matters.
CODES_PER_LOAN = TryLimit("borrower_codes_per_loan", tries=3, window=timedelta(minutes=15))
#: Change codes asked for from one address, across loans.
CODES_PER_CLIENT = TryLimit("borrower_codes_per_client", tries=10, window=timedelta(minutes=15))
