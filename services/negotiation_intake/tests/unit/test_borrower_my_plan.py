"""*My plan* on the borrower's page as it renders (issue 21): the written plan the borrower was sent,
with every term the written plan states, in zh-CN, zh-Hant and en, amounts and dates as each
language writes them and no raw code; the form to confirm it and its one refusal; the plan
accepted; then the plan's progress as repayment-tracking reports it — the months paid, the next
month, what is left — a missed month, a broken, completed or closed plan in words; and which of
them the section shows, on intake's fakes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from negotiation_intake.domain.application import Application, LoanView
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.borrower_page import i18n
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.my_plan import MyPlan, PlanTerms, asks_tracking, my_plan, shows_my_plan
from negotiation_intake.entrypoints.borrower_page.plan_page import entered_code, section_context
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, TEMPLATES
from tideover_contracts.common import WaivedAmounts
from tideover_contracts.events.negotiation import OptionKind, PlanEffect
from tideover_contracts.events.plans import PlanOffered
from tideover_contracts.policy import HOW_TO_PAY, PlanRules
from tideover_testkit.console import raw_codes

from .intake_world import World, cny
from .test_borrower_page_rendering import overdue_status, text_of, visit_of

RULES = PlanRules()
TERMS = PlanTerms(RULES, HOW_TO_PAY)


@dataclass(frozen=True)
class Sent:
    """A written plan sent (intake_world: the golden offer's `arrears-3`, a regular installment
    beside its first month): its loan, its application, its offer and the code sent."""

    loan: LoanView
    application: Application
    offer: PlanOffered
    code: str


async def sent_plan(**option: Any) -> Sent:
    world = World()
    application, code = await world.sent()
    loan = await world.store.loan(application.loan_id)
    [offer] = await world.store.offers(application.application_id)
    assert loan is not None
    if option:
        offer = offer.model_copy(update={"options": (offer.options[0].model_copy(update=option),)})
    return Sent(loan, application, offer, code)


def rendered(view: MyPlan, loan: LoanView, language: str, applications: Sequence[Application] = (), **said: Any) -> str:
    words = Words(language)
    context = section_context(visit_of(loan, applications), words, view, RULES, HOW_TO_PAY)
    return TEMPLATES.get_template("my_plan.html").render(t=words, lang=language, base=PREFIX, **context, **said)


def written_view(sent: Sent, language: str = "en") -> MyPlan:
    return my_plan(sent.loan, sent.application, sent.offer, None, TERMS, Words(language).written_in)


def progress_page(loan: LoanView, upstream: dict[str, Any], language: str = "en") -> str:
    """The section of a loan with no written plan of its own, repayment-tracking answering `upstream`."""
    return rendered(my_plan(loan, None, None, upstream, TERMS, Words(language).written_in), loan, language)


def month(sequence: int, due: str, amount: str, left: str, status: str) -> dict[str, Any]:
    """A month as repayment-tracking's query API answers it."""
    paid = str(Decimal(amount) - Decimal(left))
    return {
        "sequence": sequence,
        "due_date": due,
        "amount": cny_wire(amount),
        "paid": cny_wire(paid),
        "left": cny_wire(left),
        "status": status,
    }


def cny_wire(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def tracked(status: str = "active", months: Sequence[dict[str, Any]] = (), **changes: Any) -> dict[str, Any]:
    """repayment-tracking's GET /v1/loans/{id}/plans for one plan, as the console's Upstream hands it on."""
    months = months or (
        month(1, "2027-07-18", "1393.33", "0.00", "paid"),
        month(2, "2027-08-18", "348.33", "148.33", "partly_paid"),
        month(3, "2027-09-18", "348.34", "348.34", "due"),
    )
    paid = sum((Decimal(item["paid"]["amount"]) for item in months), Decimal(0))
    plan = {
        "plan_id": str(uuid.uuid4()),
        "status": status,
        "activated_on": "2027-06-18",
        "ended_on": None,
        "judged_through": "2027-08-20",
        "installments": list(months),
        "paid": cny_wire(str(paid)),
        **changes,
    }
    return {"plans": {"plans": [plan]}, "overdue": overdue_status()}


class TestTheWrittenPlan:
    @pytest.mark.parametrize(
        ("language", "first", "regular", "due", "terms"),
        [
            (
                "en",
                "CNY 1,393.33",
                "Regular installment 3, due April 15, 2026: CNY 1,045.00",
                "April 15, 2026",
                [
                    "on March 15, 2026 in 3 monthly installments",
                    "Total payable under the plan CNY 1,045.00",
                    "Total to pay during the plan CNY 2,090.00",
                    "Principal CNY 333.33, Interest CNY 15.00",
                    "Nothing is waived under this plan.",
                    "0% a year. The plan adds no interest",
                    "3 days after its due date, more than CNY 10.00 or 1% of its amount",
                    "no penalty interest accrues on your loan for as long as the plan is in force",
                    "The plan ends if 2 months are missed at the same time",
                    "stays unpaid 30 days after its due date",
                    "valid for 24 hours, until March 3, 2026 at 6:00 PM (China Standard Time); after 5 wrong tries",
                ],
            ),
            (
                "zh-CN",
                "¥1,393.33",
                "常规月供第3期，2026年4月15日到期：¥1,045.00",
                "2026年4月15日",
                [
                    "截至2026年3月15日的逾期欠款分3期按月偿还",
                    "方案应还总额 ¥1,045.00",
                    "方案期间合计应还 ¥2,090.00",
                    "本金¥333.33，利息¥15.00",
                    "本方案不减免任何款项。",
                    "年利率0%",
                    "每期到期3天后，仍未还金额超过¥10.00或该期金额的1%",
                    "方案有效期间您的贷款暂停计收罚息",
                    "如同时有2期逾期未还",
                    "到期满30天仍未还",
                    "验证码24小时内有效，有效期至2026年3月3日 18:00（中国标准时间）；输错5次后即失效",
                ],
            ),
            (
                "zh-Hant",
                "¥1,393.33",
                "原定月付金第3期，2026年4月15日到期：¥1,045.00",
                "2026年4月15日",
                [
                    "截至2026年3月15日的逾期欠款分3期按月償還",
                    "方案應還總額 ¥1,045.00",
                    "方案期間合計應還 ¥2,090.00",
                    "本金¥333.33，利息¥15.00",
                    "本方案不減免任何款項。",
                    "年利率0%",
                    "每期到期3天後，仍未還金額超過¥10.00或該期金額的1%",
                    "方案有效期間您的貸款暫停計收罰息",
                    "如同時有2期逾期未還",
                    "到期滿30天仍未還",
                    "驗證碼24小時內有效，有效期限至2026年3月3日 18:00（中國標準時間）；輸錯5次後即失效",
                ],
            ),
        ],
    )
    async def test_every_term_in_each_language(self, language: str, first: str, regular: str, due: str, terms: list[str]) -> None:
        sent = await sent_plan()
        html = rendered(written_view(sent, language), sent.loan, language, [sent.application])
        text = text_of(html)

        months = sent.offer.options[0]
        assert re.findall(r'data-month="(\d)" data-due="([\d-]+)" data-month-total="([\d.]+)"', html) == [
            ("1", "2026-04-15", "1393.33"),  # the plan's 348.33 and the regular installment beside it
            ("2", "2026-05-15", "348.33"),
            ("3", "2026-06-15", "348.34"),
        ]
        total_payable = Decimal(re.findall(r'data-total-payable="([\d.]+)"', html)[0])
        assert sum(line.total.amount for line in months.schedule) == total_payable
        for term in [first, regular, due, *terms, str(sent.loan.loan_id), HOW_TO_PAY[Words(language).written_in]]:
            assert term in text, term
        assert raw_codes(text, language) == []
        assert f'<html lang="{language}">' in html
        assert sent.code not in text  # the code is the borrower's to type, from the SMS

    async def test_the_form_confirms_with_the_code_and_the_session_form_token(self) -> None:
        sent = await sent_plan()
        html = rendered(written_view(sent), sent.loan, "en", [sent.application])
        form = html.split('<form method="post" action="/b/plan/confirmation"', 1)[1].split("</form>", 1)[0]

        assert '<input type="hidden" name="csrf" value="form-token">' in form
        assert re.search(r'name="once" value="[\w-]{20,}"', form)
        assert 'autocomplete="one-time-code"' in form
        assert 'inputmode="numeric"' in form
        assert '<label for="code">' in form
        assert 'aria-describedby="code-hint"' in form
        assert "aria-invalid" not in form
        assert 'role="alert"' not in html

    @pytest.mark.parametrize("error", ["not_confirmed", "code_format"])
    async def test_a_refusal_is_said_beside_the_field_which_is_empty(self, error: str) -> None:
        sent = await sent_plan()
        html = rendered(written_view(sent), sent.loan, "en", [sent.application], error=error)
        alert = re.search(r'<p class="refusal" id="code-error" role="alert"[^>]* autofocus data-refusal>([^<]+)</p>', html)

        assert alert is not None
        assert alert.group(1) == Words("en")(error)
        assert html.count('role="alert"') == 1
        assert 'aria-describedby="code-hint code-error" aria-invalid="true"' in html
        assert 'name="code" type="text"' in html
        assert not re.search(r'id="code"[^>]*value=', html)  # what was typed is never shown again

    async def test_a_conditional_waiver_and_what_a_break_does_to_it(self) -> None:
        waived = WaivedAmounts(penalty=cny("30.00"), interest=cny("12.00"), fee=cny("0.00"), total=cny("42.00"))
        sent = await sent_plan(waived=waived, waiver_conditional=True, kind=OptionKind.WAIVER_WITH_ARREARS_INSTALLMENTS)
        text = text_of(rendered(written_view(sent), sent.loan, "en", [sent.application]))

        assert "Waived: CNY 42.00 (Penalty interest CNY 30.00, Interest CNY 12.00)." in text
        assert "on condition that you keep to the plan: it becomes final when every installment is paid" in text
        assert "The waived CNY 42.00 becomes payable again." in text

    async def test_a_new_schedule_says_it_replaces_the_loans_and_its_rate(self) -> None:
        sent = await sent_plan(kind=OptionKind.TERM_EXTENSION, effect=PlanEffect.RESCHEDULE, plan_rate=Decimal("0.072"))
        html = rendered(written_view(sent), sent.loan, "en", [sent.application])
        text = text_of(html)

        assert "The plan replaces the whole remaining schedule of your loan" in text
        assert "7.2% a year, on the principal the plan repays." in text
        assert "Regular installment" not in text  # a new schedule has none beside it
        assert "data-regular-total" not in html

    async def test_once_accepted_the_plan_is_shown_as_accepted_without_a_form(self) -> None:
        sent = await sent_plan()
        accepted = replace(sent.application, state=State.ACCEPTED)
        view = my_plan(sent.loan, accepted, sent.offer, {"plans": {"plans": []}}, TERMS, Words("en").written_in)
        html = rendered(view, sent.loan, "en", [accepted], said="plan_confirmed")

        assert view.written is not None
        assert view.written.accepted
        assert 'data-accepted="yes"' in html
        assert "/plan/confirmation" not in html
        assert re.search(r'<p class="status" id="status-message" role="status" tabindex="-1" autofocus>You have confirmed', html)
        assert "Your plan, accepted" in text_of(html)


class TestTheProgress:
    @pytest.mark.parametrize(
        ("language", "paid", "next_month", "left", "status"),
        [
            (
                "en",
                "1 of 3",
                "CNY 148.33 still to pay of the CNY 348.33 due on August 18, 2027 (month 2)",
                "CNY 496.67",
                "Partly",
            ),
            ("zh-CN", "1/3期", "第2期：2027年8月18日应还¥348.33，尚欠¥148.33。", "¥496.67", "部分已还：尚欠¥148.33"),
            ("zh-Hant", "1/3期", "第2期：2027年8月18日應還¥348.33，尚欠¥148.33。", "¥496.67", "部分已還：尚欠¥148.33"),
        ],
    )
    async def test_months_paid_the_next_and_what_is_left_are_repayment_trackings(
        self, language: str, paid: str, next_month: str, left: str, status: str
    ) -> None:
        sent = await sent_plan()
        accepted = replace(sent.application, state=State.ACCEPTED, created_at=datetime(2027, 6, 16, tzinfo=UTC))
        view = my_plan(sent.loan, accepted, sent.offer, tracked(), TERMS, Words(language).written_in)
        html = rendered(view, sent.loan, language, [accepted])
        text = text_of(html)

        assert view.progress is not None
        assert 'data-months-paid="1" data-months="3"' in html
        assert 'data-next-due="2027-08-18" data-next-amount="348.33" data-next-left="148.33"' in html
        assert 'data-left="496.67"' in html  # 0.00 + 148.33 + 348.34, what tracking says is left on each
        assert 'data-paid="1593.33"' in html
        assert '<progress id="months-paid-bar" max="3" value="1">' in html
        for said in (paid, next_month, left, status):
            assert said in text, said
        assert raw_codes(text, language) == []

    async def test_a_missed_month_says_what_is_unpaid_and_when_the_plan_would_end(self) -> None:
        months = (month(1, "2027-07-18", "1393.33", "393.33", "missed"), month(2, "2027-08-18", "348.33", "348.33", "due"))
        text = text_of(progress_page((await sent_plan()).loan, tracked(months=months)))

        assert "A month is missed" in text
        assert "CNY 393.33 of month 1, due July 18, 2027, is still unpaid." in text
        assert "the plan ends if 2 months are missed at the same time, or if any amount stays unpaid 30 days" in text
        assert "Missed: CNY 393.33 unpaid" in text

    @pytest.mark.parametrize("language", i18n.LANGUAGES)
    async def test_a_broken_plan_says_so_and_what_happens_now(self, language: str) -> None:
        waived = WaivedAmounts(penalty=cny("30.00"), interest=cny("0.00"), fee=cny("0.00"), total=cny("30.00"))
        sent = await sent_plan(waived=waived, waiver_conditional=True)
        accepted = replace(sent.application, state=State.ACCEPTED, created_at=datetime(2027, 6, 17, tzinfo=UTC))
        upstream = tracked("broken", ended_on="2027-09-20")
        view = my_plan(sent.loan, accepted, sent.offer, upstream, TERMS, Words(language).written_in)
        html = rendered(view, sent.loan, language)
        text = text_of(html)
        words = Words(language)

        assert 'data-plan-status="broken"' in html
        assert words("broken_ended", date=words.day(date(2027, 9, 20))) in text
        assert words("broken_schedule") in text
        assert words("broken_waiver", amount=words.money(cny("30.00"))) in text
        assert words("broken_overdue", amount=words.money(cny_wire("1058.21"))) in text  # overdue-detection's, now
        assert f'<a href="{PREFIX}/">' in html
        assert "data-next-due" not in html  # no next month of a plan that ended
        assert words("plan_unpaid_title") in text
        assert words("plan_left_title") not in text
        assert raw_codes(text, language) == []

    async def test_a_completed_and_a_closed_plan(self) -> None:
        loan = (await sent_plan()).loan
        done = [month(1, "2027-07-18", "1393.33", "0.00", "paid")]
        completed = text_of(progress_page(loan, tracked("completed", done, ended_on="2027-07-18")))
        closed = text_of(progress_page(loan, tracked("closed", done, ended_on="2027-07-20")))

        assert "You completed your plan on July 18, 2027." in completed
        assert "Your loan was closed in our records on July 20, 2027, and the plan with it." in closed

    async def test_without_repayment_tracking_only_the_status_intake_heard(self) -> None:
        loan = replace((await sent_plan()).loan, plan_id=uuid.uuid4(), plan_status="active")
        view = my_plan(loan, None, None, {"plans": None, "overdue": None}, TERMS, Words("en").written_in)
        html = rendered(view, loan, "en")

        assert view.progress is not None
        assert not view.progress.available
        assert "Your plan is in force" in text_of(html)
        assert 'id="progress-unavailable"' in html
        assert "data-months-paid" not in html


class TestWhichPlanTheSectionShows:
    async def test_a_plan_to_confirm_needs_no_other_service(self) -> None:
        sent = await sent_plan()
        view = written_view(sent)
        assert view.written is not None
        assert not view.written.accepted
        assert view.progress is None
        assert not asks_tracking(sent.application)
        assert shows_my_plan(sent.loan, [sent.application])

    async def test_an_accepted_plan_until_a_plan_activated_since_its_application_is_heard_of(self) -> None:
        sent = await sent_plan()
        opened = datetime(2027, 6, 18, 9, tzinfo=UTC)
        accepted = replace(sent.application, state=State.ACCEPTED, created_at=opened)
        earlier = tracked("broken", activated_on="2027-01-10", ended_on="2027-03-20")  # a plan before this application

        def shown(upstream: dict[str, Any] | None, loan: LoanView = sent.loan) -> MyPlan:
            return my_plan(loan, accepted, sent.offer, upstream, TERMS, Words("en").written_in)

        assert shown({"plans": {"plans": []}}).written is not None
        assert shown(earlier).written is not None
        assert shown(tracked(activated_on="2027-06-18")).progress is not None
        assert shown(tracked(activated_on=(opened - timedelta(days=1)).date().isoformat())).progress is not None
        assert shown({"plans": None}).written is not None  # tracking silent, intake heard of no plan
        assert shown({"plans": None}, replace(sent.loan, plan_status="active")).progress is not None
        assert asks_tracking(accepted)

    async def test_a_refusal_with_nothing_to_confirm_is_said_all_the_same(self) -> None:
        sent = await sent_plan()
        html = rendered(MyPlan(), sent.loan, "en", error="not_confirmed")
        assert re.findall(r'role="alert"[^>]*>([^<]+)<', html) == [Words("en")("not_confirmed")]
        assert "/plan/confirmation" not in html

    async def test_nothing_to_show_and_the_navigation_hides_the_section(self) -> None:
        sent = await sent_plan()
        chosen = replace(sent.application, state=State.CHOSEN)
        view = my_plan(sent.loan, None, None, {"plans": {"plans": []}}, TERMS, Words("en").written_in)
        assert view == MyPlan()
        assert not shows_my_plan(sent.loan, [chosen])
        assert shows_my_plan(replace(sent.loan, plan_status="completed"), [chosen])
        assert "No repayment plan yet" in text_of(rendered(view, sent.loan, "en"))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("１２３４５６", "123456"),  # full-width digits, as a Chinese keyboard types them
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("١٢٣٤٥٦", None),  # digits, but not the code's
        ("", None),
    ],
)
def test_a_code_is_read_as_a_phone_types_it(typed: str, code: str | None) -> None:
    assert entered_code(typed) == code
