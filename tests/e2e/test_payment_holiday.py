"""A payment holiday (DESIGN.md §4, issue 16) through all five services on the real Kafka and
Postgres: an unemployed borrower with no income and a verified unemployment certificate is
offered and recommended a 3-month holiday; the agent chooses it, a supervisor approves, the
borrower confirms. The holiday's months pass with no payment and nothing goes overdue, missed or
reminded; the rescheduled months are paid, the plan completes, and the ledger's trial balance
balances with all the principal paid (DESIGN.md §3a: a reschedule replaces the whole schedule)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_reconcile import trial_balance
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan, day_closed, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
BOOKED_ON = date(2027, 1, 15)  # six installments of 1,000.00 + interest, due on the 15th from February
OVERDUE_ON = date(2027, 2, 18)
NOTHING = {"amount": "0.00", "currency": "CNY"}


def cny(amount: Decimal | str) -> Money:
    return Money.of(amount, "CNY")


def _applies(payment_id: str, event: Any) -> bool:
    return bool(event.payment_id == payment_id)


def _application(loan_id: uuid.UUID) -> dict[str, Any]:
    return {
        "loan_id": str(loan_id),
        "hardship": {
            "reason": "unemployment",
            "description": "Laid off in January; no income until a new job is found.",
            "monthly_income": NOTHING,
            "essential_expenses": NOTHING,
        },
        "requested_options": [],
    }


async def _agree_to_the_holiday(
    infrastructure: Infrastructure, services: dict[str, ServiceProcess], watcher: TopicWatcher, loan: LoanBooked
) -> tuple[PlanOffered, PlanActivated]:
    """The agent's application with the verified certificate; the recommended holiday chosen, a
    supervisor's approval, the written plan and the borrower's code."""

    def ours(event: Any) -> bool:
        return bool(event.loan_id == loan.loan_id)

    agent = await issue_key(infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
    supervisor = await issue_key(infrastructure.database_url, f"supervisor-{uuid.uuid4().hex[:6]}", Role.SUPERVISOR)
    intake = services["negotiation_intake"].url
    async with httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": agent}) as http:
        await wait_until_ok(f"{intake}/v1/loans/{loan.loan_id}", headers={"X-API-Key": agent})
        submitted = await file_application(http, loan.loan_id, body=_application(loan.loan_id))
        path = f"/v1/applications/{submitted['application_id']}"
        offer: PlanOffered = await watcher.wait_for_event("PlanOffered", ours)
        await wait_until_ok(f"{intake}{path}", accept=lambda r: r.json()["state"] == "offered", headers={"X-API-Key": agent})
        assert offer.recommended_option_id == "holiday-3"
        chosen = await http.post(f"{path}/choice", json={"offer_id": str(offer.offer_id), "option_id": "holiday-3"})
        assert chosen.json()["state"] == "awaiting_approval", chosen.text  # a supervisor approves a holiday
        approved = await http.post(
            f"{path}/approval", json={"approved": True, "note": "Verified unemployment"}, headers={"X-API-Key": supervisor}
        )
        assert approved.status_code == 200, approved.text
        assert (await http.post(f"{path}/sending")).json()["state"] == "sent"
        sms = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "written_plan")
        code = re.search(r"(\d{6})", sms.body)
        assert code is not None
        assert (await http.post(f"{path}/confirmation", json={"code": code.group(1)})).json()["state"] == "accepted"
    plan: PlanActivated = await watcher.wait_for_event("PlanActivated", ours)
    await wait_until_ok(f"{services['repayment_tracking'].url}/v1/plans/{plan.plan_id}")
    status_url = f"{services['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status"
    await wait_until_ok(status_url, accept=lambda r: r.json()["status"] == "under_plan")
    return offer, plan


async def test_a_holiday_passes_with_no_payment_and_nothing_overdue_then_completes_in_balance(
    private_infrastructure: Infrastructure, all_services: dict[str, ServiceProcess]
) -> None:
    infrastructure = private_infrastructure
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=BOOKED_ON, principal="6000.00", months=6)

    def ours(event: Any) -> bool:
        return bool(event.loan_id == loan.loan_id)

    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        await book_overdue_loan(infrastructure, kafka, watcher, all_services["overdue_detection"].url, loan, OVERDUE_ON)
        offer, plan = await _agree_to_the_holiday(infrastructure, all_services, watcher, loan)
        assert (plan.option_id, plan.kind, plan.plan_effect) == ("holiday-3", OptionKind.TERM_EXTENSION, PlanEffect.RESCHEDULE)
        assert set(plan.replaced_installments) == {1, 2, 3, 4, 5, 6}
        holiday, later = plan.schedule[:3], plan.schedule[3:]
        assert [line.total for line in holiday] == [cny("0.00")] * 3
        assert sum((line.principal.amount for line in plan.schedule), start=Decimal(0)) == Decimal("6000.00")

        # The holiday: each month closed past its grace with no payment; the loan's old due dates
        # (15 March, April, May) pass too.
        status_url = f"{all_services['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status"
        for line in holiday:
            await kafka.publish(day_closed(line.due_date + timedelta(days=4)))
            await settled(infrastructure)
            status = (await wait_until_ok(status_url)).json()
            assert (status["status"], status["overdue"]) == ("under_plan", False), status
        tracked = (await wait_until_ok(f"{all_services['repayment_tracking'].url}/v1/plans/{plan.plan_id}")).json()
        assert tracked["status"] == "active"
        assert [month["status"] for month in tracked["installments"][:3]] == ["paid"] * 3  # met without a payment
        assert [month["left"] for month in tracked["installments"][:3]] == [NOTHING] * 3
        # Nothing missed, broken or reminded of: no plan month, and no old installment, asked for anything.
        for kind in ("PlanInstallmentMissed", "PlanBroken", "PlanInstallmentDueSoon", "InstallmentDueSoon"):
            assert watcher.events(kind, ours) == [], kind
        assert [e.business_date for e in watcher.events("LoanBecameOverdue", ours)] == [OVERDUE_ON]

        # Payments resume: each rescheduled month paid on its due date.
        for line in later:
            payment = RepaymentReceived(
                loan_id=loan.loan_id,
                payment_id=f"PAY-{uuid.uuid4()}",
                amount=line.total,
                received_at=datetime(line.due_date.year, line.due_date.month, line.due_date.day, 2, tzinfo=UTC),
                value_date=line.due_date,
            )
            await kafka.publish(wrap(payment, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
            await watcher.wait_for_event("RepaymentApplied", partial(_applies, payment.payment_id))
            await settled(infrastructure)
            await kafka.publish(day_closed(line.due_date + timedelta(days=1)))
            await settled(infrastructure)
        completed = await watcher.wait_for_event("PlanCompleted", ours, timeout=60)
        assert completed.plan_id == plan.plan_id
        assert watcher.events("PlanInstallmentMissed", ours) == []
        status = (await wait_until_ok(status_url)).json()
        assert (status["overdue"], status["remaining_schedule"]) == (False, [])

        balance = (await trial_balance(infrastructure.database_url, [loan.loan_id])).as_json()
        assert balance["out_of_balance"] == [], balance
        assert balance["disagreements"] == [], balance
        book = balance["books"]["CNY"]
        assert Decimal(book["principal"]["paid"]) == Decimal("6000.00")  # all of it paid, none settled unpaid
        assert Decimal(book["principal"]["outstanding"]) == 0
        # The interest paid is the plan's: the holiday's contract interest and the rescheduled months'.
        plan_interest = sum((line.interest.amount for line in plan.schedule), start=Decimal(0))
        assert Decimal(book["interest"]["paid"]) == plan_interest
        assert Decimal(book["penalty"]["outstanding"]) == 0
        assert offer.offer_id == plan.offer_id
