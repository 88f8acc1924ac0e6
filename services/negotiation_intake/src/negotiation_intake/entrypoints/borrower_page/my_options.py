"""*My options* (issue 21): the current offer of the loan's application as the borrower compares
it — each option's monthly amount, months, total, what is waived and on what condition, a small
chart of its months — by the console's own cards (console/offer_comparison.py `offer_view`, so
that the borrower and the agent read the same figures, by the contracts' one outflow rule).

The borrower's order: the recommended option first, with why; then the others they can afford,
the cheapest in all first, MOST_SHOWN in all; the rest ("show all") folded. An option needing a supervisor is shown
where its affordability puts it, and says that a supervisor reviews the choice first. Without an
offer the section says where the application stands."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from negotiation_intake.domain.application import Application
from negotiation_intake.domain.application_state import Action, State, allowed_actions
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.console.charts import schedule_bars

#: Where the application stands when there is no offer to show, by its state: the words' key.
STAGE = {
    State.DRAFT: "options_stage_review",
    State.SUBMITTED: "options_stage_computing",
    State.REJECTED: "options_stage_rejected",
    State.ACCEPTED: "options_stage_accepted",
    State.DECLINED: "options_stage_closed",
    State.EXPIRED: "options_stage_closed",
    State.WITHDRAWN: "options_stage_closed",
}
#: The options shown at first: the recommended and the cheapest others the borrower can afford;
#: a dozen cards on a phone compare no better than four ("show all" opens the rest).
MOST_SHOWN = 4
#: The states in which the offer is shown.
WITH_OFFER = frozenset({State.OFFERED, State.CHOSEN, State.AWAITING_APPROVAL, State.SENT})


@dataclass(frozen=True)
class MyOptions:
    """The section: the application (None: none yet), where it stands without an offer (`stage`),
    the offer's cards in the borrower's order (`shown`, then `folded`), whether an option may be
    chosen now, and the option a pending choice waits a code for."""

    application: Application | None
    stage: str | None = None
    offer: dict[str, Any] | None = None
    shown: tuple[dict[str, Any], ...] = ()
    folded: tuple[dict[str, Any], ...] = ()
    may_choose: bool = False
    waiting_for: dict[str, Any] | None = None


def _order(card: dict[str, Any]) -> tuple[bool, bool, bool, Decimal]:
    """Recommended, then the borrower's own choice, then what they can afford, cheapest first."""
    return (not card["recommended"], not card["chosen"], not card["affordable"], Decimal(card["total_from_now"]["amount"]))


def my_options(application: Application | None, view: dict[str, Any] | None, waiting_option_id: str | None = None) -> MyOptions:
    """The section for the loan's latest `application` and the console's `view` of its current
    offer (offer_view; None when there is none); `waiting_option_id`: the option of a choice
    waiting for its code."""
    if application is None:
        return MyOptions(None, "options_stage_none")
    if application.state not in WITH_OFFER or view is None:
        return MyOptions(application, STAGE.get(application.state, "options_stage_computing"))
    cards = sorted([*view["shown"], *view["folded"]], key=_order)
    first = tuple(card for card in cards if card["recommended"] or card["affordable"] or card["chosen"])[:MOST_SHOWN]
    shown, folded = _charted(first), _charted(tuple(card for card in cards if card not in first))
    waiting = next((card for card in cards if card["option_id"] == waiting_option_id), None)
    may_choose = Action.CHOOSE in allowed_actions(application.state)
    return MyOptions(application, None, view, shown, folded, may_choose, waiting)


def _charted(cards: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    """The cards with their charts on one scale, the largest month among them: the options shown
    together compare at a glance, and one far larger month among the folded ones does not flatten
    them."""
    amounts = [Decimal(month["amount"]) for card in cards for month in card["month_list"]]
    largest = max(amounts, default=Decimal(0))
    return tuple({**card, "bars": schedule_bars([Decimal(m["amount"]) for m in card["month_list"]], largest)} for card in cards)


def option_title(card: dict[str, Any], words: Words) -> str:
    """The option's name as the borrower reads it: its shape and length, and what it waives."""
    title = words("option_" + card["name_key"], **card["name_values"])
    waived = card["waived"]["total"]
    return title if words.nothing(waived) else title + words("option_waived_suffix", amount=words.money(waived))


def explanation(card: dict[str, Any], words: Words) -> str:
    """Plan-calculation's explanation in the page's language (it writes zh-CN and en: Traditional
    Chinese reads the simplified text, as notification's zh-Hant messages fall back to it)."""
    texts: dict[str, str] = card["explanation"]
    return texts.get(words.language) or texts.get("zh-CN" if words.language == "zh-Hant" else "en") or texts.get("en", "")
