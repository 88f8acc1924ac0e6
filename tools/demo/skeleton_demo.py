"""`make demo`: a small loan book through all five running services, shown in the terminal.

Three borrowers are booked as an upstream loan system would book them. Their first
installment falls due, the business day closes, and then:
  - Zhang Wei (zh-CN, Shanghai) is overdue, gets a notice, applies for hardship with an agent,
    receives a plan, confirms it with the one-time code from the SMS and pays the first part;
  - Emily Clark (en, New York) is overdue and gets her notice in English;
  - Li Na pays on time and hears nothing but her pre-due reminder.
Every line printed is an event read back from Kafka or an answer of the intake API.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from negotiation_intake.domain.access import Role
from negotiation_intake.entrypoints.keys_cli import issue_key
from tideover_contracts.common import BorrowerContact, Channel, Jurisdiction, Locale
from tideover_contracts.envelope import Envelope, Event, wrap
from tideover_contracts.events.clock import BusinessDayClosed, ClockTicked
from tideover_contracts.events.loans import LoanBooked, RepaymentReceived
from tideover_contracts.examples import loan_booked
from tideover_contracts.money import Money
from tideover_runtime.service_keys import CallerSettings, key_header
from tideover_runtime.settings import RuntimeSettings
from tideover_testkit.journeys import SERVICE_OUTPUT_TOPICS, file_application
from tideover_testkit.kafka import KafkaTestClient, Seen, TopicWatcher
from tideover_testkit.processes import wait_until_ok

OVERDUE = "http://127.0.0.1:8101"
INTAKE = "http://127.0.0.1:8103"
FIRST_BOOKING = date(2026, 1, 15)  # on a fresh system: first installment due 2026-02-15


def upstream(event: Event, at: datetime | None = None) -> Envelope[Any]:
    return wrap(event, producer="demo-upstream", occurred_at=at or datetime.now(UTC))


def borrowers(booked_on: date) -> dict[str, LoanBooked]:
    zhang = loan_booked(loan_id=uuid.uuid4(), booked_on=booked_on)
    emily = loan_booked(loan_id=uuid.uuid4(), booked_on=booked_on, principal="6000.00").model_copy(
        update={
            "borrower": BorrowerContact(
                borrower_id="B-US-0042",
                name="Emily Clark",
                phone="+12125550142",
                email="emily@example.com",
                locale=Locale.EN,
                time_zone="America/New_York",
                jurisdiction=Jurisdiction.US,
                preferred_channels=(Channel.SMS,),
            )
        }
    )
    li = loan_booked(loan_id=uuid.uuid4(), booked_on=booked_on).model_copy(
        update={
            "borrower": zhang.borrower.model_copy(update={"borrower_id": "B-000456", "name": "李娜", "phone": "+8613900139000"})
        }
    )
    return {"Zhang Wei": zhang, "Emily Clark": emily, "Li Na": li}


def say(who: str, what: str) -> None:
    print(f"  {who:<12} {what}", flush=True)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


#: How each event reads in the timeline.
def _recommended(offer: Any) -> str:
    best = next(option for option in offer.options if option.option_id == offer.recommended_option_id)
    months = len(best.schedule)
    return (
        f"{len(offer.options)} options; recommended {best.option_id}: {months} months, at most {best.largest_payment}"
        f" a month, {best.total_payable} in all, {best.waived.total} waived"
    )


DESCRIBE: dict[str, Callable[[Any], str]] = {
    "InstallmentDueSoon": lambda e: f"#{e.sequence} {e.amount_due} due {e.due_date} ({_days(e.days_before)} ahead)",
    "LoanBecameOverdue": lambda e: f"{e.overdue.total} overdue, {e.days_past_due} days past due, bucket {e.bucket}",
    "NotificationRequested": lambda e: f"{e.channel} {e.purpose}: “{e.body}”",
    "NegotiationRequested": lambda e: f"hardship: {e.hardship.reason}, income {e.hardship.monthly_income}",
    "PlanOffered": _recommended,
    "PlanOptionChosen": lambda e: f"option {e.option_id}",
    "PlanSentToBorrower": lambda e: f"written plan, {len(e.plan.schedule)} installments, code sent by SMS",
    "PlanAccepted": lambda e: f"option {e.option_id}, confirmed via {e.confirmed_via}",
    "PlanActivated": lambda e: f"{e.total_payable} over {len(e.schedule)} months",
    "PlanInstallmentPaid": lambda e: f"#{e.sequence} {e.applied} applied, fully paid={e.fully_paid}",
}


def describe(item: Seen) -> str | None:
    if item.envelope is None or item.envelope.event_type not in DESCRIBE:
        return None
    return f"{item.envelope.event_type:<25} {DESCRIBE[item.envelope.event_type](item.envelope.payload)}"


@dataclass
class Demo:
    kafka: KafkaTestClient
    watcher: TopicWatcher
    book: dict[str, LoanBooked]
    shown: set[int] = field(default_factory=set)

    @property
    def names(self) -> dict[uuid.UUID, str]:
        return {loan.loan_id: name for name, loan in self.book.items()}

    def show_new(self) -> None:
        """Print the events about our loans that arrived since the last call."""
        names = self.names
        for index, item in enumerate(self.watcher.seen):
            loan_id = getattr(item.envelope.payload, "loan_id", None) if item.envelope else None
            if index in self.shown or loan_id not in names:
                continue
            self.shown.add(index)
            if text := describe(item):
                say(names[loan_id], text)

    async def close_day(self, day: date) -> None:
        """The day closes at 18:00 in Beijing (06:00 in New York, inside its quiet hours: a US
        borrower's notices wait); three hours later the clock ticks to 08:00 in New York."""
        closed_at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        await self.kafka.publish(upstream(BusinessDayClosed(business_date=day, closed_at=closed_at)))
        await self.kafka.publish(upstream(ClockTicked(at=closed_at + timedelta(hours=3))))

    async def wait_for_messages(self, purpose: str, borrowers: int) -> None:
        """Until `borrowers` of ours were sent a message of `purpose` (some after their quiet hours)."""
        names = self.names

        def told(_: object) -> bool:
            sent = self.watcher.events("NotificationRequested", lambda e: e.loan_id in names and e.purpose.value == purpose)
            return len({event.loan_id for event in sent}) >= borrowers

        await self.watcher.wait_for(told)

    async def pay(self, name: str, amount: Money, on: date) -> None:
        loan = self.book[name]
        received_at = datetime(on.year, on.month, on.day, 2, tzinfo=UTC)
        payment = RepaymentReceived(
            loan_id=loan.loan_id, payment_id=f"DEMO-{uuid.uuid4()}", amount=amount, received_at=received_at, value_date=on
        )
        await self.kafka.publish(upstream(payment))
        say(name, f"{'RepaymentReceived':<25} {amount} on {on}")

    async def book_loans(self) -> None:
        print("\n1. An upstream loan system books three loans (CNY, 3 monthly installments).")
        operator = key_header(CallerSettings().service_key)  # TIDEOVER_SERVICE_KEY: make story provisions one
        for name, loan in self.book.items():
            await self.kafka.publish(upstream(loan))
            await wait_until_ok(f"{OVERDUE}/v1/loans/{loan.loan_id}/overdue-status", headers=operator)
            first = loan.installments[0]
            say(name, f"{'LoanBooked':<25} {loan.principal}, first {first.total} due {first.due_date}")

    async def remind_before_due(self) -> None:
        due = self.book["Li Na"].installments[0].due_date
        print(f"\n2. Business day {due - timedelta(days=3)} closes: pre-due reminders, 3 days ahead. Li Na pays early.")
        await self.close_day(due - timedelta(days=3))
        await self.wait_for_messages("pre_due_reminder", 3)
        self.show_new()
        await self.pay("Li Na", self.book["Li Na"].installments[0].total, due - timedelta(days=1))
        await asyncio.sleep(1.0)

    async def detect_overdue(self) -> None:
        overdue_day = self.book["Zhang Wei"].installments[0].due_date + timedelta(days=3)
        print(f"\n3. Business days close through {overdue_day}: unpaid loans are overdue from the day after the due date.")
        await self.close_day(overdue_day)
        await self.wait_for_messages("overdue_notice", 2)  # Zhang Wei and Emily Clark; Li Na paid
        self.show_new()

    async def negotiate(self) -> None:
        print("\n4. An agent takes Zhang Wei's hardship application through the intake API.")
        loan_id = self.book["Zhang Wei"].loan_id
        ours: Callable[[Any], bool] = lambda event: event.loan_id == loan_id  # noqa: E731
        key = await issue_key(RuntimeSettings().database_url, "agent-007", Role.AGENT)
        say("admin", "tideover-intake-keys create --agent-id agent-007 --role agent → a key for the agent")
        async with httpx.AsyncClient(base_url=INTAKE, timeout=10, headers={"X-API-Key": key}) as http:
            await wait_until_ok(f"{INTAKE}/v1/loans/{loan_id}", headers={"X-API-Key": key})
            submitted = await file_application(http, loan_id, "Laid off in January; new job from April.")
            path = f"/v1/applications/{submitted['application_id']}"
            say("agent", "POST /v1/applications     → draft")
            say("agent", "POST …/evidence           → the unemployment certificate (PDF), then …/review → verified")
            say("agent", f"POST …/submit             → {submitted['state']}")
            offer = await self.watcher.wait_for_event("PlanOffered", ours)
            self.show_new()
            await wait_until_ok(f"{INTAKE}{path}", accept=lambda r: r.json()["state"] == "offered", headers={"X-API-Key": key})
            choice = {"offer_id": str(offer.offer_id), "option_id": offer.recommended_option_id}
            say("agent", f"POST …/choice             → {(await http.post(path + '/choice', json=choice)).json()['state']}")
            say("agent", f"POST …/sending            → {(await http.post(path + '/sending')).json()['state']}")
            sms = await self.watcher.wait_for_event(
                "NotificationRequested", lambda e: ours(e) and e.purpose.value == "written_plan"
            )
            self.show_new()
            code = re.search(r"(\d{6})", sms.body)
            assert code is not None
            say("borrower", f"reads the code {code.group(1)} in the SMS and gives it on the recorded call")
            confirmed = (await http.post(path + "/confirmation", json={"code": code.group(1)})).json()
            say("agent", f"POST …/confirmation       → {confirmed['state']}")

    async def pay_first_plan_installment(self) -> None:
        print("\n5. The plan is activated; Zhang Wei pays its first month (its line and any regular installment beside it).")
        loan_id = self.book["Zhang Wei"].loan_id
        activated = await self.watcher.wait_for_event("PlanActivated", lambda e: e.loan_id == loan_id)
        self.show_new()
        await asyncio.sleep(1.0)  # repayment-tracking takes the plan in before the money arrives
        first_month = activated.months()[0]
        await self.pay("Zhang Wei", first_month.total, first_month.line.due_date)
        await self.watcher.wait_for_event("PlanInstallmentPaid", lambda e: e.loan_id == loan_id)
        self.show_new()


async def last_closed_day(servers: str, prefix: str) -> date | None:
    """The last business day on `ops.clock.v1`, as the scheduler that owns the clock sees it:
    a demo run again books its loans after it, since closed days are never reopened."""
    async with TopicWatcher(servers, ["ops.clock.v1"], prefix) as clock:
        await asyncio.sleep(2.0)
        days = [event.business_date for event in clock.events("BusinessDayClosed")]
    return max(days, default=None)


async def main() -> None:
    settings = RuntimeSettings()
    servers, prefix = settings.kafka_bootstrap_servers, settings.topic_prefix
    last_closed = await last_closed_day(servers, prefix)
    booked_on = FIRST_BOOKING if last_closed is None else max(FIRST_BOOKING, last_closed + timedelta(days=1))
    async with KafkaTestClient(servers, prefix) as kafka, TopicWatcher(servers, SERVICE_OUTPUT_TOPICS, prefix) as watcher:
        demo = Demo(kafka, watcher, borrowers(booked_on))
        await demo.book_loans()
        await demo.remind_before_due()
        await demo.detect_overdue()
        await demo.negotiate()
        await demo.pay_first_plan_installment()
        noticed = {
            event.loan_id for event in watcher.events("NotificationRequested", lambda e: e.purpose.value == "overdue_notice")
        }
    quiet = [name for name, loan in demo.book.items() if loan.loan_id not in noticed]
    print(f"\nDone. Never sent an overdue notice: {', '.join(quiet) or 'nobody'}.")
    print("Service logs are in var/log/; `make down` stops everything.\n")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except TimeoutError:
        sys.exit("demo: a step did not complete in time; see var/log/*.log")
