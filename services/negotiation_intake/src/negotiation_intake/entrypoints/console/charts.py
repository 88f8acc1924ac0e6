"""A small bar chart of a plan's schedule, drawn on the server as SVG (no script library)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WIDTH = Decimal(240)
HEIGHT = Decimal(56)
GAP = Decimal("0.15")  # of each bar's slot


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    amount: Decimal


def _svg(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def schedule_bars(amounts: list[Decimal], largest: Decimal) -> list[Bar]:
    """One bar per installment, on a scale shared by every option (`largest` is the highest
    installment of all of them) so that the charts compare."""
    if not amounts or largest <= 0:
        return []
    slot = WIDTH / len(amounts)
    bars = []
    for index, amount in enumerate(amounts):
        height = max(HEIGHT * amount / largest, Decimal(1))
        bars.append(Bar(_svg(slot * index), _svg(HEIGHT - height), _svg(slot * (1 - GAP)), _svg(height), amount))
    return bars
