"""One meaning of a plan in every service (DESIGN.md §3a), through all five services on the real
Kafka and Postgres, checked against the ledger (the book of record) and its trial balance:

- an arrears plan whose borrower pays only the plan's parts breaks, and the regular installments
  stay overdue; one whose borrower pays each month's total completes with every installment paid;
- an extension plan completes with nothing settled that was not paid;
- two acceptances on one loan give one plan and one clear refusal, and the borrower is told;
- a plan confirmed after the loan was cured is refused, and the borrower is told why;
- a plan confirmed after a payment beyond the tolerance is quoted again, and the borrower is told.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import (
    ConfirmationChannel,
    EvidenceKind,
    EvidenceRef,
    Hardship,
    HardshipReason,
    NegotiationRequested,
    OptionKind,
    PlanAccepted,
    PlanEffect,
)
from tideover_contracts.events.overdue import OverdueChangeReason
from tideover_contracts.events.plans import PlanActivated, PlanOffered, PlanOption
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_reconcile import trial_balance
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan, day_closed, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
BOOKED_ON = date(2027, 1, 15)  # six installments of 1,000.00 + 45.00, due on the 15th from February
OVERDUE_ON = date(2027, 2, 18)


def cny(amount: Decimal | str) -> Money:
    return Money.of(amount, "CNY")


class Journey:
    """One loan's way through the running services, as its upstream system, agent and borrower."""

    def __init__(
        self, infrastructure: Infrastructure, services: dict[str, ServiceProcess], kafka: KafkaTestClient, watcher: TopicWatcher
    ) -> None:
        self.infrastructure, self.services, self.kafka, self.watcher = infrastructure, services, kafka, watcher
        self.loan: LoanBooked = loan_booked(loan_id=uuid.uuid4(), booked_on=BOOKED_ON, principal="6000.00", months=6)

    def ours(self, event: Any) -> bool:
        return bool(event.loan_id == self.loan.loan_id)

    async def overdue(self) -> None:
        await book_overdue_loan(
            self.infrastructure, self.kafka, self.watcher, self.services["overdue_detection"].url, self.loan, OVERDUE_ON
        )

    async def agree(self, choose: Callable[[PlanOption], bool]) -> PlanActivated:
        """An agent's application, the option `choose` picks, the written plan and the borrower's code."""
        key = await issue_key(self.infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
        intake = self.services["negotiation_intake"].url
        async with httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": key}) as http:
            await wait_until_ok(f"{intake}/v1/loans/{self.loan.loan_id}", headers={"X-API-Key": key})
            path = f"/v1/applications/{(await file_application(http, self.loan.loan_id))['application_id']}"
            offer = await self.watcher.wait_for_event("PlanOffered", self.ours)
            option = next(option for option in offer.options if choose(option) and not option.needs_supervisor)
            await wait_until_ok(f"{intake}{path}", accept=lambda r: r.json()["state"] == "offered", headers={"X-API-Key": key})
            chosen = await http.post(f"{path}/choice", json={"offer_id": str(offer.offer_id), "option_id": option.option_id})
            assert chosen.json()["state"] == "chosen", chosen.text
            assert (await http.post(f"{path}/sending")).json()["state"] == "sent"
            sms = await self.told("written_plan")
            code = re.search(r"(\d{6})", sms.body)
            assert code is not None
            assert (await http.post(f"{path}/confirmation", json={"code": code.group(1)})).json()["state"] == "accepted"
        plan: PlanActivated = await self.watcher.wait_for_event("PlanActivated", self.ours)
        await wait_until_ok(f"{self.services['repayment_tracking'].url}/v1/plans/{plan.plan_id}")
        await wait_until_ok(self.status_url, accept=lambda r: r.json()["status"] == "under_plan")
        return plan

    async def told(self, purpose: str) -> Any:
        """The message of `purpose` the borrower was sent."""
        return await self.watcher.wait_for_event("NotificationRequested", lambda e: self.ours(e) and e.purpose.value == purpose)

    @property
    def status_url(self) -> str:
        return f"{self.services['overdue_detection'].url}/v1/loans/{self.loan.loan_id}/overdue-status"

    async def pay(self, amount: Money, on: date) -> None:
        payment = RepaymentReceived(
            loan_id=self.loan.loan_id,
            payment_id=f"PAY-{uuid.uuid4()}",
            amount=amount,
            received_at=datetime(on.year, on.month, on.day, 2, tzinfo=UTC),
            value_date=on,
        )
        await self.kafka.publish(wrap(payment, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
        await self.watcher.wait_for_event("RepaymentApplied", lambda e: e.payment_id == payment.payment_id)
        # Repayment tracking reads what the ledger applied apart from the clock: taken in before the next close.
        await settled(self.infrastructure)

    async def close(self, day: date) -> None:
        await self.kafka.publish(day_closed(day))
        await settled(self.infrastructure)

    async def status(self) -> dict[str, Any]:
        return dict((await wait_until_ok(self.status_url)).json())

    async def balanced(self) -> dict[str, Any]:
        """The loan's trial balance (tideover-reconcile): in balance, and every service agrees."""
        balance = (await trial_balance(self.infrastructure.database_url, [self.loan.loan_id])).as_json()
        assert balance["out_of_balance"] == [], balance
        assert balance["disagreements"] == [], balance
        return dict(balance["books"]["CNY"])


@pytest.fixture
async def journey(private_infrastructure: Infrastructure, all_services: dict[str, ServiceProcess]) -> Any:
    async with (
        KafkaTestClient(private_infrastructure.bootstrap_servers, private_infrastructure.topic_prefix) as kafka,
        TopicWatcher(
            private_infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, private_infrastructure.topic_prefix
        ) as watcher,
    ):
        yield Journey(private_infrastructure, all_services, kafka, watcher)


def arrears(option: PlanOption) -> bool:
    return option.kind == OptionKind.ARREARS_INSTALLMENTS


def extension(option: PlanOption) -> bool:
    return option.kind == OptionKind.TERM_EXTENSION and re.fullmatch(r"extension-\d+", option.option_id) is not None


async def test_an_arrears_plan_paid_month_by_month_completes_with_every_installment_paid(journey: Journey) -> None:
    await journey.overdue()
    plan = await journey.agree(arrears)
    assert plan.plan_effect == PlanEffect.ARREARS
    assert plan.replaced_installments == (1,)
    months = plan.months()
    for month in months:  # each month's total, as the written plan states it: its line and the installments beside it
        await journey.pay(month.total, month.line.due_date)
        await journey.close(month.line.due_date + timedelta(days=4))
    completed = await journey.watcher.wait_for_event("PlanCompleted", journey.ours)
    assert completed.plan_id == plan.plan_id
    status = await journey.status()
    assert not status["overdue"]
    # Every installment due by the plan's last month is paid; the later ones keep their dates.
    last = months[-1].line.due_date
    remaining = {item["sequence"]: Decimal(item["outstanding"]["amount"]) for item in status["remaining_schedule"]}
    assert remaining == {i.sequence: i.total.amount for i in journey.loan.installments if i.due_date > last}
    book = await journey.balanced()
    assert Decimal(book["principal"]["outstanding"]) == sum((Decimal(1000) for _ in remaining), start=Decimal(0))
    assert Decimal(book["principal"]["written_off"]) == 0


async def test_an_arrears_plan_paid_only_in_its_own_parts_breaks_and_the_installments_stay_overdue(journey: Journey) -> None:
    await journey.overdue()
    plan = await journey.agree(arrears)
    for month in plan.months()[:2]:  # the plan's line alone: the regular installment beside it is left
        assert month.continuing, "an arrears plan of a loan with later installments asks for them too"
        await journey.pay(month.line.total, month.line.due_date)
        await journey.close(month.line.due_date + timedelta(days=4))
    broken = await journey.watcher.wait_for_event("PlanBroken", journey.ours)
    assert broken.reason.value in ("two_missed", "unpaid_30_days")
    resumed = await journey.watcher.wait_for_event(
        "OverdueStatusChanged", lambda e: journey.ours(e) and OverdueChangeReason.PLAN_BROKEN in e.reasons
    )
    assert not resumed.under_plan
    # The plan is undone: what was paid went to the oldest installments, the rest is overdue again.
    paid = sum((month.line.total.amount for month in plan.months()[:2]), start=Decimal(0))
    # (as of the last day overdue detection had closed when it undid the plan: the plans and the
    # clock topics are read independently, so that may be before the day the plan broke)
    due = [i for i in journey.loan.installments if i.due_date < resumed.business_date]
    assert resumed.oldest_overdue_due_date == date(2027, 2, 15)
    assert resumed.overdue.total.amount >= sum((i.total.amount for i in due), start=Decimal(0)) - paid
    book = await journey.balanced()
    assert Decimal(book["principal"]["outstanding"]) >= Decimal(6000) - paid  # nothing settled that was not paid
    assert Decimal(book["principal"]["written_off"]) == 0


async def test_an_extension_completes_with_nothing_settled_that_was_not_paid(journey: Journey) -> None:
    await journey.overdue()
    plan = await journey.agree(extension)
    assert plan.plan_effect == PlanEffect.RESCHEDULE
    assert set(plan.replaced_installments) == {1, 2, 3, 4, 5, 6}
    for month in plan.months():
        await journey.pay(month.total, month.line.due_date)
        await journey.close(month.line.due_date + timedelta(days=1))
    await journey.watcher.wait_for_event("PlanCompleted", journey.ours, timeout=60)
    status = await journey.status()
    assert (status["overdue"], status["remaining_schedule"]) == (False, [])
    book = await journey.balanced()
    assert Decimal(book["principal"]["paid"]) == Decimal(6000)  # all of it paid, none of it settled unpaid
    assert Decimal(book["principal"]["outstanding"]) == 0


def _requested(loan_id: uuid.UUID) -> NegotiationRequested:
    evidence = EvidenceRef(document_id=uuid.uuid4(), kind=EvidenceKind.UNEMPLOYMENT_PROOF, sha256="0" * 64, verified=True)
    hardship = Hardship(
        reason=HardshipReason.UNEMPLOYMENT,
        description="Laid off",
        monthly_income=cny("9000.00"),
        essential_expenses=cny("2000.00"),
        evidence=(evidence,),
    )
    return NegotiationRequested(
        application_id=uuid.uuid4(),
        loan_id=loan_id,
        borrower_id="B-1",
        hardship=hardship,
        agent_id="agent-1",
        submitted_at=datetime(2027, 2, 18, 12, tzinfo=UTC),
    )


def _accepted(offer: PlanOffered) -> PlanAccepted:
    assert offer.recommended_option_id is not None
    return PlanAccepted(
        application_id=offer.application_id,
        loan_id=offer.loan_id,
        offer_id=offer.offer_id,
        option_id=offer.recommended_option_id,
        confirmed_via=ConfirmationChannel.RECORDED_CALL,
        accepted_at=datetime(2027, 2, 18, 13, tzinfo=UTC),
    )


async def _two_offers(journey: Journey) -> list[PlanOffered]:
    """Two applications for one loan reach plan calculation (as two agents' would, racing)."""
    requests = [_requested(journey.loan.loan_id), _requested(journey.loan.loan_id)]
    for request in requests:
        await journey.kafka.publish(wrap(request, producer="negotiation-intake", occurred_at=datetime.now(UTC)))
    return [
        await journey.watcher.wait_for_event("PlanOffered", lambda e, r=r: e.application_id == r.application_id) for r in requests
    ]


async def test_two_acceptances_on_one_loan_give_one_plan_and_one_clear_refusal(journey: Journey) -> None:
    await journey.overdue()
    for offer in await _two_offers(journey):
        await journey.kafka.publish(wrap(_accepted(offer), producer="negotiation-intake", occurred_at=datetime.now(UTC)))
    refused = await journey.watcher.wait_for_event("PlanRejected", journey.ours)
    await journey.watcher.wait_for_event("PlanActivated", journey.ours)
    await settled(journey.infrastructure)
    assert [reason.code for reason in refused.reasons] == ["plan_already_active"]
    assert len(journey.watcher.events("PlanActivated", journey.ours)) == 1
    told = await journey.told("plan_refused")
    assert "原方案继续有效" in told.body  # the plan in force stays in force
    tracked = (await wait_until_ok(f"{journey.services['repayment_tracking'].url}/v1/loans/{journey.loan.loan_id}/plans")).json()
    assert len(tracked["plans"]) == 1
    await journey.balanced()


async def test_a_plan_confirmed_after_the_loan_was_cured_is_refused(journey: Journey) -> None:
    await journey.overdue()
    [offer, _] = await _two_offers(journey)
    owed = sum((Decimal(v["amount"]) for v in (await journey.status())["overdue_amounts"].values()), start=Decimal(0))
    await journey.pay(cny(owed), OVERDUE_ON)
    await journey.watcher.wait_for_event("LoanCured", journey.ours)
    await settled(journey.infrastructure)  # plan calculation knows of the cure before the borrower confirms
    await journey.kafka.publish(wrap(_accepted(offer), producer="negotiation-intake", occurred_at=datetime.now(UTC)))
    refused = await journey.watcher.wait_for_event("PlanRejected", lambda e: journey.ours(e) and e.offer_id == offer.offer_id)
    assert [reason.code for reason in refused.reasons] == ["loan_cured"]
    told = await journey.told("plan_refused")
    assert "您确认的还款方案未生效" in told.body
    assert "已无逾期" in told.body
    await settled(journey.infrastructure)
    assert journey.watcher.events("PlanActivated", journey.ours) == []
    assert (await journey.status())["status"] != "under_plan"


async def test_a_plan_confirmed_after_a_payment_beyond_the_tolerance_is_quoted_again_and_the_borrower_told(
    journey: Journey,
) -> None:
    await journey.overdue()
    request = _requested(journey.loan.loan_id)
    await journey.kafka.publish(wrap(request, producer="negotiation-intake", occurred_at=datetime.now(UTC)))
    offer = await journey.watcher.wait_for_event("PlanOffered", lambda e: e.application_id == request.application_id)
    owed = sum((Decimal(v["amount"]) for v in (await journey.status())["overdue_amounts"].values()), start=Decimal(0))
    await journey.pay(cny((owed / 2).quantize(Decimal("0.01"))), OVERDUE_ON)  # half the arrears: far beyond 1% or 10.00
    await settled(journey.infrastructure)  # plan calculation knows of the payment before the borrower confirms
    await journey.kafka.publish(wrap(_accepted(offer), producer="negotiation-intake", occurred_at=datetime.now(UTC)))
    requoted = await journey.watcher.wait_for_event("PlanOffered", lambda e: e.supersedes_offer_id == offer.offer_id)
    assert requoted.application_id == offer.application_id
    told = await journey.told("plan_refused")
    assert "更新后的方案发给您确认" in told.body
    await settled(journey.infrastructure)
    assert journey.watcher.events("PlanActivated", journey.ours) == []
    await journey.balanced()
