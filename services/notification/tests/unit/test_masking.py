"""The contact log keeps a written plan with its one-time code masked (domain/masking.py,
DESIGN.md §5), in every channel and language: whole in a text, digit by digit in a call; and the
token of the borrower's link (application/links.py) masked in every message that carries one."""

from __future__ import annotations

import pytest

from notification.adapters.templates import render
from notification.application.links import carries_link
from notification.application.message_facts import facts_for
from notification.domain.masking import MASK, masked
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import golden_events

from .signed_links import LINK, with_link

CODE = "482915"


def test_the_code_is_masked_whole_and_spoken() -> None:
    assert masked("验证码482915，请勿告知他人", CODE) == "验证码******，请勿告知他人"
    assert masked("Your code is 4 8 2 9 1 5. Again: 4 8 2 9 1 5.", CODE) == "Your code is ******. Again: ******."
    assert masked("Pay ¥1,045.00 by 15 March 2026", CODE) == "Pay ¥1,045.00 by 15 March 2026"


def test_nothing_to_mask_leaves_the_text_as_it_is() -> None:
    assert masked("no code here", None) == "no code here"
    assert masked("no code here", None, None) == "no code here"
    assert masked(None, CODE) is None
    assert masked("", CODE) == ""


def test_a_links_token_is_masked_and_the_page_address_kept() -> None:
    link = LINK[Purpose.OVERDUE_NOTICE]
    text = f"可在 {link.url} 查看贷款"

    assert masked(text, CODE, link.token) == f"可在 {link.url.removesuffix(link.token)}{MASK} 查看贷款"


def test_a_code_written_inside_a_token_leaves_nothing_of_the_token_in_clear() -> None:
    token = "AQtcGi59Q0wemlM_b482915ChEHgovSJ3OZFKUHfN6"  # the code's digits, by chance, inside the token

    assert masked(f"验证码{CODE}，链接 http://x/b/{token} 输入", CODE, token) == f"验证码{MASK}，链接 http://x/b/{MASK} 输入"


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("language", list(Language))
def test_no_written_plan_keeps_its_code_or_its_links_token_in_the_log(channel: Channel, language: Language) -> None:
    sent = next(event for event in golden_events() if type(event) is PlanSentToBorrower)
    sent = sent.model_copy(update={"confirmation_code": CODE})
    _, facts = facts_for(sent)
    facts = with_link(Purpose.WRITTEN_PLAN, channel, facts)
    token = LINK[Purpose.WRITTEN_PLAN].token if carries_link(Purpose.WRITTEN_PLAN, channel) else None
    message = render(Purpose.WRITTEN_PLAN, channel, language, Jurisdiction.CN, "Asia/Shanghai", facts)
    spoken = " ".join(CODE)
    assert CODE in message.body or spoken in message.body  # what the borrower gets
    assert token is None or token in message.body

    logged = masked(message.body, CODE, token)
    assert logged is not None
    assert CODE not in logged
    assert spoken not in logged
    assert token is None or token not in logged
    assert MASK in logged
    assert masked(message.subject, CODE, token) == message.subject  # no subject states the code or the link
