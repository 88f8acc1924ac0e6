"""Early hardship (DESIGN.md §4, seed 4.1: come forward before falling behind) through all five
services on the real Kafka and Postgres. Nothing is overdue on either loan: an application 20
days before the next due date is accepted, one 40 days before is refused with the rule. The
early application is submitted only with verified evidence; it carries the ledger's position of
the day (DESIGN.md §3a: the offer's basis is the business date it was asked on), the options are
computed on the coming installments (extensions, no arrears to split), and the plan chosen
replaces the schedule: the old due date passes with nothing overdue, the first plan month is
paid, and the trial balance balances."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.events.negotiation import NegotiationRequested, PlanEffect
from tideover_contracts.events.plans import PlanActivated, PlanOffered
from tideover_contracts.examples import loan_booked, schedule
from tideover_reconcile import trial_balance
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import PROOF_PDF, SERVICE_OUTPUT_TOPICS, day_closed, hardship_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok
from tideover_testkit.settle import settled

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
TODAY = date(2027, 2, 1)
#: Booked 21 January: six monthly installments from 21 February, 20 days after TODAY.
NEAR = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 1, 21), principal="6000.00", months=6)
#: Booked the same day, its first installment on 13 March: 40 days after TODAY.
FAR = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2027, 1, 21), principal="6000.00", months=6).model_copy(
    update={"installments": schedule("6000.00", 6, date(2027, 3, 13))}
)


def _ours(loan: LoanBooked, event: Any) -> bool:
    return bool(event.loan_id == loan.loan_id)


async def _book(infrastructure: Infrastructure, kafka: KafkaTestClient, overdue_url: str) -> None:
    for loan in (NEAR, FAR):
        await kafka.publish(wrap(loan, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
        await wait_until_ok(f"{overdue_url}/v1/loans/{loan.loan_id}/overdue-status")
    await settled(infrastructure)
    await kafka.publish(day_closed(TODAY))
    await settled(infrastructure)


async def test_an_application_20_days_before_the_due_date_gets_a_plan_40_days_before_is_refused(
    private_infrastructure: Infrastructure, all_services: dict[str, ServiceProcess]
) -> None:
    infrastructure = private_infrastructure
    overdue_url = all_services["overdue_detection"].url
    intake = all_services["negotiation_intake"].url
    agent = await issue_key(infrastructure.database_url, f"agent-{uuid.uuid4().hex[:6]}", Role.AGENT)
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
        httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": agent}) as http,
    ):
        await _book(infrastructure, kafka, overdue_url)
        position = (await wait_until_ok(f"{overdue_url}/v1/loans/{NEAR.loan_id}/position")).json()
        assert (position["business_date"], position["next_due_date"], position["overdue"]["total"]["amount"]) == (
            "2027-02-01",
            "2027-02-21",
            "0.00",
        )

        # 40 days before: refused with the rule, nothing stored.
        refused = await http.post("/v1/applications", json=hardship_application(FAR.loan_id))
        assert refused.status_code == 422, refused.text
        assert refused.json()["rule"] == "early_hardship"
        assert "30 days before the next due date (2027-03-13, 40 days after 2027-02-01)" in refused.json()["detail"]
        assert (await http.get(f"/v1/loans/{FAR.loan_id}")).status_code == 404

        # 20 days before: opened; submitted only with verified evidence.
        body = hardship_application(NEAR.loan_id, "My employer cut my hours from March")
        body["hardship"]["reason"], body["requested_options"] = "family_emergency", ["term_extension"]  # no proof rule of its own
        opened = await http.post("/v1/applications", json=body)
        assert opened.status_code == 201, opened.text
        path = f"/v1/applications/{opened.json()['application_id']}"
        uploaded = await http.post(
            f"{path}/evidence",
            data={"kind": "other"},
            files={"file": ("letter.pdf", PROOF_PDF, "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        not_verified = await http.post(f"{path}/submit")
        assert not_verified.status_code == 422, not_verified.text
        assert not_verified.json()["rule"] == "early_hardship_evidence"
        reviewed = await http.post(
            f"{path}/evidence/{uploaded.json()['document_id']}/review", json={"verified": True, "note": "Employer's letter"}
        )
        assert reviewed.status_code == 200, reviewed.text
        submitted = await http.post(f"{path}/submit")
        assert submitted.status_code == 200, submitted.text

        request: NegotiationRequested = await watcher.wait_for_event("NegotiationRequested", partial(_ours, NEAR))
        assert request.basis is not None
        assert (request.basis.business_date, request.basis.overdue.total.amount) == (TODAY, 0)
        offer: PlanOffered = await watcher.wait_for_event("PlanOffered", partial(_ours, NEAR))
        assert offer.basis_business_date == TODAY
        kinds = {option.option_id: option.effect for option in offer.options}
        assert kinds, offer
        assert set(kinds.values()) == {PlanEffect.RESCHEDULE}, kinds  # nothing overdue: no arrears to split
        recommended = next(option for option in offer.options if option.option_id == offer.recommended_option_id)
        assert (recommended.affordable, recommended.needs_supervisor) == (True, False)
        assert sum(line.principal.amount for line in recommended.schedule) == NEAR.principal.amount

        # Chosen, sent, confirmed with the code: the plan replaces the whole schedule.
        await wait_until_ok(f"{intake}{path}", accept=lambda r: r.json()["state"] == "offered", headers={"X-API-Key": agent})
        chosen = await http.post(f"{path}/choice", json={"offer_id": str(offer.offer_id), "option_id": recommended.option_id})
        assert chosen.status_code == 200, chosen.text
        assert (await http.post(f"{path}/sending")).json()["state"] == "sent"
        sms = await watcher.wait_for_event(
            "NotificationRequested", lambda e: _ours(NEAR, e) and e.purpose.value == "written_plan"
        )
        code = re.search(r"(\d{6})", sms.body)
        assert code is not None
        assert (await http.post(f"{path}/confirmation", json={"code": code.group(1)})).json()["state"] == "accepted"
        plan: PlanActivated = await watcher.wait_for_event("PlanActivated", partial(_ours, NEAR))
        assert (plan.basis_business_date, set(plan.replaced_installments)) == (TODAY, {1, 2, 3, 4, 5, 6})
        status_url = f"{overdue_url}/v1/loans/{NEAR.loan_id}/overdue-status"
        await wait_until_ok(status_url, accept=lambda r: r.json()["status"] == "under_plan")

        # The old first due date passes with nothing overdue; the first plan month is paid.
        await kafka.publish(day_closed(date(2027, 2, 22)))
        await settled(infrastructure)
        assert (await wait_until_ok(status_url)).json()["overdue"] is False
        first = plan.schedule[0]
        payment = RepaymentReceived(
            loan_id=NEAR.loan_id,
            payment_id=f"PAY-{uuid.uuid4()}",
            amount=first.total,
            received_at=datetime(first.due_date.year, first.due_date.month, first.due_date.day, 2, tzinfo=UTC),
            value_date=first.due_date,
        )
        await kafka.publish(wrap(payment, producer="upstream-loan-system", occurred_at=datetime.now(UTC)))
        await watcher.wait_for_event("RepaymentApplied", lambda e: e.payment_id == payment.payment_id)
        await settled(infrastructure)
        await kafka.publish(day_closed(first.due_date + timedelta(days=4)))
        await settled(infrastructure)
        tracked = (await wait_until_ok(f"{all_services['repayment_tracking'].url}/v1/plans/{plan.plan_id}")).json()
        assert (tracked["status"], tracked["installments"][0]["status"]) == ("active", "paid"), tracked
        assert watcher.events("LoanBecameOverdue", partial(_ours, NEAR)) == []
        assert watcher.events("NegotiationRequested", partial(_ours, FAR)) == []

        balance = (await trial_balance(infrastructure.database_url, [NEAR.loan_id, FAR.loan_id])).as_json()
        assert balance["out_of_balance"] == [], balance
        assert balance["disagreements"] == [], balance
