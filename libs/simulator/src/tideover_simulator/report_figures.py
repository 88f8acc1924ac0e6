"""The simulation's figures as the report reads them: each business day of the series, the
trial balance, and the totals, counts and amounts as the page and the summary show them.

Amounts arrive as decimal strings and stay `Decimal`; only matplotlib gets floats, to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from tideover_reconcile.balance import COLUMNS as TRIAL_BALANCE_COLUMNS

BUCKETS = ("M1", "M2", "M3", "M4", "M5+")
OFFER_KINDS = (
    "term_extension",
    "arrears_installments",
    "waiver",
    "waiver_with_term_extension",
    "waiver_with_arrears_installments",
)


@dataclass(frozen=True)
class DayFigures:
    """One business day of the series, with every missing count read as zero."""

    business_date: date
    overdue: Mapping[str, int]
    sent: int
    held: int
    suppressed: int
    applications: int
    offers: int
    rejections: int
    plans_active: int
    plans_completed: int
    plans_broken: int
    recovered: Decimal
    waived: Decimal

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DayFigures:
        notices, plans = raw.get("notices", {}), raw.get("plans", {})
        return cls(
            business_date=date.fromisoformat(raw["business_date"]),
            overdue={bucket: int(raw.get("overdue_by_bucket", {}).get(bucket, 0)) for bucket in BUCKETS},
            sent=int(notices.get("sent", 0)),
            held=int(notices.get("held", 0)),
            suppressed=int(notices.get("suppressed", 0)),
            applications=int(raw.get("applications", 0)),
            offers=int(raw.get("offers", 0)),
            rejections=int(raw.get("rejections", 0)),
            plans_active=int(plans.get("active", 0)),
            plans_completed=int(plans.get("completed", 0)),
            plans_broken=int(plans.get("broken", 0)),
            recovered=Decimal(str(raw.get("recovered", "0"))),
            waived=Decimal(str(raw.get("waived", "0"))),
        )


@dataclass(frozen=True)
class TrialBalanceView:
    """The trial balance (`tideover_reconcile.TrialBalance.as_json()`) as the page shows it."""

    verdict: str
    balanced: bool
    columns: tuple[str, ...]
    books: list[tuple[str, list[tuple[str, list[str]]]]]  # currency, then component and its amounts
    findings: list[tuple[str, list[tuple[str, str, str]]]]  # title, then loan, check and detail

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TrialBalanceView:
        books = [
            (
                currency,
                [
                    (component.capitalize(), [money(Decimal(amounts[column]), currency) for column in TRIAL_BALANCE_COLUMNS])
                    for component, amounts in components.items()
                ],
            )
            for currency, components in raw.get("books", {}).items()
        ]
        findings = [
            (title, [(finding["loan_id"], finding["check"], finding["detail"]) for finding in raw.get(key, [])])
            for title, key in (("Loans out of balance", "out_of_balance"), ("Services disagree", "disagreements"))
        ]
        return cls(verdict_of(raw), bool(raw.get("balanced")), tuple(map(label_of, TRIAL_BALANCE_COLUMNS)), books, findings)


def verdict_of(balance: Mapping[str, Any]) -> str:
    loans = f"{int(balance.get('loans', 0)):,} loans"
    if balance.get("balanced"):
        verdict = f"{loans}, balanced"
    else:
        verdict = f"{loans}, {len(balance.get('loans_out_of_balance', [])):,} OUT OF BALANCE"
    disagreeing = {finding["loan_id"] for finding in balance.get("disagreements", [])}
    return verdict + (f", {len(disagreeing):,} on which the services disagree" if disagreeing else "")


def last_overdue(days: Sequence[DayFigures]) -> dict[str, int]:
    return dict(days[-1].overdue) if days else dict.fromkeys(BUCKETS, 0)


def offers_by_kind(totals: Mapping[str, Any]) -> dict[str, int]:
    counts = counts_of(totals, "offers_by_kind")
    known = [kind for kind in OFFER_KINDS if kind in counts]
    return {kind: counts[kind] for kind in [*known, *sorted(set(counts) - set(known))]}


def count_of(totals: Mapping[str, Any], key: str) -> int:
    return int(totals.get(key, 0))


def counts_of(totals: Mapping[str, Any], key: str) -> dict[str, int]:
    return {str(name): int(count) for name, count in totals.get(key, {}).items()}


def amount_of(totals: Mapping[str, Any], key: str) -> Decimal:
    return Decimal(str(totals.get(key, "0")))


def money(amount: Decimal, currency: str) -> str:
    return str(format_currency(amount, currency, locale="en"))


def label_of(key: str) -> str:
    return key.replace("_", " ").capitalize() if key not in BUCKETS else key


#: The split of the borrowers who asked for help (tally.help_by_channel): its rows, by label.
HELP_SPLIT_ROWS = {
    "borrowers": "Borrowers who asked",
    "applications": "Applications",
    "plans_accepted": "Plans accepted",
    "plans_activated": "Plans activated",
    "plans_completed": "Plans completed",
    "plans_broken": "Plans broken",
    "plans_active": "Plans active",
}
HELP_CHANNELS = {"agent": "Through the agent", "page": "On their page"}


def help_counts(totals: Mapping[str, Any]) -> dict[str, list[int]]:
    """Each row of the split by its key: the count through the agent, on the page, and both."""
    split = totals.get("help_by_channel", {})
    rows = {}
    for key in HELP_SPLIT_ROWS:
        counts = [int(split.get(channel, {}).get(key, 0)) for channel in HELP_CHANNELS]
        rows[key] = [*counts, sum(counts)]
    return rows


def help_split(totals: Mapping[str, Any]) -> list[tuple[str, list[int]]]:
    """The split's rows as the page shows them: label, then agent, page and both."""
    return [(HELP_SPLIT_ROWS[key], counts) for key, counts in help_counts(totals).items()]
