"""Tideover event contracts: the only definition of what travels between services."""

from tideover_contracts.envelope import (
    Envelope,
    Event,
    MalformedMessageError,
    deterministic_id,
    parse_message,
    wrap,
)
from tideover_contracts.money import Money, Rate

__all__ = [
    "Envelope",
    "Event",
    "MalformedMessageError",
    "Money",
    "Rate",
    "deterministic_id",
    "parse_message",
    "wrap",
]
