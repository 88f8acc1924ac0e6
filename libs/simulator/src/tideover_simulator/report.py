"""The HTML report of a loan-book simulation: one self-contained page of charts and totals.

`figures` is the parsed JSON the simulator writes. Amounts arrive as decimal strings and stay
`Decimal` until they are handed to matplotlib, which only draws them.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
from babel.numbers import format_currency
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, StrMethodFormatter

from tideover_reconcile.balance import COLUMNS as TRIAL_BALANCE_COLUMNS

BUCKETS = ("M1", "M2", "M3", "M4", "M5+")
OFFER_KINDS = (
    "term_extension",
    "arrears_installments",
    "waiver",
    "waiver_with_term_extension",
    "waiver_with_arrears_installments",
)
_BUCKET_COLOURS = ("#fdd49e", "#fc8d59", "#e34a33", "#b30000", "#4d0000")
_SENT, _HELD, _SUPPRESSED = "#2b8cbe", "#f0a202", "#9e9e9e"
_GOOD, _BAD, _NEUTRAL, _RECEIVED = "#1a9850", "#d73027", "#4575b4", "#9ecae1"
_CHART_SIZE = (6.4, 3.3)

_Draw = Callable[[Axes, list[int]], None]


@dataclass(frozen=True)
class Chart:
    title: str
    caption: str
    svg: Markup


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
                    (component.capitalize(), [_money(Decimal(amounts[column]), currency) for column in TRIAL_BALANCE_COLUMNS])
                    for component, amounts in components.items()
                ],
            )
            for currency, components in raw.get("books", {}).items()
        ]
        findings = [
            (title, [(finding["loan_id"], finding["check"], finding["detail"]) for finding in raw.get(key, [])])
            for title, key in (("Loans out of balance", "out_of_balance"), ("Services disagree", "disagreements"))
        ]
        return cls(_verdict(raw), bool(raw.get("balanced")), tuple(map(_label, TRIAL_BALANCE_COLUMNS)), books, findings)


def render_report(figures: dict[str, Any]) -> str:
    """Render the simulation's figures as a complete HTML document with inline SVG charts."""
    days = [DayFigures.parse(raw) for raw in figures.get("series", [])]
    totals: Mapping[str, Any] = figures.get("totals", {})
    currency = str(figures.get("currency", "CNY"))
    balance = figures.get("trial_balance")
    template = _environment().get_template("report.html.j2")
    return template.render(
        header=_header(figures),
        charts=_charts(days, totals, currency),
        sections=_totals_sections(days, totals, currency),
        trial_balance=TrialBalanceView.parse(balance) if balance is not None else None,
    )


def write_report(figures: dict[str, Any], path: Path) -> Path:
    """Write the report to `path`, creating its directory, and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(figures), encoding="utf-8")
    return path


def summary_lines(figures: dict[str, Any]) -> list[str]:
    """A short plain-text summary of the run for the terminal."""
    days = [DayFigures.parse(raw) for raw in figures.get("series", [])]
    totals: Mapping[str, Any] = figures.get("totals", {})
    currency = str(figures.get("currency", "CNY"))
    header = _header(figures)
    suppressed = _counts(totals, "suppressed_by_rule")
    return [
        f"Simulation: seed {header['Seed']}, {header['Loans']} loans, {header['Days']} days ({header['Business dates']})",
        f"Elapsed: {header['Elapsed']}",
        f"Borrowers: {_joined(_counts(totals, 'borrowers_by_profile').items())}",
        f"Overdue at the last close: {_joined(_last_overdue(days).items())}",
        f"Notices: {_count(totals, 'notices_sent'):,} sent, {_count(totals, 'notices_held'):,} held, "
        f"{sum(suppressed.values()):,} suppressed",
        f"Suppressed by rule: {_joined(suppressed.items())}",
        f"Sent by purpose: {_joined(_counts(totals, 'sent_by_purpose').items())}",
        f"Negotiation: {_count(totals, 'applications'):,} applications, {_count(totals, 'offers'):,} offers, "
        f"{_count(totals, 'rejections'):,} rejections",
        f"Plans taken by kind: {_joined(_offers_by_kind(totals).items())}",
        f"Plans: {_count(totals, 'plans_activated'):,} activated, {_count(totals, 'plans_completed'):,} completed, "
        f"{_count(totals, 'plans_broken'):,} broken, {_count(totals, 'plans_active'):,} active",
        f"Recovered: {_money(_amount(totals, 'recovered'), currency)}",
        f"Waived: {_money(_amount(totals, 'waived'), currency)} "
        f"(reinstated {_money(_amount(totals, 'waivers_reinstated'), currency)})",
        f"Trial balance: {_verdict(figures['trial_balance']) if 'trial_balance' in figures else 'not taken'}",
    ]


@functools.cache
def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(Path(__file__).with_name("templates"))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def _header(figures: Mapping[str, Any]) -> dict[str, str]:
    return {
        "Seed": str(figures["seed"]),
        "Loans": f"{int(figures['loans']):,}",
        "Days": f"{int(figures['days']):,}",
        "Business dates": f"{figures['first_day']} to {figures['last_day']}",
        "Elapsed": _elapsed(float(figures["elapsed_seconds"])),
        "Currency": str(figures.get("currency", "CNY")),
    }


def _charts(days: Sequence[DayFigures], totals: Mapping[str, Any], currency: str) -> list[Chart]:
    plans_taken = {_label(kind): count for kind, count in _offers_by_kind(totals).items()}
    suppressed = {_label(rule): count for rule, count in _counts(totals, "suppressed_by_rule").items()}
    return [
        Chart("Overdue loans by bucket", "Loans overdue at each day's close, stacked M1 to M5+", _overdue_chart(days)),
        Chart("Notices per day", "Messages decided each day: sent, held for later, suppressed", _notices_chart(days)),
        Chart(
            "Suppressed notices by rule",
            "All suppressions over the run, by the rule that stopped them",
            _bar_chart(suppressed, "suppressed-by-rule", _SUPPRESSED, "suppressed", "No notice was suppressed"),
        ),
        Chart(
            "Applications and offers per day",
            "Applications received each day (wide pale bars); offers and rejections made (narrow bars)",
            _negotiation_chart(days),
        ),
        Chart(
            "Plans taken by kind",
            "The kind of option each borrower chose, over the run",
            _bar_chart(plans_taken, "plans-by-kind", _NEUTRAL, "plans", "No plan was taken"),
        ),
        Chart("Repayment plans", "Plans active at each close; completed and broken plans, cumulative", _plans_chart(days)),
        Chart(
            f"Recovered and waived, cumulative ({currency})",
            "Running totals of amounts recovered (top) and waived (bottom), each on its own scale",
            _amounts_chart(days, currency),
        ),
    ]


def _overdue_chart(days: Sequence[DayFigures]) -> Markup:
    layers = [[day.overdue[bucket] for day in days] for bucket in BUCKETS]

    def draw(axes: Axes, x: list[int]) -> None:
        axes.stackplot(x, layers, labels=BUCKETS, colors=_BUCKET_COLOURS, alpha=0.9)

    return _time_chart(days, "overdue", ("loans", draw))


def _notices_chart(days: Sequence[DayFigures]) -> Markup:
    stacked = (
        ("sent", _SENT, [day.sent for day in days]),
        ("held", _HELD, [day.held for day in days]),
        ("suppressed", _SUPPRESSED, [day.suppressed for day in days]),
    )

    def draw(axes: Axes, x: list[int]) -> None:
        bottom = [0] * len(x)
        for label, colour, counts in stacked:
            axes.bar(x, counts, width=0.85, bottom=bottom, color=colour, label=label)
            bottom = [below + count for below, count in zip(bottom, counts, strict=True)]

    return _time_chart(days, "notices", ("notices", draw))


def _negotiation_chart(days: Sequence[DayFigures]) -> Markup:
    # Offers and rejections are drawn narrower, inside the day's applications, because they
    # mostly equal them and a line would hide behind the other.
    offers = [day.offers for day in days]

    def draw(axes: Axes, x: list[int]) -> None:
        axes.bar(x, [day.applications for day in days], width=0.85, color=_RECEIVED, label="applications")
        axes.bar(x, offers, width=0.45, color=_GOOD, label="offers")
        axes.bar(x, [day.rejections for day in days], width=0.45, bottom=offers, color=_BAD, label="rejections")

    return _time_chart(days, "negotiation", ("per day", draw))


def _plans_chart(days: Sequence[DayFigures]) -> Markup:
    def draw(axes: Axes, x: list[int]) -> None:
        axes.plot(x, [day.plans_active for day in days], color=_NEUTRAL, label="active")
        axes.plot(x, [day.plans_completed for day in days], color=_GOOD, label="completed (cumulative)")
        axes.plot(x, [day.plans_broken for day in days], color=_BAD, label="broken (cumulative)")

    return _time_chart(days, "plans", ("plans", draw))


def _amounts_chart(days: Sequence[DayFigures], currency: str) -> Markup:
    # Waivers are a small fraction of recoveries, so each gets its own scale.
    def running_total(name: str, colour: str, amounts: Iterable[Decimal]) -> tuple[str, _Draw]:
        totals = list(accumulate(amounts))

        def draw(axes: Axes, x: list[int]) -> None:
            heights = [float(total) for total in totals]
            axes.plot(x, heights, color=colour, label=f"{name}: {_money(totals[-1], currency)}")
            axes.fill_between(x, heights, color=colour, alpha=0.15)
            axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))

        return currency, draw

    return _time_chart(
        days,
        "amounts",
        running_total("recovered", _GOOD, (day.recovered for day in days)),
        running_total("waived", _HELD, (day.waived for day in days)),
    )


def _time_chart(days: Sequence[DayFigures], salt: str, *panels: tuple[str, _Draw]) -> Markup:
    """Panels stacked on one shared axis of business days, each with its unit and its drawing."""
    figure = Figure(figsize=_CHART_SIZE, layout="constrained")
    if not days:
        _no_data(_styled(figure.add_subplot()), "No business day was simulated")
        return _svg(figure, salt)
    # Days are plotted by their position in the series, so days without business leave no gaps.
    x = list(range(len(days)))
    first: Axes | None = None
    for row, (unit, draw) in enumerate(panels, start=1):
        axes = _styled(figure.add_subplot(len(panels), 1, row, sharex=first))
        first = first or axes
        draw(axes, x)
        axes.set_ylabel(unit)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
        axes.tick_params(labelbottom=row == len(panels))
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=5, fontsize="small", frameon=False, borderaxespad=0.2)

    def business_date(position: float, _: int | None) -> str:
        index = round(position)
        return f"{days[index].business_date:%b} {days[index].business_date.day}" if 0 <= index < len(days) else ""

    assert first is not None
    first.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    first.xaxis.set_major_formatter(FuncFormatter(business_date))
    first.margins(x=0.01)
    return _svg(figure, salt)


def _bar_chart(counts: Mapping[str, int], salt: str, colour: str, unit: str, empty_message: str) -> Markup:
    figure = Figure(figsize=_CHART_SIZE, layout="constrained")
    axes = _styled(figure.add_subplot())
    if counts:
        labels = list(counts)[::-1]  # barh draws bottom-up; the first key reads at the top
        bars = axes.barh(labels, [counts[label] for label in labels], color=colour)
        axes.bar_label(bars, labels=[f"{counts[label]:,}" for label in labels], padding=3)
        axes.set_xlabel(unit)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(axis="y", visible=False)
        axes.margins(x=0.12)
    else:
        _no_data(axes, empty_message)
    return _svg(figure, salt)


def _styled(axes: Axes) -> Axes:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(alpha=0.3)
    return axes


def _no_data(axes: Axes, message: str) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes, color="#666666")


def _svg(figure: Figure, salt: str) -> Markup:
    # A bare Figure needs no pyplot backend and is never registered globally, so there is nothing
    # to close: it is freed with its last reference. Text stays text (selectable, no glyph defs),
    # and a per-chart salt keeps each SVG's clip and marker ids distinct from its neighbours' on
    # the same page. The SVG is matplotlib's own XML, which escapes every label, so it is markup.
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    document = buffer.getvalue()
    return Markup(document[document.index("<svg") :])  # noqa: S704 - see above


def _totals_sections(
    days: Sequence[DayFigures], totals: Mapping[str, Any], currency: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    suppressed = _counts(totals, "suppressed_by_rule")
    return [
        ("Borrowers by profile", _rows(_counts(totals, "borrowers_by_profile").items())),
        ("Overdue at the last close", _rows(_last_overdue(days).items())),
        (
            "Notices",
            _rows(
                [
                    ("sent", _count(totals, "notices_sent")),
                    ("held", _count(totals, "notices_held")),
                    ("suppressed", sum(suppressed.values())),
                ]
            ),
        ),
        ("Suppressed by rule", _rows(suppressed.items())),
        ("Sent by purpose", _rows(_counts(totals, "sent_by_purpose").items())),
        ("Negotiation", _rows((key, _count(totals, key)) for key in ("applications", "offers", "rejections"))),
        ("Plans taken by kind", _rows(_offers_by_kind(totals).items())),
        (
            "Plans",
            _rows(
                (key.removeprefix("plans_"), _count(totals, key))
                for key in ("plans_activated", "plans_completed", "plans_broken", "plans_active")
            ),
        ),
        (
            "Amounts",
            [(_label(key), _money(_amount(totals, key), currency)) for key in ("recovered", "waived", "waivers_reinstated")],
        ),
    ]


def _verdict(balance: Mapping[str, Any]) -> str:
    loans = f"{int(balance.get('loans', 0)):,} loans"
    if balance.get("balanced"):
        verdict = f"{loans}, balanced"
    else:
        verdict = f"{loans}, {len(balance.get('loans_out_of_balance', [])):,} OUT OF BALANCE"
    disagreeing = {finding["loan_id"] for finding in balance.get("disagreements", [])}
    return verdict + (f", {len(disagreeing):,} on which the services disagree" if disagreeing else "")


def _last_overdue(days: Sequence[DayFigures]) -> dict[str, int]:
    return dict(days[-1].overdue) if days else dict.fromkeys(BUCKETS, 0)


def _offers_by_kind(totals: Mapping[str, Any]) -> dict[str, int]:
    counts = _counts(totals, "offers_by_kind")
    known = [kind for kind in OFFER_KINDS if kind in counts]
    return {kind: counts[kind] for kind in [*known, *sorted(set(counts) - set(known))]}


def _count(totals: Mapping[str, Any], key: str) -> int:
    return int(totals.get(key, 0))


def _counts(totals: Mapping[str, Any], key: str) -> dict[str, int]:
    return {str(name): int(count) for name, count in totals.get(key, {}).items()}


def _amount(totals: Mapping[str, Any], key: str) -> Decimal:
    return Decimal(str(totals.get(key, "0")))


def _money(amount: Decimal, currency: str) -> str:
    return str(format_currency(amount, currency, locale="en"))


def _rows(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
    return [(_label(name), f"{count:,}") for name, count in pairs]


def _joined(pairs: Iterable[tuple[str, int]]) -> str:
    text = ", ".join(f"{name.replace('_', ' ')} {count:,}" for name, count in pairs)
    return text or "none"


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize() if key not in BUCKETS else key


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{seconds:.1f} s" if minutes == 0 else f"{minutes} min {rest:02d} s"
