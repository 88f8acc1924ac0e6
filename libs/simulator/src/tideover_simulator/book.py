"""A synthetic loan book, as an upstream loan system would book it: seeded, so that the same
seed and first day give the same loans, borrowers and behaviour.

Loans are CNY cash loans of 3 to 36 monthly installments (annuity at the contract rate, the last
installment absorbs the rounding), booked over the first weeks so that due dates spread over
the month. Most borrowers live in China (zh-CN, Asia/Shanghai), one in ten of them reading
Traditional Chinese (language zh-Hant); some in the US (en, New York, Chicago or Los Angeles).
Each borrower has a payment profile and, should an agent take them through a plan, a plan profile.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import TypeVar

from tideover_contracts.common import BorrowerContact, Channel, Jurisdiction, Language, Locale, ScheduledInstallment
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.money import Money

CENT = Decimal("0.01")
NAMESPACE = uuid.UUID("6f1d3c2e-9a4b-4e55-8f0c-2b7d8e1a5c90")
TERMS = (3, 6, 9, 12, 18, 24, 36)
CONTRACT_RATES = (Decimal("0.0720"), Decimal("0.1080"), Decimal("0.1500"), Decimal("0.1800"), Decimal("0.2400"))
US_TIME_ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles")
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周")
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军")
US_NAMES = ("Emily Clark", "James Miller", "Olivia Brown", "Noah Davis", "Ava Wilson", "Liam Moore")
#: Every tenth borrower in China (by number, so the random draws and the rest of the book stay
#: as they were) reads Traditional Chinese: the locale zh-CN cannot say so, the language does.
TRADITIONAL_EVERY = 10


P = TypeVar("P", bound=StrEnum)


class Payer(StrEnum):
    """How a borrower pays the loan's own installments."""

    ON_TIME = "on_time"  # in full, on the due date or a day or two before
    LATE = "late"  # in full, 3 to 25 days after the due date
    PARTIAL = "partial"  # half of what is due, on the due date
    STOPS = "stops"  # the first installments, then nothing


class Keeper(StrEnum):
    """How a borrower pays a plan they confirmed."""

    KEEPS = "keeps"
    MISSES_ONCE = "misses_once"  # pays the first installment late, the others on time
    BREAKS = "breaks"  # pays nothing of the plan


#: Shares of the book; the rest pays on time.
PAYER_SHARES = {Payer.LATE: 0.15, Payer.PARTIAL: 0.08, Payer.STOPS: 0.15}
KEEPER_SHARES = {Keeper.MISSES_ONCE: 0.25, Keeper.BREAKS: 0.15}
US_SHARE = 0.15
#: Of the borrowers who fall behind for good (partial, stops), the share an agent takes through
#: a hardship application.
APPLICATION_SHARE = 0.6
#: Of those who stop paying and apply, every third (by number, so the random draws stay as they
#: were) comes forward before the first installment they will miss (early hardship, DESIGN.md §4).
EARLY_EVERY = 3


@dataclass(frozen=True)
class Borrower:
    loan: LoanBooked
    payer: Payer
    keeper: Keeper
    #: Installments paid before a STOPS borrower stops.
    pays_first: int
    #: Days after the due date a LATE borrower pays.
    days_late: int
    #: Whether an agent takes this borrower through a hardship application once overdue.
    applies: bool
    #: The hardship budget the agent records (CNY a month).
    monthly_income: Decimal
    essential_expenses: Decimal
    #: Whether the borrower asks for help before the first installment they will miss is due.
    comes_early: bool = False

    @property
    def loan_id(self) -> uuid.UUID:
        return self.loan.loan_id

    @property
    def first_missed_due(self) -> date | None:
        """When the first installment a borrower who stops paying will not pay falls due."""
        if self.payer is not Payer.STOPS or self.pays_first >= len(self.loan.installments):
            return None
        return self.loan.installments[self.pays_first].due_date


def _pick(rng: random.Random, shares: Mapping[P, float], default: P) -> P:
    draw = rng.random()
    for choice, share in shares.items():
        if draw < share:
            return choice
        draw -= share
    return default


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def annuity_schedule(principal: Decimal, yearly_rate: Decimal, months: int, first_due: date) -> tuple[ScheduledInstallment, ...]:
    """Equal payments to the cent (half-even); interest on the falling balance; the last
    installment takes what remains of the principal."""
    rate = yearly_rate / 12
    payment = (principal * rate / (1 - (1 + rate) ** -months)).quantize(CENT, ROUND_HALF_EVEN)
    balance = principal
    installments = []
    for sequence in range(1, months + 1):
        interest = (balance * rate).quantize(CENT, ROUND_HALF_EVEN)
        part = balance if sequence == months else payment - interest
        balance -= part
        installments.append(
            ScheduledInstallment(
                sequence=sequence,
                due_date=_add_months(first_due, sequence - 1),
                principal=Money.of(part, "CNY"),
                interest=Money.of(interest, "CNY"),
                fee=Money.of("0.00", "CNY"),
            )
        )
    return tuple(installments)


def _contact(rng: random.Random, number: int) -> BorrowerContact:
    if rng.random() < US_SHARE:
        return BorrowerContact(
            borrower_id=f"SIM-US-{number:06d}",
            name=rng.choice(US_NAMES),
            phone=f"+1212555{number % 10000:04d}",
            email=f"borrower{number}@example.com",
            locale=Locale.EN,
            time_zone=rng.choice(US_TIME_ZONES),
            jurisdiction=Jurisdiction.US,
            preferred_channels=(Channel.SMS, Channel.EMAIL),
        )
    return BorrowerContact(
        borrower_id=f"SIM-CN-{number:06d}",
        name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        phone=f"+86139{number % 100_000_000:08d}",
        email=None,
        locale=Locale.ZH_CN,
        language=Language.ZH_HANT if number % TRADITIONAL_EVERY == TRADITIONAL_EVERY - 1 else None,
        time_zone="Asia/Shanghai",
        jurisdiction=Jurisdiction.CN,
        preferred_channels=(Channel.SMS,),
    )


def loan_book(seed: int, loans: int, first_day: date) -> list[Borrower]:
    """`loans` borrowers, booked over the 28 days from `first_day` (first installment a month
    after booking). Loan ids depend on the seed and the first day, so that a book run again on
    a system that already holds one is a new book."""
    rng = random.Random(seed)
    book = []
    for number in range(loans):
        booked_on = first_day + timedelta(days=rng.randrange(28))
        months = rng.choice(TERMS)
        principal = Decimal(rng.randrange(10, 500) * 100)
        rate = rng.choice(CONTRACT_RATES)
        installments = annuity_schedule(principal, rate, months, _add_months(booked_on, 1))
        loan = LoanBooked(
            loan_id=uuid.uuid5(NAMESPACE, f"{seed}:{first_day}:{number}"),
            product_code=f"CASH-{months}M",
            borrower=_contact(rng, number),
            principal=Money.of(principal, "CNY"),
            contract_rate=rate,
            overdue_rate=rate / 2,
            booked_on=booked_on,
            installments=installments,
        )
        payer = _pick(rng, PAYER_SHARES, Payer.ON_TIME)
        first_payment = installments[0].principal.amount + installments[0].interest.amount
        # Disposable income from about half to three times the installment: most plans are
        # affordable, a few borrowers are too stretched for any.
        disposable = (first_payment * Decimal(rng.uniform(0.5, 3.0))).quantize(Decimal(1))
        expenses = Decimal(rng.randrange(15, 40) * 100)
        book.append(
            Borrower(
                loan=loan,
                payer=payer,
                keeper=_pick(rng, KEEPER_SHARES, Keeper.KEEPS),
                pays_first=rng.randrange(0, 3),
                days_late=rng.randrange(3, 26),
                applies=(applies := payer in (Payer.PARTIAL, Payer.STOPS) and rng.random() < APPLICATION_SHARE),
                monthly_income=(expenses + disposable).quantize(CENT),
                essential_expenses=expenses.quantize(CENT),
                comes_early=applies and payer is Payer.STOPS and number % EARLY_EVERY == 0,
            )
        )
    return book
