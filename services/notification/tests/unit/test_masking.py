"""The contact log keeps a written plan with its one-time code masked (domain/masking.py,
DESIGN.md §5), in every channel and language: whole in a text, digit by digit in a call."""

from __future__ import annotations

import pytest

from notification.adapters.templates import render
from notification.application.message_facts import facts_for
from notification.domain.masking import MASK, masked
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.negotiation import PlanSentToBorrower
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import golden_events

CODE = "482915"


def test_the_code_is_masked_whole_and_spoken() -> None:
    assert masked("验证码482915，请勿告知他人", CODE) == "验证码******，请勿告知他人"
    assert masked("Your code is 4 8 2 9 1 5. Again: 4 8 2 9 1 5.", CODE) == "Your code is ******. Again: ******."
    assert masked("Pay ¥1,045.00 by 15 March 2026", CODE) == "Pay ¥1,045.00 by 15 March 2026"


def test_nothing_to_mask_leaves_the_text_as_it_is() -> None:
    assert masked("no code here", None) == "no code here"
    assert masked(None, CODE) is None
    assert masked("", CODE) == ""


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("language", list(Language))
def test_no_written_plan_keeps_its_code_in_the_log(channel: Channel, language: Language) -> None:
    sent = next(event for event in golden_events() if type(event) is PlanSentToBorrower)
    sent = sent.model_copy(update={"confirmation_code": CODE})
    _, facts = facts_for(sent)
    message = render(Purpose.WRITTEN_PLAN, channel, language, Jurisdiction.CN, "Asia/Shanghai", facts)
    spoken = " ".join(CODE)
    assert CODE in message.body or spoken in message.body  # what the borrower gets

    logged = masked(message.body, CODE)
    assert logged is not None
    assert CODE not in logged
    assert spoken not in logged
    assert MASK in logged
    assert masked(message.subject, CODE) == message.subject  # no subject states the code
