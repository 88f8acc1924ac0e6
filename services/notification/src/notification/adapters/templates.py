"""What a borrower reads, rendered from versioned template files.

One Jinja2 file per purpose, channel and language: ``templates/<purpose>/<channel>.<key>.j2``.
The language is the one messages to the borrower are written in (`Language.of(locale, language)`,
tideover_contracts.common); its key is ``zh-CN`` for zh-Hans (the name the Simplified Chinese
files had when the locale was all that named a language: renamed, the same text would appear in
the contact log under two names), ``zh-Hant`` and ``en``. Each file starts with a header comment
``{# version: N #}``; a rendering is named ``<purpose>/<channel>.<key>@vN``, so the contact log
shows exactly which text a borrower read.

- E-mail templates are plain text and define two blocks: ``{% block subject %}`` (one line) and
  ``{% block body %}``. Every other channel's file is the body alone.
- SMS and push bodies are folded onto one line (lines joined by a space in en, by nothing in
  Chinese); e-mail and voice-call bodies keep their lines, with at most one blank line in a row.
  Trailing white space is stripped everywhere.
- An SMS stays within `domain.sms.MAX_SEGMENTS` segments (opt-out line included): when the
  text would not, the template is rendered again with ``compact`` true (false otherwise), and a
  template with a short form writes it then (the written plan's schedule:
  application/written_plan.py `compact`).
- For a US borrower every SMS and e-mail ends with the opt-out line of
  ``templates/_opt_out/<channel>.<key>.j2`` (Regulation F §1006.6(e)); push and voice calls
  carry none, and neither do CN messages.
- A missing fact is an error, never a blank (StrictUndefined), and so is a Money, date or
  None printed without its filter.

Filters, all in the borrower's language: ``money`` (``¥1,234.56`` in Chinese, ``CNY 1,234.56``
in en), ``amount`` (a Money's number alone, ``1,234.56``, where the currency was just stated),
``date`` (CLDR long date: ``2026年4月15日`` / ``April 15, 2026``), ``datetime`` (an aware
datetime shown in the borrower's time zone, with the zone's name: ``中国标准时间`` in zh-Hans,
``中國標準時間`` in zh-Hant) and ``days`` (``3天`` / ``3 days``). zh-Hant dates and zone names
are Babel's zh_Hant_TW; its amounts are written as zh-Hans writes them (``¥1,234.56``, not
zh_Hant's ``CN¥``): the loans are a mainland lender's, in yuan, and an amount should read the
same in every message whichever script it is in. The template context is the facts plus
``language``, ``time_zone`` and ``compact``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel import Locale as BabelLocale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, parse_pattern
from jinja2 import Environment, PackageLoader, StrictUndefined, Template, Undefined, UndefinedError, pass_context
from jinja2.runtime import Context

from notification.application.ports import Rendered
from notification.domain import sms
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.money import Money

#: The file key of each language's templates (see above: zh-Hans keeps the name zh-CN).
TEMPLATE_KEY = {Language.ZH_HANS: "zh-CN", Language.ZH_HANT: "zh-Hant", Language.EN: "en"}
#: Parsed once: Babel parses a locale given by name on every call.
_ZH_CN, _ZH_HANT_TW, _EN = BabelLocale.parse("zh_CN"), BabelLocale.parse("zh_Hant_TW"), BabelLocale.parse("en")
_BABEL_LOCALE = {Language.ZH_HANS: _ZH_CN, Language.ZH_HANT: _ZH_HANT_TW, Language.EN: _EN}
#: Amounts: zh-Hant as zh-Hans (see above).
_MONEY_LOCALE = {Language.ZH_HANS: _ZH_CN, Language.ZH_HANT: _ZH_CN, Language.EN: _EN}
#: en readers see the ISO code: "CN¥" and "¥" are ambiguous outside China. (Number patterns are
#: parsed once: Babel parses one given as text on every call.)
_EN_MONEY_FORMAT = parse_pattern("¤¤ #,##0.00")
_AMOUNT_FORMAT = parse_pattern("#,##0.00")
_DATETIME_FORMAT = {
    Language.ZH_HANS: "y年M月d日 HH:mm（zzzz）",
    Language.ZH_HANT: "y年M月d日 HH:mm（zzzz）",
    Language.EN: "MMMM d, y 'at' h:mm a (zzzz)",
}
_LINE_SEPARATOR = {Language.ZH_HANS: "", Language.ZH_HANT: "", Language.EN: " "}
_CHINESE = frozenset({Language.ZH_HANS, Language.ZH_HANT})
_ONE_LINE_CHANNELS = frozenset({Channel.SMS, Channel.PUSH})
_OPT_OUT_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL})
_RESERVED_NAMES = frozenset({"language", "time_zone", "compact"})
_VERSION_HEADER = re.compile(r"\A\{#\s*version:\s*(\d+)\s*#\}")
_BLANK_RUNS = re.compile(r"\n{3,}")

T = TypeVar("T")


class TemplateError(ValueError):
    """A template cannot render these facts: a missing fact, a wrong type or a broken file."""


def render(
    purpose: Purpose,
    channel: Channel,
    language: Language,
    jurisdiction: Jurisdiction,
    time_zone: str,
    facts: Mapping[str, object],
) -> Rendered:
    """Render the message for `purpose` on `channel` in `language` from `facts`.

    Raises TemplateError when a fact the template needs is missing or has the wrong type.
    """
    name = f"{purpose.value}/{channel.value}.{TEMPLATE_KEY[language]}"
    context = _context(facts, language, time_zone)
    try:
        subject, body = _render_text(name, channel, language, jurisdiction, context)
        if channel is Channel.SMS and not sms.fits(body):
            subject, body = _render_text(name, channel, language, jurisdiction, {**context, "compact": True})
    except (UndefinedError, TypeError) as error:
        raise TemplateError(f"{name}: {error}") from error
    return Rendered(template=f"{name}@v{template_version(name)}", subject=subject, body=body)


@cache
def template_version(name: str) -> int:
    """The version in the header of template `name` ("overdue_notice/sms.en")."""
    environment = _environment()
    assert environment.loader is not None
    source, _, _ = environment.loader.get_source(environment, f"{name}.j2")
    header = _VERSION_HEADER.match(source)
    if header is None:
        raise TemplateError(f"{name}.j2 does not start with a {{# version: N #}} header")
    return int(header.group(1))


def template_names() -> frozenset[str]:
    """Every template file, as "<folder>/<channel>.<key>" without the .j2 suffix."""
    return frozenset(name.removesuffix(".j2") for name in _environment().list_templates(extensions=["j2"]))


def _render_text(
    name: str, channel: Channel, language: Language, jurisdiction: Jurisdiction, context: dict[str, object]
) -> tuple[str | None, str]:
    """The subject and the finished body: the opt-out line added where due, white space tidied."""
    subject, body = _render_parts(_template(name), channel, context)
    if jurisdiction is Jurisdiction.US and channel in _OPT_OUT_CHANNELS:
        opt_out = _template(f"_opt_out/{channel.value}.{TEMPLATE_KEY[language]}").render(context)
        body = _with_opt_out(body, opt_out, channel, language)
    return subject, _tidy(body, channel, language)


def _render_parts(template: Template, channel: Channel, context: dict[str, object]) -> tuple[str | None, str]:
    if channel is not Channel.EMAIL:
        return None, template.render(context)
    missing = {"subject", "body"} - template.blocks.keys()
    if missing:
        raise TemplateError(f"{template.name} lacks the block(s) {sorted(missing)}")
    jinja_context = template.new_context(context)
    subject = "".join(template.blocks["subject"](jinja_context))
    body = "".join(template.blocks["body"](jinja_context))
    return " ".join(subject.split()), body


def _with_opt_out(body: str, opt_out: str, channel: Channel, language: Language) -> str:
    line = " ".join(opt_out.split())
    if channel is Channel.EMAIL:
        return f"{body.rstrip()}\n\n{line}"
    return f"{body.rstrip()}{_LINE_SEPARATOR[language]}{line}"


def _tidy(body: str, channel: Channel, language: Language) -> str:
    lines = [line.rstrip() for line in body.splitlines()]
    if channel in _ONE_LINE_CHANNELS:
        return _LINE_SEPARATOR[language].join(line.strip() for line in lines if line.strip())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _context(facts: Mapping[str, object], language: Language, time_zone: str) -> dict[str, object]:
    clashes = _RESERVED_NAMES & facts.keys()
    if clashes:
        raise TemplateError(f"facts may not be named {sorted(clashes)}: the renderer sets them")
    ZoneInfo(time_zone)  # an unknown zone fails here, not half-way through a template
    return {**facts, "language": language, "time_zone": time_zone, "compact": False}


def _template(name: str) -> Template:
    return _environment().get_template(f"{name}.j2")


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("notification", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 -- SMS, push, voice scripts and e-mail are all plain text, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=_refuse_unformatted,
    )
    environment.filters.update(money=_money, amount=_amount, date=_date, datetime=_datetime, days=_days)
    return environment


def _refuse_unformatted(value: object) -> object:
    if value is None:
        raise TypeError("a template printed None: test the fact before stating it")
    if isinstance(value, Money | date):
        raise TypeError(f"a template printed {type(value).__name__} {value} without its money/date/datetime filter")
    return value


def _defined(value: object, kind: type[T], filter_name: str) -> T:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if not isinstance(value, kind):
        raise TypeError(f"the {filter_name} filter needs a {kind.__name__}, not {type(value).__name__}")
    return value


@pass_context
def _money(context: Context, value: object) -> str:
    money = _defined(value, Money, "money")
    language: Language = context["language"]
    if language is Language.EN:
        text = format_currency(
            money.amount, money.currency, format=_EN_MONEY_FORMAT, currency_digits=True, locale=_MONEY_LOCALE[language]
        )
    else:
        text = format_currency(money.amount, money.currency, locale=_MONEY_LOCALE[language])
    return str(text)


@pass_context
def _amount(context: Context, value: object) -> str:
    money = _defined(value, Money, "amount")
    return str(
        format_currency(
            money.amount, money.currency, format=_AMOUNT_FORMAT, currency_digits=True, locale=_MONEY_LOCALE[context["language"]]
        )
    )


@pass_context
def _date(context: Context, value: object) -> str:
    day = _defined(value, date, "date")
    if isinstance(day, datetime):
        day = _local(day, context["time_zone"]).date()
    return str(format_date(day, format="long", locale=_BABEL_LOCALE[context["language"]]))


@pass_context
def _datetime(context: Context, value: object) -> str:
    moment = _defined(value, datetime, "datetime")
    zone = context["time_zone"]
    language: Language = context["language"]
    local = _local(moment, zone)
    return str(format_datetime(local, _DATETIME_FORMAT[language], tzinfo=ZoneInfo(zone), locale=_BABEL_LOCALE[language]))


@pass_context
def _days(context: Context, value: object) -> str:
    count = _defined(value, int, "days")
    if context["language"] in _CHINESE:
        return f"{count}天"
    return f"{count} day" if count == 1 else f"{count} days"


def _local(moment: datetime, time_zone: str) -> datetime:
    if moment.tzinfo is None:
        raise TypeError("a naive datetime cannot be shown in the borrower's time zone")
    return moment.astimezone(ZoneInfo(time_zone))
