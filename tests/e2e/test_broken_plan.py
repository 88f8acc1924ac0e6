"""A plan that breaks, through all five services on the real Kafka and Postgres: the borrower
confirms a plan with a conditional waiver, pays nothing, the plan breaks after 30 days unpaid,
the waiver is reinstated, collection resumes and the borrower is told the amount and the days."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.events.overdue import OverdueChangeReason
from tideover_contracts.examples import loan_booked
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan, day_closed, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


async def test_a_broken_plan_reinstates_its_waiver_and_collection_resumes(
    private_infrastructure: Infrastructure, all_services: dict[str, ServiceProcess]
) -> None:
    infrastructure = private_infrastructure
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 5, 15))  # first installment due 15 June 2027
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
        await book_overdue_loan(infrastructure, kafka, watcher, all_services["overdue_detection"].url, loan, date(2027, 6, 18))

        key = await issue_key(infrastructure.database_url, "agent-042", Role.AGENT)
        intake = all_services["negotiation_intake"].url
        async with httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": key}) as http:
            await wait_until_ok(f"{intake}/v1/loans/{loan.loan_id}", headers={"X-API-Key": key})
            application = await file_application(http, loan.loan_id)
            path = f"/v1/applications/{application['application_id']}"
            offer = await watcher.wait_for_event("PlanOffered", ours)
            with_waiver = next(
                option for option in offer.options if option.waived.total.amount > 0 and not option.needs_supervisor
            )
            await wait_until_ok(f"{intake}{path}", accept=lambda r: r.json()["state"] == "offered", headers={"X-API-Key": key})
            chosen = await http.post(f"{path}/choice", json={"offer_id": str(offer.offer_id), "option_id": with_waiver.option_id})
            assert chosen.json()["state"] == "chosen", chosen.text
            assert (await http.post(f"{path}/sending")).json()["state"] == "sent"
            sms = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "written_plan")
            code = re.search(r"(\d{6})", sms.body)
            assert code is not None
            assert (await http.post(f"{path}/confirmation", json={"code": code.group(1)})).json()["state"] == "accepted"

        plan = await watcher.wait_for_event("PlanActivated", ours)
        assert plan.conditional_waiver.total == with_waiver.waived.total
        first_due = plan.schedule[0].due_date
        await wait_until_ok(f"{all_services['repayment_tracking'].url}/v1/plans/{plan.plan_id}")
        # A month passes before the next close: by then overdue detection has read the activation
        # too (the plans and clock topics are read independently, so the test waits for it).
        await wait_until_ok(
            f"{all_services['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status",
            accept=lambda r: r.json()["status"] == "under_plan",
        )

        # Nothing is paid: missed after the grace, broken 30 days after it fell due.
        await kafka.publish(day_closed(first_due + timedelta(days=4)))
        missed = await watcher.wait_for_event("PlanInstallmentMissed", ours)
        assert missed.sequence == 1
        # While the plan is in force the loan's days past due stand still (3 when it was agreed).
        judged_on = (first_due + timedelta(days=4)).isoformat()
        status = (
            await wait_until_ok(
                f"{all_services['overdue_detection'].url}/v1/loans/{loan.loan_id}/overdue-status",
                accept=lambda r: r.json()["as_of"] == judged_on and r.json()["status"] == "under_plan",
            )
        ).json()
        assert (status["days_past_due"], status["bucket"]) == (3, "M1")
        broken_on = first_due + timedelta(days=30)
        await kafka.publish(day_closed(broken_on))
        broken = await watcher.wait_for_event("PlanBroken", ours)
        assert (broken.reason.value, broken.business_date) == ("unpaid_30_days", broken_on)
        assert broken.reinstated_waiver == plan.conditional_waiver  # the conditional waiver comes back

        # Collection resumes on the loan's own ledger, and the borrower hears of it.
        resumed = await watcher.wait_for_event(
            "OverdueStatusChanged", lambda e: ours(e) and OverdueChangeReason.PLAN_BROKEN in e.reasons
        )
        assert not resumed.under_plan
        told = await watcher.wait_for_event("NotificationRequested", lambda e: ours(e) and e.purpose.value == "plan_broken")
        assert str(broken.unpaid.amount) in told.body.replace(",", "")
        assert "逾期" in told.body  # the days overdue are stated
        async with httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": key}) as http:
            view = await wait_until_ok(
                f"{intake}/v1/loans/{loan.loan_id}",
                accept=lambda r: (r.json()["plan"] or {}).get("status") == "broken",
                headers={"X-API-Key": key},
            )
        assert view.json()["plan"]["plan_id"] == str(plan.plan_id)
