"""What the template tests render (test_templates*.py): the golden events and their facts, rendered
for a borrower of each jurisdiction, and how amounts, waivers and days read in each language."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TypeVar

from notification.adapters.templates import Rendered, render
from notification.application.links import carries_link
from notification.application.message_facts import Facts, NoMessageForEventError, facts_for
from notification.application.ports import LedgerStatus
from tideover_contracts.common import Channel, Jurisdiction, Language, WaivedAmounts
from tideover_contracts.envelope import Event
from tideover_contracts.events.loans import LoanClosed, LoanClosureReason
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.events.plans import PlanRejected, RejectionReason
from tideover_contracts.events.tracking import PlanBroken
from tideover_contracts.examples import OFFER_ID, golden_events
from tideover_contracts.money import Money

from .signed_links import with_link
from .written_plans import CHINESE

EventT = TypeVar("EventT", bound=Event)
GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("TIDEOVER_UPDATE_GOLDEN") == "1"
TIME_ZONES = {Jurisdiction.CN: "Asia/Shanghai", Jurisdiction.US: "America/New_York"}
#: What overdue detection's ledger reports as it undoes the golden broken plan on 18 June (the
#: OverdueStatusChanged with reason plan_broken; PlanBroken itself carries neither figure): 34
#: days past due, and the plan's unpaid 696.67 with 15.73 penalty overdue in all.
BROKEN_PLAN_DAYS_PAST_DUE = 34
LEDGER_AFTER_BREAK = LedgerStatus(date(2026, 6, 18), BROKEN_PLAN_DAYS_PAST_DUE, Money.of("712.40", "CNY"))
#: Template versions above 1: plan_broken v2 states the ledger's overdue total; written_plan v2
#: states every term of the plan in every channel (test_written_plan.py); its SMS, push and call
#: v3 tell months due on the last day of shorter months in one run, and the SMS a schedule too
#: long for it compactly. The text of every message that carries the borrower's link (issue 21)
#: is one version up: the overdue notice's and the plan installment reminder's v2, the written
#: plan's SMS and push v4 and its e-mail v3 (application/links.py).
VERSIONS = {Purpose.PLAN_BROKEN: 2, Purpose.WRITTEN_PLAN: 2}
V3 = {(Purpose.WRITTEN_PLAN, channel) for channel in (Channel.SMS, Channel.PUSH, Channel.VOICE_CALL)}


def version(purpose: Purpose, channel: Channel) -> int:
    before = 3 if (purpose, channel) in V3 else VERSIONS.get(purpose, 1)
    return before + 1 if carries_link(purpose, channel) else before


#: The file key of each language: zh-Hans keeps the name its files had before languages were
#: named (zh-CN), so the contact log names the same text the same way.
KEY = {Language.ZH_HANS: "zh-CN", Language.ZH_HANT: "zh-Hant", Language.EN: "en"}
OPT_OUT = {
    (Channel.SMS, Language.EN): "Reply STOP to opt out.",
    (Channel.SMS, Language.ZH_HANS): "回复STOP退订。",
    (Channel.SMS, Language.ZH_HANT): "回覆STOP退訂。",
    (
        Channel.EMAIL,
        Language.EN,
    ): "To stop receiving e-mails from Tideover about this loan, reply to this e-mail with the word UNSUBSCRIBE.",
    (Channel.EMAIL, Language.ZH_HANS): "如不希望再收到Tideover关于本贷款的电子邮件，请回复本邮件并注明“UNSUBSCRIBE”。",
    (Channel.EMAIL, Language.ZH_HANT): "如不希望再收到Tideover關於本貸款的電子郵件，請回覆本郵件並註明「UNSUBSCRIBE」。",
}


def golden_event(kind: type[EventT]) -> EventT:
    return next(event for event in golden_events() if isinstance(event, kind) and type(event) is kind)


def facts_of(event: Event) -> Facts:
    return facts_for(event, ledger=LEDGER_AFTER_BREAK if isinstance(event, PlanBroken) else None)[1]


def told_events() -> list[Event]:
    """The golden events, and two that are told: the golden PlanRejected refuses an application
    and the golden LoanClosed closes a loan paid off, neither of which a message tells; refused
    as an acceptance (the loan cured meanwhile) and closed as sold, they are."""
    rejected = golden_event(PlanRejected)
    refused = rejected.model_copy(
        update={"offer_id": OFFER_ID, "reasons": (RejectionReason(code="loan_cured", message="cured on 2026-04-20"),)}
    )
    sold = golden_event(LoanClosed).model_copy(
        update={"reason": LoanClosureReason.SOLD, "assignee": "Acme Asset Management, 400-000-0000"}
    )
    return [*golden_events(), refused, sold]


def golden_facts() -> dict[Purpose, Facts]:
    """The facts of the first told event of each purpose."""
    facts: dict[Purpose, Facts] = {}
    for event in told_events():
        try:
            purpose, _ = facts_for(event)
        except NoMessageForEventError:
            continue
        facts.setdefault(purpose, facts_of(event))
    return facts


FACTS = golden_facts()


def rendered(
    purpose: Purpose,
    channel: Channel,
    language: Language,
    jurisdiction: Jurisdiction = Jurisdiction.CN,
    facts: Facts | None = None,
) -> Rendered:
    chosen = with_link(purpose, channel, FACTS[purpose] if facts is None else facts)
    return render(purpose, channel, language, jurisdiction, TIME_ZONES[jurisdiction], chosen)


def text(message: Rendered) -> str:
    return f"{message.subject}\n{message.body}" if message.subject else message.body


def money(amount: str, language: Language) -> str:
    return f"¥{amount}" if language in CHINESE else f"CNY {amount}"


def days_overdue(days: int, language: Language) -> str:
    if language in CHINESE:
        return f"逾期{days}天"
    return f"{days} day overdue" if days == 1 else f"{days} days overdue"


def waived(penalty: str, interest: str) -> WaivedAmounts:
    zero = Money.of("0.00", "CNY")
    penalty_money, interest_money = Money.of(penalty, "CNY"), Money.of(interest, "CNY")
    return WaivedAmounts(penalty=penalty_money, interest=interest_money, fee=zero, total=penalty_money + interest_money)
