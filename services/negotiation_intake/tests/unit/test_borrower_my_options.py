"""*My options* on the borrower's page as it renders (issue 21): the recommended option first with
why, then those the borrower can afford, cheapest first, the rest folded under "show all"; each
with its monthly amount, months, total, what is waived and on what condition, and a chart; the
figures are the console's (one outflow rule); a choose button per option only while a choice may
be made; the code for a waiting choice; where the application stands without an offer — in
zh-CN, zh-Hant and en, without a raw code."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.borrower_page import i18n
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.my_options import MOST_SHOWN, STAGE, MyOptions, my_options
from negotiation_intake.entrypoints.borrower_page.options_page import section_context
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, TEMPLATES
from negotiation_intake.entrypoints.console.comparison import option_cost
from negotiation_intake.entrypoints.console.offer_comparison import offer_view
from tideover_testkit.console import raw_codes

from .intake_world import World
from .test_borrower_page_rendering import text_of, visit_of
from .test_console_offer_comparison import COPIED, LIVE, OFFER, extension

OPTION = re.compile(r'<article class="card option[^"]*"[^>]*data-option-id="([^"]+)"')


async def offered(state: State = State.OFFERED, **changes: Any) -> tuple[Any, Application]:
    world = World()
    application, _ = await world.offered()
    loan = await world.store.loan(application.loan_id)
    return loan, replace(application, state=state, offer_id=OFFER.offer_id, **changes)


def body_of(application: Application) -> dict[str, Any]:
    return {
        "state": application.state.value,
        "offer_id": str(application.offer_id) if application.offer_id else None,
        "option_id": application.option_id,
        "approval_note": application.approval_note,
        "approved_by": application.approved_by,
    }


def view_of(application: Application, waiting: str | None = None) -> MyOptions:
    return my_options(application, offer_view(OFFER, body_of(application), LIVE), waiting)


def rendered(loan: Any, application: Application | None, view: MyOptions, language: str = "en", **said: Any) -> str:
    words = Words(language)
    context = section_context(visit_of(loan, [application] if application else []), words, view)
    return TEMPLATES.get_template("my_options.html").render(t=words, lang=language, base=PREFIX, **context, **said)


class TestTheOrder:
    async def test_recommended_first_then_affordable_by_total_then_the_rest_folded(self) -> None:
        _, application = await offered()
        view = view_of(application)
        assert [card["option_id"] for card in view.shown] == ["arrears-3", "waiver-arrears-3-supervisor", "extension-6"]
        assert [card["option_id"] for card in view.folded] == ["extension-equal-principal-6"]
        totals = [Decimal(card["total_from_now"]["amount"]) for card in view.shown[1:]]
        assert totals == sorted(totals)

    async def test_at_most_four_are_shown_at_first_the_borrowers_own_choice_among_them(self) -> None:
        many = OFFER.model_copy(
            update={"options": (*OFFER.options, *(extension(f"extension-{n}", ["100.00"] * n) for n in (7, 8, 9, 10)))}
        )
        _, application = await offered(State.SENT, option_id="extension-10")
        view = my_options(application, offer_view(many, body_of(application), LIVE))
        assert len(view.shown) == MOST_SHOWN
        assert [card["option_id"] for card in view.shown[:2]] == ["arrears-3", "extension-10"]
        assert len(view.shown) + len(view.folded) == len(many.options)
        assert {card["option_id"] for card in view.shown}.isdisjoint(card["option_id"] for card in view.folded)

    async def test_the_charts_shown_together_share_one_scale_the_largest_month_among_them(self) -> None:
        _, application = await offered()
        view = view_of(application)
        heights = [Decimal(bar.height) for card in view.shown for bar in card["bars"]]
        assert max(heights) == Decimal("56.0")  # the tallest of the shown months fills the chart
        for card in view.shown:
            assert len(card["bars"]) == len(card["month_list"])

    async def test_an_option_needing_a_supervisor_is_shown_where_its_affordability_puts_it(self) -> None:
        loan, application = await offered()
        html = rendered(loan, application, view_of(application))
        card = html.split('data-option-id="waiver-arrears-3-supervisor"', 1)[1].split("</article>", 1)[0]
        assert "A supervisor reviews this choice before we send you the plan." in text_of("<body>" + card)

    async def test_the_figures_are_the_console_s_by_the_one_outflow_rule(self) -> None:
        loan, application = await offered()
        html = rendered(loan, application, view_of(application))
        for option in OFFER.options:
            cost = option_cost(option, OFFER.basis_business_date, LIVE.installments)
            card = html.split(f'data-option-id="{option.option_id}"', 1)[1].split("</article>", 1)[0]
            assert f'data-pays-per-month="{cost.pays_per_month}"' in card
            assert f'data-total-from-now="{cost.total_from_now}"' in card
            months = [Decimal(amount) for amount in re.findall(r'data-month-amount="([^"]+)"', card)]
            assert sum(months) == cost.total_from_now
            assert max(months) >= cost.pays_per_month


class TestTheCards:
    @pytest.mark.parametrize("language", i18n.LANGUAGES)
    async def test_every_card_in_words_with_why_waived_and_a_chart(self, language: str) -> None:
        loan, application = await offered()
        html = rendered(loan, application, view_of(application), language)
        text = text_of(html)
        assert raw_codes(text, language) == []
        assert OPTION.findall(html)[0] == "arrears-3"
        assert html.count("<svg") == len(OFFER.options)
        recommended = html.split('data-option-id="arrears-3"', 1)[1].split("</article>", 1)[0]
        assert Words(language)("option_why") in recommended
        waiver = html.split('data-option-id="waiver-arrears-3-supervisor"', 1)[1].split("</article>", 1)[0]
        assert 'data-waived="22.50"' in waiver
        assert Words(language).money({"amount": "22.50", "currency": "CNY"}) in text_of("<body>" + waiver)
        assert '<details class="more-options"' in html

    async def test_each_option_has_a_choose_button_naming_it_while_a_choice_may_be_made(self) -> None:
        loan, application = await offered()
        html = rendered(loan, application, view_of(application))
        assert html.count('action="/b/options/choose"') == len(OFFER.options)
        assert html.count('name="csrf" value="form-token"') >= len(OFFER.options)
        labels = re.findall(r'aria-label="(Choose this option: [^"]+)"', html)
        assert len(set(labels)) == len(OFFER.options)

    async def test_awaiting_a_supervisor_nothing_may_be_chosen_and_it_says_so(self) -> None:
        loan, application = await offered(State.AWAITING_APPROVAL, option_id="waiver-arrears-3-supervisor")
        html = rendered(loan, application, view_of(application))
        assert 'action="/b/options/choose"' not in html
        assert "A supervisor reviews it" in text_of(html)

    async def test_sent_the_chosen_option_points_to_my_plan_and_another_may_be_chosen(self) -> None:
        loan, application = await offered(State.SENT, option_id="extension-6")
        html = rendered(loan, application, view_of(application))
        assert 'data-application-state="sent"' in html
        assert html.count('action="/b/options/choose"') == len(OFFER.options) - 1

    async def test_a_waiting_choice_asks_for_its_code(self) -> None:
        loan, application = await offered()
        html = rendered(loan, application, view_of(application, waiting="extension-6"))
        assert 'action="/b/options/code"' in html
        assert 'autocomplete="one-time-code"' in html
        assert 'action="/b/options/choose"' not in html


class TestWhatTheBorrowerIsTold:
    async def test_regular_installments_from_intakes_copy_are_said_to_be_as_of_its_date(self) -> None:
        loan, application = await offered()
        view = my_options(application, offer_view(OFFER, body_of(application), COPIED))
        html = rendered(loan, application, view)
        arrears = html.split('data-option-id="arrears-3"', 1)[1].split("</article>", 1)[0]
        assert "data-regular-from-copy" in arrears
        assert "June 10, 2026" in text_of("<body>" + arrears)
        assert "data-regular-from-copy" not in rendered(loan, application, view_of(application))

    async def test_a_supervisors_refusal_is_said_without_their_internal_note(self) -> None:
        loan, application = await offered(option_id="extension-6", approval_note="Income doubtful, check payslips")
        html = rendered(loan, application, view_of(application))
        assert 'data-application-state="refused"' in html
        assert "Income doubtful" not in html


class TestWithoutAnOffer:
    @pytest.mark.parametrize("state", list(STAGE))
    @pytest.mark.parametrize("language", i18n.LANGUAGES)
    async def test_the_section_says_where_the_application_stands(self, state: State, language: str) -> None:
        loan, application = await offered(state)
        view = my_options(application, None)
        html = rendered(loan, application, view, language)
        assert f'data-stage="{STAGE[state]}"' in html
        assert Words(language)(STAGE[state]) in text_of(html)
        assert raw_codes(text_of(html), language) == []

    async def test_with_no_application_it_points_to_i_need_help(self) -> None:
        loan, _ = await offered()
        html = rendered(loan, None, my_options(None, None))
        assert 'data-stage="options_stage_none"' in html

    async def test_the_section_is_in_the_navigation(self) -> None:
        loan, application = await offered()
        html = rendered(loan, application, view_of(application))
        assert f'href="{PREFIX}/options" aria-current="page"' in html


def test_a_choice_s_words_exist_in_every_language() -> None:
    for language in i18n.LANGUAGES:
        for key in ("options_plan_sent", "options_waiting_approval", "options_code_sent", "options_not_possible"):
            assert i18n.messages(language)[key]
