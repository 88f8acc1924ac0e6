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

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from tideover_contracts.policy import CHANGE_CODE_DAY, CHANGE_CODES_A_DAY


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
#: Links refused for one loan, from any address: only links whose signature holds for the loan's
#: borrower (refused as expired), never a token anybody can forge naming a loan id they know —
#: those would lock the borrower out. A good link is never held back by it.
LINK_PER_LOAN = TryLimit("borrower_link_tries_per_loan", tries=10, window=timedelta(minutes=15))
#: Every request to the borrower's page from one address, the link's included.
PAGE_PER_CLIENT = TryLimit("borrower_page_requests_per_client", tries=300, window=timedelta(minutes=15))
#: Change codes asked for one loan (*I need help* sent, or a new code asked for): each is an SMS
#: to the borrower's phone, so a page left open or a script cannot flood it.
CODES_PER_LOAN = TryLimit("borrower_codes_per_loan", tries=3, window=timedelta(minutes=15))
#: Change codes asked for from one address, across loans.
CODES_PER_CLIENT = TryLimit("borrower_codes_per_client", tries=10, window=timedelta(minutes=15))
#: Change codes for one loan in any 24 hours: as many as notification sends (its
#: `change_code_limit`, the contracts' one figure), so that the page never says a code was sent
#: that notification then suppresses. Counted from the codes asked for (adapters/borrower_changes.py),
#: in a sliding window as notification counts it, not in this module's fixed windows.
CODES_A_DAY_PER_LOAN = TryLimit("borrower_codes_a_day_per_loan", tries=CHANGE_CODES_A_DAY, window=CHANGE_CODE_DAY)
#: Wrong change codes entered for one loan, across its changes and sessions: a change's code locks
#: after CODE_TRIES wrong tries in all (domain/borrower_changes.py), and this slows a guesser who
#: sends the form again for a fresh change (a code's 5 tries and those of one more change).
CHANGE_CODE_TRIES_PER_LOAN = TryLimit("borrower_change_code_tries_per_loan", tries=10, window=timedelta(minutes=15))
#: *I need help* forms sent from one session, and from one address: counted before the form is read
#: (up to 50 MB, five documents decoded), whatever it holds. A borrower correcting a refused field
#: sends a few.
HELP_FORMS_PER_SESSION = TryLimit("borrower_help_forms_per_session", tries=10, window=timedelta(minutes=15))
HELP_FORMS_PER_CLIENT = TryLimit("borrower_help_forms_per_client", tries=30, window=timedelta(minutes=15))
#: An IPv6 client is limited by its /64: one subscriber's network, where every device (and a
#: script) may take any of 2^64 addresses (RFC 6177 / RFC 7421).
IPV6_CLIENT_PREFIX = 64


def client_subject(address: str) -> str:
    """What the limits count a client address as: an IPv4 address itself (an IPv4-mapped IPv6
    address as its IPv4 one), an IPv6 address as its /64 network; anything else as given."""
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])  # an IPv6 zone names no other client
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def code_wait_seconds(asked: list[datetime], now: datetime) -> int | None:
    """How long until another change code may be asked for a loan that was sent codes at `asked`
    (CODES_A_DAY_PER_LOAN, in any 24 hours before `now`), or None if one may be asked now."""
    window = CODES_A_DAY_PER_LOAN.window
    recent = sorted(at for at in asked if now - at < window)
    if len(recent) < CODES_A_DAY_PER_LOAN.tries:
        return None
    # The oldest code that must leave the window before one more fits in it.
    frees = recent[len(recent) - CODES_A_DAY_PER_LOAN.tries] + window
    return max(1, math.ceil((frees - now).total_seconds()))
