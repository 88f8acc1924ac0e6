"""One loan through all five services on the real Kafka and Postgres, as a gateway and an
agent see it: LoanBooked → overdue → notice → application → offer → written plan and code →
confirmation → plan active → repayment → plan installment paid."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.envelope import wrap
from tideover_contracts.events.loans import RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_testkit.fixtures import Infrastructure
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, book_overdue_loan, file_application
from tideover_testkit.kafka import KafkaTestClient, TopicWatcher
from tideover_testkit.processes import ServiceProcess, wait_until_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def upstream(event: object) -> object:
    return wrap(event, producer="upstream-loan-system", occurred_at=datetime.now(UTC))  # type: ignore[arg-type]


async def test_one_loan_flows_from_booking_to_a_paid_plan_installment(
    private_infrastructure: Infrastructure, all_services: dict[str, ServiceProcess]
) -> None:
    """On topics and services of its own: the session's shared ones carry other tests' clocks."""
    infrastructure, running = private_infrastructure, all_services
    intake = running["negotiation_intake"].url
    loan = loan_booked(loan_id=uuid.uuid4(), booked_on=date(2026, 1, 15))
    async with (
        KafkaTestClient(infrastructure.bootstrap_servers, infrastructure.topic_prefix) as kafka,
        TopicWatcher(infrastructure.bootstrap_servers, SERVICE_OUTPUT_TOPICS, infrastructure.topic_prefix) as watcher,
    ):
        is_ours = lambda event: event.loan_id == loan.loan_id  # noqa: E731
        # The first installment (1,000.00 principal + 45.00 interest) fell due on 2026-02-15; the
        # day closes at 18:00 in Beijing, inside the borrower's contact window (22:00–08:00 is quiet).
        overdue_url = running["overdue_detection"].url
        overdue = await book_overdue_loan(infrastructure, kafka, watcher, overdue_url, loan, date(2026, 2, 18))
        assert overdue.days_past_due == 3
        assert overdue.bucket.value == "M1"
        # 1,000.00 principal + 45.00 interest, and 3 days of penalty at 3.6% a year on them:
        # 1045 × 0.036 × 3 / 365 = 0.309 → 0.31.
        assert overdue.overdue.penalty == Money.of("0.31", "CNY")
        assert overdue.overdue.total == Money.of("1045.31", "CNY")

        notice = await watcher.wait_for_event("NotificationRequested", is_ours)
        assert notice.address == "+8613800138000"
        assert "逾期3天" in notice.body
        assert "¥1,045.31" in notice.body

        key = await issue_key(infrastructure.database_url, "agent-007", Role.AGENT)
        async with httpx.AsyncClient(base_url=intake, timeout=10, headers={"X-API-Key": key}) as http:
            view = await _wait_for_loan_view(http, loan.loan_id)
            assert view["overdue"] is True
            submitted = await file_application(http, loan.loan_id)
            assert submitted["state"] == "submitted"
            application_id = submitted["application_id"]

            offered = await watcher.wait_for_event("PlanOffered", is_ours)
            option = offered.options[0]
            # 1,045.31 over 3 months: 348.43, 348.43 and 348.45 (the last takes the remainder).
            assert [line.total.amount for line in option.schedule] == [Decimal("348.43"), Decimal("348.43"), Decimal("348.45")]
            application = await _wait_for_state(http, application_id, "offered")
            assert application["offers"][0]["offer_id"] == str(offered.offer_id)

            chosen = await http.post(
                f"/v1/applications/{application_id}/choice",
                json={"offer_id": str(offered.offer_id), "option_id": option.option_id},
            )
            assert chosen.json()["state"] == "chosen", chosen.text
            sent = await http.post(f"/v1/applications/{application_id}/sending")
            assert sent.json()["state"] == "sent", sent.text
            written = await watcher.wait_for_event(
                "NotificationRequested", lambda e: is_ours(e) and e.purpose.value == "written_plan"
            )
            code = re.search(r"验证码(\d{6})", written.body)
            assert code is not None, written.body

            wrong = await http.post(f"/v1/applications/{application_id}/confirmation", json={"code": _other(code.group(1))})
            assert wrong.status_code == 422
            assert wrong.json()["tries_left"] == 4
            confirmed = await http.post(f"/v1/applications/{application_id}/confirmation", json={"code": code.group(1)})
            assert confirmed.json()["state"] == "accepted", confirmed.text

        activated = await watcher.wait_for_event("PlanActivated", is_ours)
        assert activated.total_payable == Money.of("1045.31", "CNY")
        # An arrears plan: installment 1 is re-dated into it, installment 2 (due 15 March) stays due
        # beside the plan's first month (DESIGN.md §3a), so the first month asks for both.
        first_month = activated.months()[0]
        assert [i.sequence for i in first_month.continuing] == [2]
        assert first_month.total == Money.of("1393.43", "CNY")
        # repayment tracking takes the plan before the money arrives, and so does overdue detection's
        # ledger (the plan and the payment come on different topics): the payment goes to the plan's line
        await wait_until_ok(f"{running['repayment_tracking'].url}/v1/plans/{activated.plan_id}")
        await wait_until_ok(
            f"{overdue_url}/v1/loans/{loan.loan_id}/overdue-status", accept=lambda r: r.json()["status"] == "under_plan"
        )
        await kafka.publish(
            upstream(
                RepaymentReceived(
                    loan_id=loan.loan_id,
                    payment_id=f"PAY-{uuid.uuid4()}",
                    amount=first_month.total,
                    received_at=datetime(2026, 3, 18, 9, tzinfo=UTC),
                    value_date=date(2026, 3, 18),
                )
            )
        )
        paid = await watcher.wait_for_event("PlanInstallmentPaid", is_ours)
        assert paid.sequence == 1
        assert paid.fully_paid
        assert paid.applied == Money.of("348.43", "CNY")


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def _wait_for_loan_view(http: httpx.AsyncClient, loan_id: uuid.UUID) -> dict[str, object]:
    async def fetch() -> dict[str, object] | None:
        response = await http.get(f"/v1/loans/{loan_id}")
        return response.json() if response.status_code == 200 else None

    return await _poll(fetch)


async def _wait_for_state(http: httpx.AsyncClient, application_id: str, state: str) -> dict[str, object]:
    async def fetch() -> dict[str, object] | None:
        body = (await http.get(f"/v1/applications/{application_id}")).json()
        return body if body["state"] == state else None

    return await _poll(fetch)


async def _poll(fetch: Callable[[], object], timeout: float = 30.0) -> dict[str, object]:
    async with asyncio.timeout(timeout):
        while True:
            result = await fetch()  # type: ignore[misc]
            if result:
                return result  # type: ignore[no-any-return]
            await asyncio.sleep(0.2)
