"""Use cases of plan-calculation: offers for a hardship, activation on the borrower's word."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from plan_calculation.application.offers import describe_options
from plan_calculation.application.ports import PlanStore, StoredOffer
from plan_calculation.domain.menu import LoanPosition, plan_options
from plan_calculation.domain.options import Hardship, disposable_income_needed
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.negotiation import NegotiationRequested, PlanAccepted
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueSnapshot, OverdueStatusChanged
from tideover_contracts.events.plans import OfferExpired, PlanActivated, PlanOffered, PlanRejected, RejectionReason
from tideover_contracts.money import Money
from tideover_runtime.consumer import Unit

#: An offer stands for 7 days (DESIGN.md §4, policy).
OFFER_VALIDITY = timedelta(days=7)


async def when_loan_overdue_project_it(unit: Unit[LoanBecameOverdue] | Unit[OverdueStatusChanged], store: PlanStore) -> None:
    await store.project(unit.event)


async def when_loan_cured_forget_arrears(unit: Unit[LoanCured], store: PlanStore) -> None:
    await store.mark_cured(unit.event.loan_id, unit.event.business_date)


async def when_negotiation_requested_offer_plans(unit: Unit[NegotiationRequested], store: PlanStore) -> None:
    request = unit.event
    snapshot = await store.projection(request.loan_id)
    if snapshot is None:
        await _reject(unit, "loan_not_overdue", f"loan {request.loan_id} has nothing overdue to negotiate")
        return
    hardship = Hardship.from_budget(request.hardship.monthly_income, request.hardship.essential_expenses)
    verified = any(document.verified for document in request.hardship.evidence)
    await _offer(unit, store, request.application_id, snapshot, hardship, verified)


def _position(snapshot: OverdueSnapshot) -> LoanPosition:
    overdue = snapshot.overdue
    future = tuple(
        item.outstanding.amount for item in snapshot.remaining_schedule if item.installment.due_date > snapshot.business_date
    )
    return LoanPosition(
        currency=overdue.total.currency,
        business_date=snapshot.business_date,
        principal=overdue.principal.amount,
        interest=overdue.interest.amount,
        fee=overdue.fee.amount,
        penalty=overdue.penalty.amount,
        outstanding_principal=snapshot.outstanding_principal.amount,
        contract_rate=snapshot.contract_rate,
        future_installments=future,
    )


async def _offer(
    unit: Unit[Any],
    store: PlanStore,
    application_id: Any,
    snapshot: OverdueSnapshot,
    hardship: Hardship,
    evidence_verified: bool,
    supersedes: Any = None,
) -> None:
    position = _position(snapshot)
    options, recommended = describe_options(position, hardship, evidence_verified)
    if recommended is None:
        await _reject(
            unit,
            "unaffordable",
            "no option's largest monthly payment is within 50% of disposable income",
            needed=disposable_income_needed(plan_options(position, evidence_verified)),
        )
        return
    offer = PlanOffered(
        offer_id=deterministic_id("offer", application_id, snapshot.business_date, snapshot.overdue.total.amount),
        application_id=application_id,
        loan_id=snapshot.loan_id,
        basis_business_date=snapshot.business_date,
        disposable_income=hardship.disposable_income,
        options=options,
        recommended_option_id=recommended,
        valid_until=unit.clock.now() + OFFER_VALIDITY,
        supersedes_offer_id=supersedes,
    )
    if await store.add_offer(offer, snapshot.overdue.total.amount, evidence_verified):
        await unit.publish(offer, event_id=deterministic_id("PlanOffered", offer.offer_id))


async def _reject(unit: Unit[Any], code: str, message: str, *, needed: Money | None = None, offer_id: Any = None) -> None:
    event: Any = unit.event
    await unit.publish(
        PlanRejected(
            application_id=event.application_id,
            loan_id=event.loan_id,
            reasons=(RejectionReason(code=code, message=message),),
            disposable_income_needed=needed,
            offer_id=offer_id,
        ),
        event_id=deterministic_id("PlanRejected", unit.envelope.event_id),
    )


async def when_plan_accepted_activate_it(unit: Unit[PlanAccepted], store: PlanStore) -> None:
    acceptance = unit.event
    stored = await store.offer(acceptance.offer_id, for_update=True)
    refusal = _refusal(stored, acceptance)
    if refusal is not None:
        await _reject(unit, refusal[0], refusal[1], offer_id=acceptance.offer_id)
        return
    assert stored is not None
    snapshot = await store.projection(acceptance.loan_id)
    if snapshot is not None and snapshot.overdue.total.amount != stored.basis_overdue_total:
        # The loan changed materially since the offer: quote again instead of activating.
        await store.set_offer_status(stored.offer.offer_id, "superseded")
        hardship = Hardship(stored.offer.disposable_income)
        await _offer(
            unit, store, acceptance.application_id, snapshot, hardship, stored.evidence_verified, supersedes=stored.offer.offer_id
        )
        return
    option = next(option for option in stored.offer.options if option.option_id == acceptance.option_id)
    plan = PlanActivated(
        plan_id=deterministic_id("plan", acceptance.offer_id, acceptance.option_id),
        offer_id=acceptance.offer_id,
        option_id=option.option_id,
        application_id=acceptance.application_id,
        loan_id=acceptance.loan_id,
        kind=option.kind,
        activated_on=acceptance.accepted_at.date(),
        schedule=option.schedule,
        total_payable=option.total_payable,
        conditional_waiver=option.waived,
    )
    await store.set_offer_status(acceptance.offer_id, "accepted")
    if await store.add_plan(plan):
        await unit.publish(plan, event_id=deterministic_id("PlanActivated", plan.plan_id))


def _refusal(stored: StoredOffer | None, acceptance: PlanAccepted) -> tuple[str, str] | None:
    if stored is None:
        return "unknown_offer", f"offer {acceptance.offer_id} was never made"
    if stored.status != "offered":
        return f"offer_{stored.status}", f"offer {acceptance.offer_id} is {stored.status}"
    if acceptance.accepted_at > stored.offer.valid_until:
        return "offer_expired", f"offer {acceptance.offer_id} expired at {stored.offer.valid_until.isoformat()}"
    if all(option.option_id != acceptance.option_id for option in stored.offer.options):
        return "unknown_option", f"offer {acceptance.offer_id} has no option {acceptance.option_id}"
    return None


async def when_business_day_closed_expire_offers(unit: Unit[BusinessDayClosed], store: PlanStore) -> None:
    for offer in await store.expire_offers(unit.event.closed_at):
        await unit.publish(
            OfferExpired(
                offer_id=offer.offer_id, application_id=offer.application_id, loan_id=offer.loan_id, expired_at=offer.valid_until
            ),
            event_id=deterministic_id("OfferExpired", offer.offer_id),
        )
