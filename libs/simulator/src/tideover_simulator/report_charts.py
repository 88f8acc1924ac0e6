"""The report's charts: inline SVG drawn by matplotlib, one panel or a stack of panels on a
shared axis of business days, or a bar chart of totals."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, StrMethodFormatter

from tideover_simulator.report_figures import BUCKETS, DayFigures, counts_of, label_of, money, offers_by_kind

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


def charts(days: Sequence[DayFigures], totals: Mapping[str, Any], currency: str) -> list[Chart]:
    plans_taken = {label_of(kind): count for kind, count in offers_by_kind(totals).items()}
    suppressed = {label_of(rule): count for rule, count in counts_of(totals, "suppressed_by_rule").items()}
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
            axes.plot(x, heights, color=colour, label=f"{name}: {money(totals[-1], currency)}")
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
