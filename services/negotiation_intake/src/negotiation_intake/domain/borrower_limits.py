"""How often the borrower's confirmation endpoint may be tried without success (issue 17, L1).

The one-time code is the borrower's only credential there: 5 wrong tries lock a code, and these
limits slow a guesser across codes and across applications. Only refused tries count, so a
borrower who enters the right code is never held back, however many share an address (a
carrier's NAT). A refused try for an application that does not exist counts the same as any
other: the limits disclose nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class TryLimit:
    """At most `tries` refused tries in `window`, counted from the first of them."""

    scope: str  # what is limited: the rule a refusal names
    tries: int
    window: timedelta


#: A code's 5 tries, and those of one resend, in a quarter of an hour.
PER_APPLICATION = TryLimit("borrower_tries_per_application", tries=10, window=timedelta(minutes=15))
#: One address (or the proxy's X-Forwarded-For) guessing across applications.
PER_CLIENT = TryLimit("borrower_tries_per_client", tries=30, window=timedelta(minutes=15))
