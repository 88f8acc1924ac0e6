"""Money and rates as they travel between services.

Amounts are `Decimal`, quantized to the currency's minor unit when a `Money` is built; on the
wire they are decimal strings. A JSON number is refused: binary floating point cannot carry
cents exactly, and an upstream system that sends one has a bug we want to hear about.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Self

from babel.numbers import get_currency_precision, list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

#: The rounding mode used wherever a rule does not name another (banker's rounding, as in
#: Fineract's default MonetaryCurrency rounding).
DEFAULT_ROUNDING = ROUND_HALF_EVEN


#: No consumer loan comes near this; anything larger is a corrupt message, refused before it can
#: exceed the 28 significant digits of the default decimal context.
LARGEST_AMOUNT = Decimal(10) ** 18

#: The most an amount entered at an API may be (exclusive): 12 integer digits. Far above any
#: consumer loan or household budget, and small enough that every total and schedule computed
#: from such amounts stays well inside LARGEST_AMOUNT.
LARGEST_INPUT_AMOUNT = Decimal(10) ** 12


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def known_currency(currency: str) -> str:
    """`currency`, refused unless an ISO 4217 code."""
    if currency not in _known_currencies():
        raise ValueError(f"unknown currency {currency!r} (expected an ISO 4217 code)")
    return currency


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (ISO 4217 minor unit, from CLDR via Babel)."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def _decimal_from_wire(value: Any, what: str) -> Decimal:
    # A string is by far the most common input (every amount of every message): test it first.
    if isinstance(value, str):
        try:
            decimal = Decimal(value)  # surrounding white space is allowed, as Decimal allows it
        except InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a decimal number") from None
    elif isinstance(value, Decimal):
        decimal = value
    elif isinstance(value, (bool, int, float)):
        raise ValueError(f'{what} must be a decimal string such as "1234.56", not a JSON number')
    else:
        raise ValueError(f"{what} must be a decimal string")
    if not decimal.is_finite():
        raise ValueError(f"{what} must be finite")
    return decimal


def _amount(value: Any) -> Decimal:
    return _decimal_from_wire(value, "money amount")


def _rate(value: Any) -> Decimal:
    rate = _decimal_from_wire(value, "rate")
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError(f"rate {rate} is outside [0, 1] (a fraction per year)")
    return rate


#: A decimal amount that refuses JSON numbers and serializes as a string.
_DECIMAL_STRING_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}

DecimalString = Annotated[
    Decimal,
    BeforeValidator(_amount),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_DECIMAL_STRING_SCHEMA),
]

#: A yearly rate as a fraction in [0, 1], a decimal string on the wire (`"0.1800"`).
Rate = Annotated[
    Decimal,
    BeforeValidator(_rate),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({**_DECIMAL_STRING_SCHEMA, "description": "fraction per year in [0, 1]"}),
]


class Money(BaseModel):
    """An amount of one currency, exact to the currency's minor unit."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    amount: DecimalString
    currency: str

    @model_validator(mode="after")
    def _known_currency_at_its_minor_unit(self) -> Self:
        # One validator for both checks: Money is validated many times in every message.
        known_currency(self.currency)
        unit = minor_unit(self.currency)
        # copy_abs, not abs(): abs() applies the context and overflows on "1E+1000000".
        if self.amount.copy_abs() >= LARGEST_AMOUNT:
            raise ValueError(f"amount {self.amount} is out of range (at most {LARGEST_AMOUNT - 1} in magnitude)")
        quantized = self.amount.quantize(unit)
        if self.amount != quantized:
            raise ValueError(f"amount {self.amount} has more decimals than {self.currency} allows ({unit})")
        # Normalise the exponent so that 12.5 and 12.50 serialize alike.
        object.__setattr__(self, "amount", quantized)
        return self

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Self:
        """Exact construction: refuses an amount finer than the minor unit."""
        return cls(amount=Decimal(amount), currency=currency)

    @classmethod
    def trusted(cls, amount: Decimal, currency: str) -> Money:
        """An amount our own ledger holds at the minor unit already (a NUMERIC from Postgres):
        quantized, but not validated again — for building many events fast."""
        return Money.model_construct(amount=amount.quantize(minor_unit(currency)), currency=currency)

    @classmethod
    def rounded(cls, amount: Decimal, currency: str, rounding: str = DEFAULT_ROUNDING) -> Self:
        """Round `amount` to the minor unit with the named mode, then build."""
        return cls(amount=amount.quantize(minor_unit(currency), rounding=rounding), currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(amount=Decimal(0), currency=currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"{self.currency} and {other.currency} do not mix")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"


def _within_input_bounds(money: Money) -> Money:
    if money.is_negative:
        raise PydanticCustomError("money_negative", "amount {amount} must not be negative", {"amount": str(money.amount)})
    if money.amount >= LARGEST_INPUT_AMOUNT:
        raise PydanticCustomError(
            "money_too_large", "amount {amount} has more than 12 integer digits", {"amount": str(money.amount)}
        )
    return money


#: An amount entered at an API (a hardship's budget, a loan position to quote): not negative and
#: under LARGEST_INPUT_AMOUNT, as its JSON Schema says; a bad one is refused naming its field.
InputMoney = Annotated[
    Money,
    AfterValidator(_within_input_bounds),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {
                "amount": {
                    "type": "string",
                    "pattern": r"^[0-9]{1,12}(\.[0-9]+)?$",
                    "description": "not negative, at most 12 integer digits and the currency's minor unit",
                },
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "an ISO 4217 code"},
            },
            "required": ["amount", "currency"],
        }
    ),
]


def total(amounts: list[Money], currency: str) -> Money:
    """The sum of `amounts`, all in `currency` (zero for none)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
