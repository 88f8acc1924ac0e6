"""The use cases of application/handlers.py on the fake PlanStore (adapters/memory.py) and a
MemoryOutbox: offers for a hardship, an acceptance activated, refused or quoted again, offers
expiring, and plans ending."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from plan_calculation.adapters.memory import MemoryPlanStore
from plan_calculation.application import handlers
from plan_calculation.application.ports import Plans
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.negotiation import NegotiationRequested, PlanAccepted
from tideover_contracts.events.overdue import CureReason, LoanBecameOverdue, LoanCured
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected
from tideover_contracts.events.tracking import PlanBreakReason, PlanBroken, PlanCompleted
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money
from tideover_contracts.policy import ChargeCaps
from tideover_runtime.clock import BusinessClock
from tideover_testkit.memory import MemoryOutbox, unit_of

NOW = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # the offers stand 7 days from now
BASIS = date(2026, 2, 16)  # the golden request's ledger position: 1,045.00 overdue of installment 1


def golden(event_class: type[Any]) -> Any:
    return next(event for event in golden_events() if type(event) is event_class)


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def requested(*, basis: bool = True, income: str = "4000.00", verified: bool = True) -> NegotiationRequested:
    """The golden request (unemployment, 4,000.00 a month against 1,000.00 of expenses, proven)
    for an application of its own."""
    request: NegotiationRequested = golden(NegotiationRequested)
    evidence = tuple(document.model_copy(update={"verified": verified}) for document in request.hardship.evidence)
    hardship = request.hardship.model_copy(update={"monthly_income": cny(income), "evidence": evidence})
    update: dict[str, Any] = {"application_id": uuid.uuid4(), "hardship": hardship}
    if not basis:
        update["basis"] = None
    return request.model_copy(update=update)


def overdue_on(day: date, principal: str = "1000.00", interest: str = "45.00") -> LoanBecameOverdue:
    """The golden loan's overdue status on `day`."""
    event: LoanBecameOverdue = golden(LoanBecameOverdue)
    total = cny(str(Decimal(principal) + Decimal(interest)))
    amounts = event.overdue.model_copy(update={"principal": cny(principal), "interest": cny(interest), "total": total})
    return event.model_copy(update={"business_date": day, "overdue": amounts})


class Service:
    """plan-calculation on fakes: feed it events, read what it staged and stored."""

    def __init__(self) -> None:
        self.store = MemoryPlanStore()
        self.outbox = MemoryOutbox()
        self.clock = BusinessClock(NOW)
        self.plans = Plans(self.store, ChargeCaps())

    def unit(self, event: Any) -> Any:
        return unit_of(event, producer="plan-calculation", outbox=self.outbox, clock=self.clock)

    async def request(self, request: NegotiationRequested | None = None) -> PlanOffered:
        await handlers.when_negotiation_requested_offer_plans(self.unit(request or requested()), self.plans)
        return self.outbox.events(PlanOffered)[-1]

    async def accept(self, offer: PlanOffered, option_id: str = "arrears-3", at: datetime = NOW + timedelta(hours=1)) -> None:
        acceptance: PlanAccepted = golden(PlanAccepted)
        acceptance = acceptance.model_copy(
            update={"offer_id": offer.offer_id, "application_id": offer.application_id, "option_id": option_id, "accepted_at": at}
        )
        await handlers.when_plan_accepted_activate_it(self.unit(acceptance), self.plans)

    def rejections(self) -> list[tuple[str, uuid.UUID | None]]:
        return [(event.reasons[0].code, event.offer_id) for event in self.outbox.events(PlanRejected)]


@pytest.fixture
def service() -> Service:
    return Service()


async def test_a_hardship_request_is_offered_the_plans_its_position_allows_once(service: Service) -> None:
    request = requested()
    offer = await service.request(request)
    assert (offer.application_id, offer.basis_business_date, offer.valid_until) == (
        request.application_id,
        BASIS,
        NOW + timedelta(days=7),
    )
    assert offer.offer_id == deterministic_id("offer", request.application_id, BASIS, Decimal("1045.00"))
    assert offer.recommended_option_id == "extension-equal-principal-6"
    arrears = next(option for option in offer.options if option.option_id == "arrears-3")
    assert (arrears.total_payable, arrears.first_payment) == (cny("1045.00"), cny("348.33"))
    assert [item.sequence for item in arrears.continuing_installments] == [2, 3]
    kept = service.store.offers[offer.offer_id]
    assert (kept.status, kept.record.basis_arrears, kept.record.evidence_verified) == ("offered", Decimal("1045.00"), True)

    await handlers.when_negotiation_requested_offer_plans(service.unit(request), service.plans)  # redelivered
    assert service.outbox.types() == ["PlanOffered"]


async def test_a_request_without_a_position_is_priced_on_the_last_overdue_status(service: Service) -> None:
    await handlers.when_loan_overdue_project_it(service.unit(overdue_on(date(2026, 3, 1))), service.plans)
    offer = await service.request(requested(basis=False))
    assert offer.basis_business_date == date(2026, 3, 1)


async def test_a_request_for_a_loan_with_nothing_overdue_is_rejected(service: Service) -> None:
    await handlers.when_loan_overdue_project_it(service.unit(overdue_on(date(2026, 3, 1))), service.plans)
    cured = LoanCured(
        loan_id=overdue_on(BASIS).loan_id,
        episode=1,
        business_date=date(2026, 3, 2),
        reason=CureReason.PAID,
        outstanding_principal=cny("2000.00"),
        contact=overdue_on(BASIS).contact,
    )
    await handlers.when_loan_cured_forget_arrears(service.unit(cured), service.plans)
    await handlers.when_negotiation_requested_offer_plans(service.unit(requested(basis=False)), service.plans)
    assert service.rejections() == [("loan_not_overdue", None)]
    assert service.store.offers == {}


async def test_a_request_nothing_is_affordable_for_is_rejected_with_the_income_needed(service: Service) -> None:
    # No income beyond the expenses and no proof: no plan fits, and no payment holiday is offered.
    request = requested(income="1000.00", verified=False)
    await handlers.when_negotiation_requested_offer_plans(service.unit(request), service.plans)
    [rejected] = service.outbox.events(PlanRejected)
    assert rejected.reasons[0].code == "unaffordable"
    assert rejected.disposable_income_needed is not None
    assert rejected.disposable_income_needed.amount > 0
    assert service.store.offers == {}


async def test_an_accepted_option_is_put_in_force_with_what_it_takes_over(service: Service) -> None:
    offer = await service.request()
    await service.accept(offer)
    [plan] = service.outbox.events(PlanActivated)
    assert plan.plan_id == deterministic_id("plan", offer.offer_id, "arrears-3")
    assert (plan.activated_on, plan.basis_business_date, plan.total_payable) == (date(2026, 3, 16), BASIS, cny("1045.00"))
    assert plan.replaced_installments == (1,)  # overdue at the basis date
    assert [(item.sequence, item.amount) for item in plan.continuing_installments] == [(2, cny("1045.00")), (3, cny("1045.00"))]
    assert service.store.offers[offer.offer_id].status == "accepted"
    assert (await service.store.standing(plan.loan_id)).active_plan_id == plan.plan_id

    await service.accept(offer)  # the same offer accepted again
    assert service.rejections() == [("offer_accepted", offer.offer_id)]
    assert len(service.outbox.events(PlanActivated)) == 1


@pytest.mark.parametrize(
    ("option_id", "at", "code"),
    [
        ("arrears-3", NOW + timedelta(days=8), "offer_expired"),
        ("arrears-99", NOW + timedelta(hours=1), "unknown_option"),
    ],
)
async def test_an_acceptance_the_offer_does_not_allow_is_rejected(
    service: Service, option_id: str, at: datetime, code: str
) -> None:
    offer = await service.request()
    await service.accept(offer, option_id, at)
    assert service.rejections() == [(code, offer.offer_id)]
    assert service.store.plans == {}


async def test_an_offer_never_made_is_not_accepted(service: Service) -> None:
    offer = (await service.request()).model_copy(update={"offer_id": uuid.uuid4()})
    await service.accept(offer)
    assert service.rejections() == [("unknown_offer", offer.offer_id)]


async def test_a_second_plan_on_a_loan_is_refused(service: Service) -> None:
    first, second = await service.request(), await service.request(requested())
    await service.accept(first)
    await service.accept(second)
    assert service.rejections() == [("plan_already_active", second.offer_id)]
    assert service.store.offers[second.offer_id].status == "offered"


async def test_no_plan_on_a_closed_loan_and_its_plan_in_force_ends(service: Service) -> None:
    first, second = await service.request(), await service.request(requested())
    await service.accept(first)
    closed = LoanClosed(loan_id=first.loan_id, closed_on=date(2026, 4, 1), reason=LoanClosureReason.SOLD)
    await handlers.when_loan_closed_end_its_plan(service.unit(closed), service.plans)
    [plan] = service.store.plans.values()
    assert (plan.status, plan.ended_on) == ("closed", date(2026, 4, 1))
    await service.accept(second)
    assert service.rejections() == [("loan_closed", second.offer_id)]


async def test_no_plan_on_a_loan_cured_since_the_quote(service: Service) -> None:
    offer = await service.request()
    await handlers.when_loan_overdue_project_it(service.unit(overdue_on(BASIS)), service.plans)
    loan = overdue_on(BASIS)
    cured = LoanCured(
        loan_id=loan.loan_id,
        episode=1,
        business_date=date(2026, 3, 1),
        reason=CureReason.PAID,
        outstanding_principal=cny("2000.00"),
        contact=loan.contact,
    )
    await handlers.when_loan_cured_forget_arrears(service.unit(cured), service.plans)
    await service.accept(offer)
    assert service.rejections() == [("loan_cured", offer.offer_id)]


async def test_a_material_change_since_the_quote_quotes_an_arrears_plan_again(service: Service) -> None:
    offer = await service.request()
    # Installment 2 fell due unpaid: the arrears doubled since the quote.
    await handlers.when_loan_overdue_project_it(service.unit(overdue_on(date(2026, 3, 16), "2000.00", "90.00")), service.plans)
    await service.accept(offer)
    assert service.outbox.events(PlanActivated) == []
    assert service.store.offers[offer.offer_id].status == "superseded"
    requote = service.outbox.events(PlanOffered)[-1]
    assert (requote.supersedes_offer_id, requote.basis_business_date) == (offer.offer_id, date(2026, 3, 16))
    assert service.store.offers[requote.offer_id].record.basis_arrears == Decimal("2090.00")


async def test_an_installment_newly_due_does_not_quote_a_reschedule_again(service: Service) -> None:
    offer = await service.request()
    await handlers.when_loan_overdue_project_it(service.unit(overdue_on(date(2026, 3, 16), "2000.00", "90.00")), service.plans)
    await service.accept(offer, "extension-6")
    [plan] = service.outbox.events(PlanActivated)
    assert (plan.option_id, plan.replaced_installments, plan.continuing_installments) == ("extension-6", (1, 2, 3), ())


async def test_offers_past_their_validity_expire_at_a_close(service: Service) -> None:
    offer = await service.request()
    for closed_at in (NOW + timedelta(days=6), NOW + timedelta(days=8), NOW + timedelta(days=9)):
        close = BusinessDayClosed(business_date=closed_at.date(), closed_at=closed_at)
        await handlers.when_business_day_closed_expire_offers(service.unit(close), service.plans)
    [expired] = service.outbox.events(OfferExpired)
    assert (expired.offer_id, expired.application_id, expired.expired_at) == (
        offer.offer_id,
        offer.application_id,
        NOW + timedelta(days=7),
    )
    assert service.store.offers[offer.offer_id].status == "expired"


@pytest.mark.parametrize("ending", ["broken", "completed"])
async def test_a_plan_that_ends_lets_the_loan_have_another(service: Service, ending: str) -> None:
    offer = await service.request()
    await service.accept(offer)
    [plan] = service.outbox.events(PlanActivated)
    day = date(2026, 5, 20)
    if ending == "broken":
        event: Any = PlanBroken(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            reason=PlanBreakReason.TWO_MISSED,
            business_date=day,
            reinstated_waiver=plan.conditional_waiver,
            unpaid=cny("696.67"),
        )
        await handlers.when_plan_broken_end_it(service.unit(event), service.plans)
    else:
        event = PlanCompleted(
            plan_id=plan.plan_id,
            loan_id=plan.loan_id,
            completed_on=day,
            total_paid=cny("1045.00"),
            final_waiver=plan.conditional_waiver,
        )
        await handlers.when_plan_completed_end_it(service.unit(event), service.plans)
    kept = service.store.plans[plan.plan_id]
    assert (kept.status, kept.ended_on) == (ending, day)
    second = await service.request(requested())
    await service.accept(second)
    assert len(service.outbox.events(PlanActivated)) == 2
