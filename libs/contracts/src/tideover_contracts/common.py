"""Value types several events share."""

from __future__ import annotations

import zoneinfo
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from tideover_contracts.money import Money


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"phone number must be in E.164 form (+8613800000000): {error}") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("phone number is not a possible number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


TimeZone = Annotated[str, AfterValidator(_time_zone), Field(examples=["Asia/Shanghai"])]
PhoneNumber = Annotated[str, AfterValidator(_phone), Field(examples=["+8613800138000"])]


class Jurisdiction(StrEnum):
    """Whose contact and charging rules apply (DESIGN.md §4 profiles)."""

    CN = "CN"
    US = "US"


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


class Language(StrEnum):
    """The language messages to a borrower are written in, as a BCP 47 tag. `Locale` (zh-CN, en)
    cannot name Traditional Chinese, and a new value of it would break every published v1 reader
    (DESIGN.md §2), so events name the language beside the locale, in an optional field:
    `Language.of` decides what a message is written in."""

    ZH_HANS = "zh-Hans"
    ZH_HANT = "zh-Hant"
    EN = "en"

    @classmethod
    def of(cls, locale: Locale, language: Language | None = None) -> Language:
        """The language messages are written in: `language` where one is stated, else the
        locale's own (zh-CN → zh-Hans, en → en). The one rule every producer and reader applies."""
        if language is not None:
            return language
        return LOCALE_LANGUAGE[locale]


#: Each locale's own language: what a message is written in when no language is stated.
LOCALE_LANGUAGE: dict[Locale, Language] = {Locale.ZH_CN: Language.ZH_HANS, Locale.EN: Language.EN}


def language_field(absent: str) -> Any:
    """The optional `language` field of an event, documented alike everywhere; `absent` says
    what a message without it means."""
    return Field(
        default=None,
        description=(
            "The language messages to the borrower are written in (BCP 47: zh-Hans, zh-Hant, en): the only way "
            f"to name Traditional Chinese (zh-Hant), which `locale` cannot. {absent}"
        ),
    )


class Channel(StrEnum):
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"
    VOICE_CALL = "voice_call"


class BorrowerContact(Frozen):
    """How and when a borrower may be reached. Names and numbers are masked in logs."""

    borrower_id: str = Field(min_length=1, description="The lender's borrower reference")
    name: str = Field(min_length=1)
    phone: PhoneNumber
    email: str | None = None
    push_token: str | None = None
    locale: Locale
    language: Language | None = language_field(
        "Absent: the locale's own (zh-CN → zh-Hans, en → en), as `Language.of(locale, language)` decides."
    )
    time_zone: TimeZone
    jurisdiction: Jurisdiction
    preferred_channels: tuple[Channel, ...] = (Channel.SMS,)

    @property
    def written_in(self) -> Language:
        """The language messages to this borrower are written in (`Language.of`)."""
        return Language.of(self.locale, self.language)


class ContactRef(Frozen):
    """What a consumer needs to address a borrower without asking back."""

    borrower_id: str
    locale: Locale
    time_zone: TimeZone
    jurisdiction: Jurisdiction


class ScheduledInstallment(Frozen):
    """One installment of a loan's contractual schedule."""

    sequence: int = Field(ge=1)
    due_date: date
    principal: Money
    interest: Money
    fee: Money

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fee


class Bucket(StrEnum):
    """Delinquency buckets by days past due (DESIGN.md §4: M1 1–30 … M5+ 181+)."""

    CURRENT = "current"
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    M4 = "M4"
    M5_PLUS = "M5+"


class OverdueAmounts(Frozen):
    """The overdue components of a loan and their sum."""

    principal: Money
    interest: Money
    fee: Money
    penalty: Money
    total: Money

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if self.principal + self.interest + self.fee + self.penalty != self.total:
            raise ValueError("overdue total must equal principal + interest + fee + penalty")
        return self


class WaivedAmounts(Frozen):
    """What a plan forgives. Principal is never waived (DESIGN.md §4)."""

    penalty: Money
    interest: Money
    fee: Money
    total: Money

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if self.penalty + self.interest + self.fee != self.total:
            raise ValueError("waived total must equal penalty + interest + fee")
        return self


class PlanInstallmentLine(Frozen):
    """One line of a plan's schedule: when, and which parts."""

    sequence: int = Field(ge=1)
    due_date: date
    principal: Money
    interest: Money
    penalty: Money
    fee: Money
    total: Money

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if self.principal + self.interest + self.penalty + self.fee != self.total:
            raise ValueError(f"plan installment {self.sequence} parts do not add up to its total")
        return self


class ContinuingInstallment(Frozen):
    """A regular installment that stays due while an arrears plan runs (DESIGN.md §3a): the plan
    month it falls in asks for it beside the plan's own installment."""

    sequence: int = Field(ge=1, description="The loan's installment sequence")
    due_date: date
    amount: Money = Field(description="What was still owed on it at the basis date")


class PlanMonth(Frozen):
    """One month of a plan as the borrower pays it: the plan's line and the regular installments beside it."""

    line: PlanInstallmentLine
    continuing: tuple[ContinuingInstallment, ...] = ()

    @property
    def total(self) -> Money:
        return sum((i.amount for i in self.continuing), start=self.line.total)


def plan_month_of(due: date, plan_due_dates: Sequence[date], since: date | None) -> int | None:
    """The index of the plan month that asks for a regular installment due on `due` (DESIGN.md §3a),
    the one window rule for the written plan, the plan in force and what an option asks each month
    (tideover_contracts.outflow): month m takes what falls due after month m−1's date up to and
    including month m's, the first month from `since` (the basis date: an installment due that
    day continues, as activation takes it over; None: open). None for an installment due before
    `since` or after the last month: not the plan's. `plan_due_dates` ascend, one a month."""
    index = bisect_left(plan_due_dates, due)
    if index == len(plan_due_dates) or (index == 0 and since is not None and due < since):
        return None
    return index


def plan_months(
    schedule: Sequence[PlanInstallmentLine], continuing: Sequence[ContinuingInstallment], since: date | None
) -> tuple[PlanMonth, ...]:
    """What the borrower owes each plan month (DESIGN.md §3a), the one rule for the written plan
    and the plan in force: month m is the plan's line m and every continuing regular installment
    in its window (`plan_month_of`). A continuing installment due after the last month is not the plan's."""
    due_dates = [line.due_date for line in schedule]
    beside: list[list[ContinuingInstallment]] = [[] for _ in schedule]
    for item in continuing:
        index = plan_month_of(item.due_date, due_dates, since)
        if index is not None:
            beside[index].append(item)
    return tuple(PlanMonth(line=line, continuing=tuple(items)) for line, items in zip(schedule, beside, strict=True))
