"""The borrower's page in the borrower's language (issue 21): zh-CN, zh-Hant and en, one JSON file
each (locales/<language>.json; a section's own words in locales/<section>/<language>.json),
amounts and dates written as notification's messages write them (its adapters/templates.py), so
that the page and the notice it came from read alike.

The language is the one the borrower chose on the page; else the one their messages are written
in (the contact of the loan's status: tideover_contracts.common.Language.of); else the browser's
(Accept-Language); else English. A refusal, which knows no loan, speaks the browser's."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_percent

from tideover_contracts.common import Language, Locale
from tideover_contracts.money import Money

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh-CN", "zh-Hant", "en")
DEFAULT_LANGUAGE = "en"
#: Each language named in itself, for the switch.
LANGUAGE_NAMES = {"zh-CN": "简体中文", "zh-Hant": "繁體中文", "en": "English"}
#: The page's language for each language messages are written in.
PAGE_LANGUAGE = {Language.ZH_HANS: "zh-CN", Language.ZH_HANT: "zh-Hant", Language.EN: "en"}
WRITTEN_IN = {page: written for written, page in PAGE_LANGUAGE.items()}
#: As notification writes them: amounts in zh-Hant as in zh-Hans ("¥", not "CN¥"); in English with
#: the ISO code ("CNY 1,045.00": "¥" is ambiguous outside China).
_MONEY_LOCALE = {"zh-CN": "zh_CN", "zh-Hant": "zh_CN", "en": "en"}
_DATE_LOCALE = {"zh-CN": "zh_CN", "zh-Hant": "zh_Hant_TW", "en": "en"}
_EN_MONEY_FORMAT = "¤¤ #,##0.00"
#: A moment as the written plan states the code's expiry (notification's adapters/templates.py).
_MOMENT_FORMAT = {"zh-CN": "y年M月d日 HH:mm（zzzz）", "zh-Hant": "y年M月d日 HH:mm（zzzz）", "en": "MMMM d, y 'at' h:mm a (zzzz)"}
#: Traditional Chinese is written in these regions (a browser's zh-TW, zh-HK, zh-MO).
_HANT_REGIONS = frozenset({"hant", "tw", "hk", "mo"})
#: What of an Accept-Language header is read: a real one is a few dozen characters.
_MOST_HEADER = 500


@cache
def messages(language: str) -> dict[str, str]:
    """The page's words (locales/<language>.json) and each section's own (locales/<section>/<language>.json);
    a key is said in one file only (a unit test checks it)."""
    words: dict[str, str] = {}
    for path in [LOCALES / f"{language}.json", *sorted(LOCALES.glob(f"*/{language}.json"))]:
        words.update(json.loads(path.read_text(encoding="utf-8")))
    return words


class Words:
    """What the page says, in one of LANGUAGES."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **values: Any) -> str:
        text = messages(self.language).get(key)
        if text is None:  # "" is a word too: nothing between two Chinese sentences
            text = messages(DEFAULT_LANGUAGE).get(key, key)
        return text.format(**values) if values else text

    @property
    def written_in(self) -> Language:
        return WRITTEN_IN[self.language]

    def money(self, money: dict[str, str] | Money | None) -> str:
        """A wire amount ({"amount", "currency"}), or a Money, as the language writes it."""
        if not money:
            return "—"
        if isinstance(money, Money):
            money = {"amount": str(money.amount), "currency": money.currency}
        amount, currency, locale = Decimal(money["amount"]), money["currency"], _MONEY_LOCALE[self.language]
        if self.language == "en":
            return str(format_currency(amount, currency, format=_EN_MONEY_FORMAT, currency_digits=True, locale=locale))
        return str(format_currency(amount, currency, locale=locale))

    @staticmethod
    def nothing(money: dict[str, str] | None) -> bool:
        """Whether a wire amount is none or zero (in any currency's decimals)."""
        return not money or Decimal(money["amount"]) == 0

    def day(self, value: str | date | None) -> str:
        if not value:
            return "—"
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, format="long", locale=_DATE_LOCALE[self.language]))

    def moment(self, value: datetime | None, time_zone: str) -> str:
        """A moment in the borrower's time zone, the zone named."""
        if value is None:
            return "—"
        zone, pattern = ZoneInfo(time_zone), _MOMENT_FORMAT[self.language]
        return str(format_datetime(value.astimezone(zone), pattern, tzinfo=zone, locale=_DATE_LOCALE[self.language]))

    def days(self, count: int) -> str:
        """A number of days: "1 day", "3 days", "3天"."""
        return self("day_count_one" if count == 1 else "day_count_other", count=count)

    def percent(self, fraction: Decimal) -> str:
        return str(format_percent(fraction, format="#,##0.##%", locale=_MONEY_LOCALE[self.language]))


def contact_language(snapshot: dict[str, Any]) -> str | None:
    """The page's language for the language the loan's status says the borrower's messages are
    written in (its contact's locale, and language where one is stated); None if it says none."""
    contact = snapshot.get("contact")
    if not isinstance(contact, dict):
        return None
    locale, stated = contact.get("locale"), contact.get("language")
    try:
        written = Language.of(Locale(str(locale)), Language(stated) if stated else None)
    except ValueError:
        return None
    return PAGE_LANGUAGE[written]


def accepted_language(header: str | None) -> str | None:
    """The browser's most preferred language of LANGUAGES (Accept-Language, RFC 9110 §12.5.4);
    None if it names none of them. Whatever the header holds, never an error."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "")[:_MOST_HEADER].split(",")):
        tag, _, parameters = item.partition(";")
        language = _page_language(tag.strip())
        if language is None:
            continue
        quality = _quality(parameters)
        if quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def page_language(chosen: str, contact: str | None, accept_language: str | None) -> str:
    """The language a page is in: see the module's docstring."""
    if chosen in LANGUAGES:
        return chosen
    return contact or accepted_language(accept_language) or DEFAULT_LANGUAGE


def _page_language(tag: str) -> str | None:
    parts = tag.lower().replace("_", "-").split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] == "zh":
        return "zh-Hant" if _HANT_REGIONS & set(parts[1:]) else "zh-CN"
    return None


def _quality(parameters: str) -> float:
    name, _, value = parameters.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        quality = float(value.strip())
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0
