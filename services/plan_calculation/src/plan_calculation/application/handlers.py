"""Use cases of plan-calculation: offers for a hardship, activation on the borrower's word."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from plan_calculation.application.offers import quote, render_offer
from plan_calculation.application.ports import OfferRecord, Plans, ProjectedLoan, StoredOffer
from plan_calculation.domain.activation import materially_changed, refusal_to_activate, taken_over
from plan_calculation.domain.options import Hardship, disposable_income_needed, holiday_grounds
from plan_calculation.domain.plan_shapes import is_payment_holiday
from plan_calculation.domain.position import LoanPosition
from plan_calculation.domain.statuses import OfferStatus, PlanStatus
from tideover_contracts.envelope import deterministic_id
from tideover_contracts.events.clock import BusinessDayClosed
from tideover_contracts.events.loans import LoanClosed
from tideover_contracts.events.negotiation import NegotiationRequested, PlanAccepted, PlanEffect
from tideover_contracts.events.overdue import LoanBecameOverdue, LoanCured, OverdueStatusChanged
from tideover_contracts.events.plans import (
    ContinuingInstallment,
    OfferExpired,
    PlanActivated,
    PlanOffered,
    PlanOption,
    PlanRejected,
    RejectionReason,
)
from tideover_contracts.events.tracking import PlanBroken, PlanCompleted
from tideover_contracts.money import Money
from tideover_runtime.unit import Unit

#: An offer stands for 7 days (DESIGN.md §4, policy).
OFFER_VALIDITY = timedelta(days=7)


async def when_loan_overdue_project_it(unit: Unit[LoanBecameOverdue] | Unit[OverdueStatusChanged], plans: Plans) -> None:
    await plans.store.project(unit.event)


async def when_loan_cured_forget_arrears(unit: Unit[LoanCured], plans: Plans) -> None:
    await plans.store.mark_cured(unit.event.loan_id, unit.event.business_date)


async def when_negotiation_requested_offer_plans(unit: Unit[NegotiationRequested], plans: Plans) -> None:
    """Offer plans priced on the ledger's position the request carries (the business date it
    was submitted, DESIGN.md §3a), or on the last overdue status where it carries none."""
    request = unit.event
    loan = ProjectedLoan.at(request.basis) if request.basis else await plans.store.projection(request.loan_id)
    if loan is None:
        await _reject(unit, "loan_not_overdue", f"loan {request.loan_id} has nothing overdue to negotiate")
        return
    hardship = Hardship.from_budget(
        request.hardship.monthly_income,
        request.hardship.essential_expenses,
        holiday_grounds=holiday_grounds(request.hardship.reason, (doc.kind for doc in request.hardship.evidence if doc.verified)),
    )
    verified = any(document.verified for document in request.hardship.evidence)
    await _offer(unit, plans, request.application_id, loan, hardship, verified)


async def _offer(
    unit: Unit[Any],
    plans: Plans,
    application_id: uuid.UUID,
    loan: ProjectedLoan,
    hardship: Hardship,
    evidence_verified: bool,
    supersedes: uuid.UUID | None = None,
) -> None:
    """Offer the options for `loan` (quoting again for the accepted offer `supersedes`); none
    affordable: refused, naming the accepted offer, if any, that is not put in force."""
    position = replace(loan.position, charges_cap=plans.caps.cap_for(loan.jurisdiction))
    menu = quote(position, hardship, evidence_verified, loan.installments)
    if menu.recommended is None:
        await _reject(
            unit,
            "unaffordable",
            "no option's largest monthly payment is within 50% of disposable income",
            needed=disposable_income_needed(menu.options),
            offer_id=supersedes,
        )
        return
    record = OfferRecord(
        offer_id=deterministic_id("offer", application_id, position.business_date, position.overdue_total),
        application_id=application_id,
        loan_id=loan.loan_id,
        basis_business_date=position.business_date,
        basis_overdue_total=position.overdue_total,
        basis_arrears=position.overdue_total - position.penalty,
        valid_until=unit.clock.now() + OFFER_VALIDITY,
        evidence_verified=evidence_verified,
        installments=loan.installments,
    )
    offer_json = render_offer(
        menu,
        offer_id=record.offer_id,
        application_id=application_id,
        loan_id=loan.loan_id,
        basis_business_date=record.basis_business_date,
        valid_until=record.valid_until,
        supersedes_offer_id=supersedes,
    )
    if await plans.store.add_offer(record, offer_json):
        await unit.publish_rendered(
            PlanOffered, offer_json, key=str(loan.loan_id), event_id=deterministic_id(PlanOffered.event_type, record.offer_id)
        )


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
        event_id=deterministic_id(PlanRejected.event_type, unit.envelope.event_id),
    )


async def when_plan_accepted_activate_it(unit: Unit[PlanAccepted], plans: Plans) -> None:
    acceptance = unit.event
    stored = await plans.store.offer(acceptance.offer_id, for_update=True)
    refusal = _refusal(stored, acceptance)
    if refusal is not None:
        await _reject(unit, refusal[0], refusal[1], offer_id=acceptance.offer_id)
        return
    assert stored is not None
    option = next(option for option in stored.offer.options if option.option_id == acceptance.option_id)
    standing = await plans.store.standing(acceptance.loan_id)
    quoted_arrears = stored.basis_arrears is None or stored.basis_arrears > 0
    refused = refusal_to_activate(standing, stored.offer.basis_business_date, quoted_arrears)
    if refused is not None:
        await _reject(unit, refused.code, refused.message, offer_id=acceptance.offer_id)
        return
    loan = await plans.store.projection(acceptance.loan_id)
    if loan is not None and _changed_since_quote(stored, loan.position, option.plan_effect):
        # The loan changed materially since the offer: quote again instead of activating.
        await plans.store.set_offer_status(stored.offer.offer_id, OfferStatus.SUPERSEDED)
        # The grounds for a payment holiday are not stored with the offer; they were found when it holds one.
        grounds = any(is_payment_holiday(option.option_id) for option in stored.offer.options)
        hardship = Hardship(stored.offer.disposable_income, holiday_grounds=grounds)
        await _offer(
            unit, plans, acceptance.application_id, loan, hardship, stored.evidence_verified, supersedes=stored.offer.offer_id
        )
        return
    plan = _activation(acceptance, stored, option)
    await plans.store.set_offer_status(acceptance.offer_id, OfferStatus.ACCEPTED)
    if await plans.store.add_plan(plan):
        await unit.publish(plan, event_id=deterministic_id(PlanActivated.event_type, plan.plan_id))


def _changed_since_quote(stored: StoredOffer, position: LoanPosition, effect: PlanEffect) -> bool:
    if position.business_date < stored.offer.basis_business_date:
        return False  # a status older than the quote's basis tells nothing the basis did not know
    arrears_now = position.overdue_total - position.penalty
    if stored.basis_arrears is None:  # an offer made before the quoted arrears were kept
        return position.overdue_total != stored.basis_overdue_total
    return materially_changed(stored.basis_arrears, arrears_now, effect)


def _activation(acceptance: PlanAccepted, stored: StoredOffer, option: PlanOption) -> PlanActivated:
    """The accepted option in force, with what it takes over of the loan's installments as they
    stood at the offer's basis date (DESIGN.md §3a: the offer honours its quote)."""
    effect = option.plan_effect
    basis = stored.offer.basis_business_date
    taken = taken_over(effect, basis, stored.installments, option.schedule[-1].due_date)
    currency = option.total_payable.currency
    return PlanActivated(
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
        effect=effect,
        basis_business_date=basis,
        replaced_installments=taken.replaced,
        continuing_installments=tuple(
            ContinuingInstallment(sequence=item.sequence, due_date=item.due_date, amount=Money.of(item.owed, currency))
            for item in taken.continuing
        ),
    )


def _refusal(stored: StoredOffer | None, acceptance: PlanAccepted) -> tuple[str, str] | None:
    if stored is None:
        return "unknown_offer", f"offer {acceptance.offer_id} was never made"
    if stored.status != OfferStatus.OFFERED:
        return f"offer_{stored.status}", f"offer {acceptance.offer_id} is {stored.status}"
    if acceptance.accepted_at > stored.offer.valid_until:
        return "offer_expired", f"offer {acceptance.offer_id} expired at {stored.offer.valid_until.isoformat()}"
    if all(option.option_id != acceptance.option_id for option in stored.offer.options):
        return "unknown_option", f"offer {acceptance.offer_id} has no option {acceptance.option_id}"
    return None


async def when_business_day_closed_expire_offers(unit: Unit[BusinessDayClosed], plans: Plans) -> None:
    for offer in await plans.store.expire_offers(unit.event.closed_at):
        await unit.publish(
            OfferExpired(
                offer_id=offer.offer_id, application_id=offer.application_id, loan_id=offer.loan_id, expired_at=offer.valid_until
            ),
            event_id=deterministic_id(OfferExpired.event_type, offer.offer_id),
        )


async def when_plan_broken_end_it(unit: Unit[PlanBroken], plans: Plans) -> None:
    await plans.store.end_plan(unit.event.plan_id, PlanStatus.BROKEN, unit.event.business_date)


async def when_plan_completed_end_it(unit: Unit[PlanCompleted], plans: Plans) -> None:
    await plans.store.end_plan(unit.event.plan_id, PlanStatus.COMPLETED, unit.event.completed_on)


async def when_loan_closed_end_its_plan(unit: Unit[LoanClosed], plans: Plans) -> None:
    """A closed loan gets no plan any more; the one in force, if any, ends with the loan."""
    await plans.store.close_loan(unit.event.loan_id, unit.event.closed_on, unit.event.reason.value)
