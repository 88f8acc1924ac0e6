"""OfferedOption: a plan option as PlanOffered version 2 (`plans.offers.v2`) carries it, compact
(one currency, amounts as decimal strings, the schedule as columns), and the one conversion to
and from PlanOption, the shape readers use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, Self

from pydantic import Field, model_validator

from tideover_contracts.common import ContinuingInstallment, Frozen, PlanInstallmentLine, WaivedAmounts
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plan_option import PlanOption
from tideover_contracts.money import LARGEST_AMOUNT, DecimalString, Money, Rate, known_currency, minor_unit


class ScheduleColumns(Frozen):
    """A plan's schedule as columns: the n-th value of every column is line n (sequence n, from 1).
    An amount column left empty is zero on every line (an option without a fee, or a penalty);
    a line's total is the sum of its parts (so it is not carried)."""

    due_date: tuple[date, ...] = Field(min_length=1)
    principal: tuple[DecimalString, ...] = Field(default=(), description="Empty: zero on every line")
    interest: tuple[DecimalString, ...] = Field(default=(), description="Empty: zero on every line")
    penalty: tuple[DecimalString, ...] = Field(default=(), description="Empty: zero on every line")
    fee: tuple[DecimalString, ...] = Field(default=(), description="Empty: zero on every line")

    @model_validator(mode="after")
    def _one_value_a_line(self) -> Self:
        lines = len(self.due_date)
        if any(len(column) not in (0, lines) for column in (self.principal, self.interest, self.penalty, self.fee)):
            raise ValueError("every schedule column has one value a line, or none (zero on every line)")
        return self

    @classmethod
    def column(cls, amounts: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        """`amounts` as a column: empty when every one is zero."""
        return amounts if any(amounts) else ()

    def parts(self) -> Iterator[tuple[Decimal, Decimal, Decimal, Decimal]]:
        """(principal, interest, penalty, fee) of each line, zeros where a column is empty."""
        zeros = (Decimal(0),) * len(self.due_date)
        return zip(self.principal or zeros, self.interest or zeros, self.penalty or zeros, self.fee or zeros, strict=True)

    def totals(self) -> list[Decimal]:
        return [principal + interest + penalty + fee for principal, interest, penalty, fee in self.parts()]


class ContinuingColumns(Frozen):
    """ContinuingInstallment as columns: the n-th value of every column is one installment."""

    sequence: tuple[int, ...] = ()
    due_date: tuple[date, ...] = ()
    amount: tuple[DecimalString, ...] = ()

    @model_validator(mode="after")
    def _one_value_an_installment(self) -> Self:
        if not len(self.sequence) == len(self.due_date) == len(self.amount) or any(n < 1 for n in self.sequence):
            raise ValueError("every continuing column has one value an installment; sequences from 1")
        return self


class OfferedWaiver(Frozen):
    """WaivedAmounts in the option's currency."""

    penalty: DecimalString
    interest: DecimalString
    fee: DecimalString
    total: DecimalString

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if self.penalty + self.interest + self.fee != self.total:
            raise ValueError("waived total must equal penalty + interest + fee")
        return self


class OfferedOption(Frozen):
    """A PlanOption as PlanOffered version 2 carries it: every amount a decimal string in the
    option's `currency` at its minor unit, the schedule and continuing installments as columns.
    The fields mean what PlanOption's mean; `expanded` gives that shape."""

    option_id: str = Field(min_length=1)
    kind: OptionKind
    effect: PlanEffect | None = Field(
        default=None, description="What the plan does to the loan's ledger (DESIGN.md §3a); absent: the kind's effect"
    )
    months: int = Field(ge=1, le=60, description="Plan length in months (DESIGN.md §4: at most 60)")
    currency: str = Field(description="ISO 4217: the currency of every amount of the option")
    schedule: ScheduleColumns
    first_payment: DecimalString
    largest_payment: DecimalString
    total_payable: DecimalString = Field(description="The sum of the schedule's lines")
    waived: OfferedWaiver
    waiver_conditional: bool = Field(description="A conditional waiver is reinstated if the plan breaks")
    cost_vs_status_quo: DecimalString = Field(description="Total payable minus what the status quo would cost")
    payment_to_disposable_income: DecimalString = Field(
        description=PlanOption.model_fields["payment_to_disposable_income"].description
    )
    affordable: bool
    needs_supervisor: bool
    explanation: dict[str, str] = Field(description="One paragraph per locale (zh-CN, en)")
    continuing_installments: ContinuingColumns = Field(
        default=ContinuingColumns(), description=PlanOption.model_fields["continuing_installments"].description
    )
    plan_rate: Rate | None = Field(default=None, description=PlanOption.model_fields["plan_rate"].description)

    @model_validator(mode="after")
    def _amounts_in_currency(self) -> Self:
        known_currency(self.currency)
        unit = minor_unit(self.currency)
        waived = self.waived
        amounts = (
            *self.schedule.principal,
            *self.schedule.interest,
            *self.schedule.penalty,
            *self.schedule.fee,
            *self.continuing_installments.amount,
            self.first_payment,
            self.largest_payment,
            self.total_payable,
            self.cost_vs_status_quo,
            waived.penalty,
            waived.interest,
            waived.fee,
            waived.total,
        )
        if any(amount.copy_abs() >= LARGEST_AMOUNT for amount in amounts):
            # Before quantize, which overflows on such amounts (as Money refuses them).
            raise ValueError(f"option {self.option_id}: an amount is not below {LARGEST_AMOUNT:,}")
        if any(amount != amount.quantize(unit) for amount in amounts):
            raise ValueError(f"option {self.option_id}: an amount has more decimals than {self.currency} allows ({unit})")
        if sum(self.schedule.totals(), start=Decimal(0)) != self.total_payable:
            raise ValueError(f"option {self.option_id}: total_payable is not the sum of its schedule")
        return self

    @classmethod
    def of(cls, option: PlanOption) -> OfferedOption:
        """`option` as version 2 carries it: line n is sequence n, so other numbering is refused
        rather than silently renumbered."""
        schedule = option.schedule
        if [line.sequence for line in schedule] != list(range(1, len(schedule) + 1)):
            raise ValueError(f"option {option.option_id}: schedule lines are not numbered 1 to {len(schedule)}")
        continuing = option.continuing_installments
        waived = option.waived
        return cls(
            option_id=option.option_id,
            kind=option.kind,
            effect=option.effect,
            months=option.months,
            currency=option.total_payable.currency,
            schedule=ScheduleColumns(
                due_date=tuple(line.due_date for line in schedule),
                principal=ScheduleColumns.column(tuple(line.principal.amount for line in schedule)),
                interest=ScheduleColumns.column(tuple(line.interest.amount for line in schedule)),
                penalty=ScheduleColumns.column(tuple(line.penalty.amount for line in schedule)),
                fee=ScheduleColumns.column(tuple(line.fee.amount for line in schedule)),
            ),
            first_payment=option.first_payment.amount,
            largest_payment=option.largest_payment.amount,
            total_payable=option.total_payable.amount,
            waived=OfferedWaiver(
                penalty=waived.penalty.amount, interest=waived.interest.amount, fee=waived.fee.amount, total=waived.total.amount
            ),
            waiver_conditional=option.waiver_conditional,
            cost_vs_status_quo=option.cost_vs_status_quo.amount,
            payment_to_disposable_income=option.payment_to_disposable_income,
            affordable=option.affordable,
            needs_supervisor=option.needs_supervisor,
            explanation=option.explanation,
            continuing_installments=ContinuingColumns(
                sequence=tuple(item.sequence for item in continuing),
                due_date=tuple(item.due_date for item in continuing),
                amount=tuple(item.amount.amount for item in continuing),
            ),
            plan_rate=option.plan_rate,
        )

    def expanded(self) -> PlanOption:
        """The option with Money amounts and a line per month (PlanOption), as readers use it.
        Validated once already: built without validating again."""
        currency = self.currency

        def money(amount: Decimal) -> Money:
            return Money.trusted(amount, currency)

        columns = self.schedule
        lines = tuple(
            PlanInstallmentLine.model_construct(
                sequence=sequence,
                due_date=due_date,
                principal=money(principal),
                interest=money(interest),
                penalty=money(penalty),
                fee=money(fee),
                total=money(total),
            )
            for sequence, (due_date, (principal, interest, penalty, fee), total) in enumerate(
                zip(columns.due_date, columns.parts(), columns.totals(), strict=True), start=1
            )
        )
        continuing = self.continuing_installments
        waived = self.waived
        return PlanOption.model_construct(
            option_id=self.option_id,
            kind=self.kind,
            effect=self.effect,
            months=self.months,
            schedule=lines,
            first_payment=money(self.first_payment),
            largest_payment=money(self.largest_payment),
            total_payable=money(self.total_payable),
            waived=WaivedAmounts.model_construct(
                penalty=money(waived.penalty), interest=money(waived.interest), fee=money(waived.fee), total=money(waived.total)
            ),
            waiver_conditional=self.waiver_conditional,
            cost_vs_status_quo=money(self.cost_vs_status_quo),
            payment_to_disposable_income=self.payment_to_disposable_income,
            affordable=self.affordable,
            needs_supervisor=self.needs_supervisor,
            explanation=self.explanation,
            continuing_installments=tuple(
                ContinuingInstallment.model_construct(sequence=sequence, due_date=due_date, amount=money(amount))
                for sequence, due_date, amount in zip(continuing.sequence, continuing.due_date, continuing.amount, strict=True)
            ),
            plan_rate=self.plan_rate,
        )


def is_expanded(option: Any) -> bool:
    """A PlanOption, or its JSON (an offer stored before version 2: lines of Money)."""
    return isinstance(option, PlanOption) or (isinstance(option, dict) and isinstance(option.get("schedule"), list | tuple))


def compact(option: Any) -> Any:
    """An option given expanded (`_is_expanded`) as version 2 carries it; anything else as it is."""
    if isinstance(option, PlanOption):
        return OfferedOption.of(option)
    if is_expanded(option):
        return OfferedOption.of(PlanOption.model_validate(option))
    return option
