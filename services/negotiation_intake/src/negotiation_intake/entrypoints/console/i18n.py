"""The console's words, one JSON file per language (locales/<lang>.json), and Babel's way of
writing amounts and dates in that language."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "en"


@cache
def messages(language: str) -> dict[str, str]:
    return dict(json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8")))


class Words:
    """What a page says, in one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._babel = self.language.replace("-", "_")

    def __call__(self, key: str, **values: Any) -> str:
        text = messages(self.language).get(key) or messages(DEFAULT_LANGUAGE).get(key, key)
        return text.format(**values) if values else text

    def money(self, money: dict[str, str] | None) -> str:
        """A wire amount ({"amount", "currency"}) as the language writes it."""
        if not money:
            return "—"
        return str(format_currency(Decimal(money["amount"]), money["currency"], locale=self._babel))

    def day(self, value: str | date | None) -> str:
        if not value:
            return "—"
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, format="medium", locale=self._babel))

    def instant(self, value: str | datetime | None) -> str:
        if not value:
            return "—"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return str(format_datetime(moment, format="short", locale=self._babel))
