"""The console's words, one JSON file per language (locales/<lang>.json), and Babel's way of
writing amounts and dates in that language."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "en"
#: The lender's time zone, unless the console is told another (ConsoleSettings.console_time_zone).
DEFAULT_TIME_ZONE = "Asia/Shanghai"


@cache
def messages(language: str) -> dict[str, str]:
    return dict(json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8")))


class Words:
    """What a page says, in one language."""

    def __init__(self, language: str, time_zone: str = DEFAULT_TIME_ZONE) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._babel = self.language.replace("-", "_")
        self.time_zone = time_zone

    def __call__(self, key: str, **values: Any) -> str:
        text = messages(self.language).get(key) or messages(DEFAULT_LANGUAGE).get(key, key)
        return text.format(**values) if values else text

    def money(self, money: dict[str, str] | None) -> str:
        """A wire amount ({"amount", "currency"}) as the language writes it."""
        if not money:
            return "—"
        return str(format_currency(Decimal(money["amount"]), money["currency"], locale=self._babel))

    @staticmethod
    def nothing(money: dict[str, str] | None) -> bool:
        """Whether a wire amount is none or zero (in any currency's decimals)."""
        return not money or Decimal(money["amount"]) == 0

    def day(self, value: str | date | None) -> str:
        if not value:
            return "—"
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, format="medium", locale=self._babel))

    def instant(self, value: str | datetime | None, time_zone: str | None = None) -> str:
        """The instant in the lender's time zone (or `time_zone`), the zone named: "2/13/26, 10:00 AM
        China Standard Time", "2026/2/13 10:00 中国标准时间"."""
        if not value:
            return "—"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        time = f"{get_time_format('short', self._babel).pattern} zzzz"
        pattern = str(get_datetime_format("short", self._babel)).format(time, get_date_format("short", self._babel).pattern)
        return str(format_datetime(moment, pattern, tzinfo=ZoneInfo(time_zone or self.time_zone), locale=self._babel))
