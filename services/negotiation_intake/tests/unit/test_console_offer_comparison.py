"""The application page's offer comparison (issue 20, findings 2, 3, 4 and 8): the months of every
option add up to what it says the borrower pays from now on; the recommended option and those
within the agent's authority and affordable come first, the rest folded; every option has a name
of its own and a button that says what it chooses; a supervisor's refusal is shown, not a
"Chosen" badge; after an action the outcome is said where the focus lands."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest

from negotiation_intake.application.ports import LedgerUnavailableError
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.changes import Outcome
from negotiation_intake.entrypoints.console import offer_comparison
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.offer_comparison import LoanSchedule, offer_view
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from negotiation_intake.entrypoints.console.status_message import SAVED, status_after
from tideover_contracts.common import ContinuingInstallment, PlanInstallmentLine, WaivedAmounts
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.overdue import OverdueSnapshot
from tideover_contracts.events.plans import PlanOffered, PlanOption
from tideover_contracts.examples import golden_events
from tideover_contracts.money import Money


def cny(amount: str | Decimal) -> Money:
    return Money.of(amount, "CNY")


GOLDEN: PlanOffered = next(event for event in golden_events() if type(event) is PlanOffered)
ARREARS = GOLDEN.options[0]  # arrears-3, recommended, beside installment 3 (1,045.00 on 2026-04-15)
#: The loan's regular installments after installment 3: the arrears plan leaves them running.
LATER = (
    ARREARS.continuing_installments[0],
    ContinuingInstallment(sequence=4, due_date=date(2026, 7, 15), amount=cny("1045.00")),
    ContinuingInstallment(sequence=5, due_date=date(2026, 8, 15), amount=cny("1045.00")),
)
#: The same, live from overdue-detection's ledger; and as intake's copy of the last overdue status.
LIVE = LoanSchedule(LATER)
COPIED = LoanSchedule(LATER, "copy", "2026-06-10")


WAIVED = WaivedAmounts(penalty=cny("0.00"), interest=cny("22.50"), fee=cny("0.00"), total=cny("22.50"))


def extension(option_id: str, totals: list[str], *, affordable: bool = True, supervisor: bool = False) -> PlanOption:
    zero = cny("0.00")
    lines = tuple(
        PlanInstallmentLine(
            sequence=index,
            due_date=date(2026, 3 + index, 15) if index < 10 else date(2027, index - 9, 15),
            principal=cny(total),
            interest=zero,
            penalty=zero,
            fee=zero,
            total=cny(total),
        )
        for index, total in enumerate(totals, start=1)
    )
    return ARREARS.model_copy(
        update={
            "option_id": option_id,
            "kind": OptionKind.TERM_EXTENSION,
            "effect": PlanEffect.RESCHEDULE,
            "months": len(lines),
            "schedule": lines,
            "total_payable": cny(sum((Decimal(total) for total in totals), start=Decimal(0))),
            "affordable": affordable,
            "needs_supervisor": supervisor,
            "continuing_installments": (),
        }
    )


OFFER = GOLDEN.model_copy(
    update={
        "options": (
            extension("extension-equal-principal-6", ["900.00"] * 3 + ["800.00"] * 3, affordable=False),
            extension("extension-6", ["850.00"] * 6),
            ARREARS.model_copy(update={"option_id": "waiver-arrears-3-supervisor", "needs_supervisor": True, "waived": WAIVED}),
            ARREARS,
        )
    }
)


def application(state: str = "offered", **changes: Any) -> dict[str, Any]:
    money = {"amount": "9000.00", "currency": "CNY"}
    return {
        "application_id": str(uuid.uuid4()),
        "loan_id": str(uuid.uuid4()),
        "state": state,
        "reason": "unemployment",
        "description": "Laid off",
        "monthly_income": money,
        "essential_expenses": money,
        "agent_id": "agent-1",
        "version": 3,
        "offer_id": str(OFFER.offer_id),
        "option_id": None,
        "approved_by": None,
        "approval_note": None,
        "code_tries_left": None,
        "rejection": None,
        **changes,
    }


def render(app: dict[str, Any], lang: str = "en", flash: str | None = None, schedule: LoanSchedule | None = LIVE) -> str:
    return TEMPLATES.get_template("application.html").render(
        t=Words(lang),
        lang=lang,
        base=PREFIX,
        agent=None,
        may_work=True,
        may_approve=False,
        may_audit=False,
        csrf="token",
        here="/",
        flash=flash,
        application=app,
        documents=[],
        offer=offer_view(OFFER, app, schedule),
        kinds=[],
        errors={},
        values={},
        waiting=False,
        approval="plan",
        allowed=["choose", "decline", "withdraw"] if app["state"] == "offered" else [],
    )


class Options(HTMLParser):
    """Each option card's data, the months inside it, its Choose button and whether it is folded."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[dict[str, Any]] = []
        self.folded = False
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "details" and found.get("class") == "more-options":
            self.folded = True
        if "data-option-id" in found:
            self.options.append({**found, "months": [], "buttons": [], "folded": self.folded})
            self.inside = True
        elif "data-month-amount" in found:
            self.options[-1]["months"].append(Decimal(found["data-month-amount"] or ""))
        elif tag == "button" and self.inside:
            self.options[-1]["buttons"].append(found.get("aria-label"))

    def handle_endtag(self, tag: str) -> None:
        self.inside = self.inside and tag != "article"


def options_of(html: str) -> list[dict[str, Any]]:
    parser = Options()
    parser.feed(html)
    return parser.options


def test_every_options_months_add_up_to_what_it_pays_from_now_on_regular_installments_included() -> None:
    options = {option["data-option-id"]: option for option in options_of(render(application()))}

    assert set(options) == {option.option_id for option in OFFER.options}
    for option in options.values():
        assert sum(option["months"], start=Decimal(0)) == Decimal(option["data-total-from-now"])
        assert max(option["months"]) == Decimal(option["data-pays-per-month"])
    arrears = options["arrears-3"]
    # The plan's 1,045.00 and the loan's installments 3 (beside the first month), 4 and 5 (after).
    assert arrears["months"] == [Decimal("1393.33"), Decimal("348.33"), Decimal("348.34"), Decimal("1045.00"), Decimal("1045.00")]
    assert options["extension-6"]["data-total-from-now"] == "5100.00"
    html = unescape(render(application()))
    assert "plan CN¥348.33 + regular installments CN¥1,045.00" in html
    assert "CN¥1,045.00</strong> <small>(regular installment, after the plan)" in html


def test_the_share_of_disposable_income_is_the_offers_own_of_the_largest_month() -> None:
    """Plan-calculation writes the share of the largest month by the contracts' rule
    (tideover_contracts.outflow): the golden offer's 1,393.33 of 3,000.00 is 0.4645, rounded up. The
    console shows the share as the offer states it, whatever it is."""
    stated = ARREARS.model_copy(update={"payment_to_disposable_income": Decimal("0.6967"), "affordable": False})
    card = offer_view(GOLDEN.model_copy(update={"options": (stated,)}), application(), LIVE)["shown"][0]  # the recommended

    assert (card["pays_per_month"]["amount"], card["percent"], card["affordable"]) == ("1393.33", Decimal("69.67"), False)
    assert "46.45% of disposable income" in unescape(render(application()))  # the golden offer's own figure


def test_without_the_loans_schedule_the_total_says_what_it_leaves_out() -> None:
    options = {option["data-option-id"]: option for option in options_of(render(application(), schedule=None))}

    assert options["arrears-3"]["data-total-from-now"] == "2090.00"
    assert options["arrears-3"]["data-regular-installments"] == "unknown"
    assert "data-regular-installments" not in options["extension-6"]  # an extension replaces them
    assert "Regular installments after the plan not included" in render(application(), schedule=None)
    assert "未含方案结束后的正常月供" in render(application(), "zh-CN", schedule=None)
    assert "Regular installments after the plan not included" not in render(application())


def test_regular_installments_from_intakes_copy_are_said_to_be_the_copy_on_each_arrears_card() -> None:
    """Overdue detection did not answer: the arrears options count the installments of intake's
    copy of the last overdue status, and say so with its date; the extensions count none."""
    english, chinese = render(application(), schedule=COPIED), render(application(), "zh-CN", schedule=COPIED)
    options = {option["data-option-id"]: option for option in options_of(english)}

    assert options["arrears-3"]["data-total-from-now"] == options_of(render(application()))[0]["data-total-from-now"]
    assert options["arrears-3"]["data-regular-installments"] == "copy"
    assert "data-regular-installments" not in options["extension-6"]
    said = (
        "Regular installments from intake's copy of the loan's schedule, as of Jun 10, 2026: overdue detection is not answering"
    )
    assert unescape(english).count(said) == 2  # the two arrears options, none of the extensions
    assert unescape(chinese).count("正常月供取自受理系统保存的还款计划副本（截至 2026年6月10日）") == 2
    live = render(application())
    assert {option["data-regular-installments"] for option in options_of(live) if "data-regular-installments" in option} == {
        "ledger"
    }
    assert "intake's copy" not in unescape(live)


def test_the_recommended_option_comes_first_and_what_needs_a_supervisor_or_is_unaffordable_is_folded() -> None:
    html = render(application())
    options = options_of(html)

    assert [(option["data-option-id"], option["folded"]) for option in options] == [
        ("arrears-3", False),
        ("extension-6", False),
        ("waiver-arrears-3-supervisor", True),
        ("extension-equal-principal-6", True),
    ]
    assert "Show all 4 options (2 more: a supervisor needed or not affordable)" in unescape(html)
    # The policy lets the borrower choose an unaffordable option (intake and plan-calculation do
    # not refuse it): it keeps its Choose, folded.
    assert all(len(option["buttons"]) == 1 for option in options)


def test_every_option_is_named_apart_and_its_button_says_what_it_chooses() -> None:
    options = options_of(unescape(render(application())))
    labels = [option["buttons"][0] for option in options]

    assert len(set(labels)) == len(labels)
    assert "Choose: 6-month extension, equal payments, pays CN¥850.00 a month" in labels
    assert "Choose: 6-month extension, equal principal (payments fall), pays CN¥900.00 a month" in labels
    assert "Choose: Arrears over 3 months, regular installments continue, pays CN¥1,393.33 a month" in labels
    waiver = "Choose: Arrears over 3 months, regular installments continue, CN¥22.50 waived, needs a supervisor, pays"
    assert any(label.startswith(waiver) for label in labels)
    assert not any("arrears-3" in label or "extension-6" in label for label in labels)
    chinese = [option["buttons"][0] for option in options_of(unescape(render(application(), lang="zh-CN")))]
    assert "选择：6期展期（等额本金，月供递减），每月最多还款¥900.00" in chinese
    assert not [label for label in chinese if re.search(r"[a-z]_[a-z]", label)]


def test_a_refused_option_is_shown_refused_with_the_supervisors_note_and_not_chosen() -> None:
    refused = application(option_id="waiver-arrears-3-supervisor", approval_note="Income proof is a year old")
    html = render(refused)
    option = next(option for option in options_of(html) if option["data-option-id"] == "waiver-arrears-3-supervisor")

    assert not option["folded"]
    assert 'class="badge chosen"' not in html
    assert "Refused by a supervisor" in html
    assert "A supervisor refused the option chosen" in html
    assert "Income proof is a year old" in html
    # It takes the focus as a status message does (console.js: the first [data-refusal]).
    assert '<div class="refusal" id="approval-refusal" role="alert" tabindex="-1" data-refusal>' in html


def test_an_option_awaiting_approval_is_chosen_and_not_refused() -> None:
    waiting = application("awaiting_approval", option_id="waiver-arrears-3-supervisor")
    html = render(waiting)

    assert html.count('class="badge chosen"') == 1
    assert "Refused by a supervisor" not in html


def test_after_an_action_the_outcome_is_said_where_the_focus_lands() -> None:
    html = render(application("awaiting_approval"), flash=status_after(Outcome(200, {"state": State.AWAITING_APPROVAL.value})))

    said = '<p class="flash" id="status-message" role="status" tabindex="-1">Option chosen: waiting for a supervisor'
    assert said in html
    assert 'id="status-message"' not in render(application())


@pytest.mark.parametrize(
    ("state", "key"),
    [("chosen", "status_after_chosen"), ("sent", "status_after_sent"), ("draft", "status_after_draft"), ("nonsense", SAVED)],
)
def test_the_status_message_is_the_state_the_action_left(state: str, key: str) -> None:
    assert status_after(Outcome(201, {"state": state})) == key


SNAPSHOT = next(event for event in golden_events() if isinstance(event, OverdueSnapshot))


class Ledger:
    def __init__(self, position: Any) -> None:
        self.answer = position

    async def position(self, loan_id: uuid.UUID) -> Any:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Store:
    """Intake's copy of the loan: its last overdue status."""

    async def loan(self, loan_id: uuid.UUID) -> Any:
        return SimpleNamespace(snapshot=SNAPSHOT.model_dump(mode="json"))


LEDGER_SCHEDULE = (SNAPSHOT.remaining_schedule[2],)


@pytest.mark.parametrize(
    ("ledger", "found"),
    [
        (SimpleNamespace(under_plan=False, remaining_schedule=LEDGER_SCHEDULE), ([3], "ledger", None)),  # the book of record
        # Intake's copy of the last overdue status, as of its business date.
        (LedgerUnavailableError("down"), ([1, 2, 3], "copy", SNAPSHOT.business_date.isoformat())),
        (SimpleNamespace(under_plan=True, remaining_schedule=LEDGER_SCHEDULE), None),  # the plan's schedule: not known
    ],
    ids=["ledger", "copy", "under-plan"],
)
async def test_the_loans_regular_installments_come_from_the_ledger_else_intakes_copy(
    monkeypatch: pytest.MonkeyPatch, ledger: Any, found: tuple[list[int], str, str | None] | None
) -> None:
    monkeypatch.setattr(offer_comparison, "configured_ledger", lambda: Ledger(ledger))

    copy = await Store().loan(SNAPSHOT.loan_id)
    schedule = await offer_comparison.loan_schedule(SNAPSHOT.loan_id, copy)

    assert (
        None if schedule is None else ([item.sequence for item in schedule.installments], schedule.source, schedule.as_of)
    ) == found


def test_a_payment_holiday_says_why_it_is_affordable_beside_its_share_of_income() -> None:
    """The policy judges a holiday on its holiday months (DESIGN.md §4): the card says so rather
    than "Affordable" beside a largest month far above the income."""
    holiday = extension("holiday-3-extension-6", ["0.00"] * 3 + ["1563.18"] * 2).model_copy(
        update={"needs_supervisor": True, "payment_to_disposable_income": Decimal("0.7816")}  # 1,563.18 / 2,000.00, rounded up
    )
    card = offer_view(GOLDEN.model_copy(update={"options": (holiday,)}), application(), LIVE)["folded"][0]
    html = TEMPLATES.get_template("_offer_comparison.html").render(
        t=Words("en"),
        lang="en",
        base=PREFIX,
        csrf="token",
        may_work=False,
        allowed=[],
        application=application(),
        offer={"shown": [card], "folded": [], "count": 1, "refused": False, "offer_id": "x", "disposable_income": None},
    )

    assert (card["name_key"], card["percent"]) == ("name_holiday", Decimal("78.16"))
    assert "3-month payment holiday, then 2 months" in unescape(html)
    assert "Affordable now: nothing to pay for 3 months" in unescape(html)


@pytest.mark.parametrize("option_id", ["waiver", "waiver-supervisor"])
def test_a_waiver_on_its_own_is_named_so_whatever_its_id(option_id: str) -> None:
    waiver = ARREARS.model_copy(update={"option_id": option_id, "kind": OptionKind.WAIVER, "months": 1})
    assert offer_comparison.option_name(waiver) == ("name_waiver_alone", {"months": 1})


def test_a_plan_closed_with_its_loan_is_said_in_words() -> None:
    for language in ("en", "zh-CN"):
        assert Words(language)("plan_closed") != "plan_closed"


def test_nothing_waived_is_nothing_in_any_currencys_decimals() -> None:
    assert Words.nothing({"amount": "0", "currency": "JPY"})
    assert Words.nothing({"amount": "0.00", "currency": "CNY"})
    assert not Words.nothing({"amount": "0.01", "currency": "CNY"})
