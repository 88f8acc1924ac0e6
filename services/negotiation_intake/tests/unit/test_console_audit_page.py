"""The audit log says in words what each entry did, by whom and from which state to which
(issue 20: no raw code in the console's text), in both languages."""

from __future__ import annotations

import re
from html import unescape

import pytest

from negotiation_intake.domain.application_state import State
from negotiation_intake.entrypoints.console.i18n import Words
from negotiation_intake.entrypoints.console.rendering import PREFIX, TEMPLATES
from tideover_contracts.events.negotiation import ConfirmationChannel

#: Every action the service audits (entrypoints/routes, console/actions.py, decisions.py, forms.py).
ACTIONS = [
    "open_application",
    "upload_evidence",
    "review_evidence",
    "submit",
    "choose",
    "approve",
    "refuse_approval",
    "send_written_plan",
    "decline",
    "withdraw",
    *(f"confirm_via_{via.value}" for via in ConfirmationChannel),
]


def render(lang: str) -> str:
    entries = [
        {
            "id": number,
            "at": "2027-06-20T02:00:00+00:00",
            "agent_id": "agent-042",
            "role": "agent",
            "action": action,
            "path": "/console/applications/1/choice",
            "status": 303,
            "before": {"state": State.OFFERED.value},
            "after": {"state": State.AWAITING_APPROVAL.value},
        }
        for number, action in enumerate(ACTIONS, 1)
    ]
    return TEMPLATES.get_template("audit.html").render(
        t=Words(lang), lang=lang, base=PREFIX, agent=None, csrf="token", here="/", flash=None, entries=entries, after=None
    )


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_audited_action_role_and_state_is_said_in_words(lang: str) -> None:
    text = re.sub(r"<[^>]+>", " ", unescape(render(lang)))
    assert re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text) == []
    if lang == "en":
        assert "Chose an option" in text
        assert "offered → awaiting approval" in text
        assert "agent-042 (agent)" in text
    else:
        assert "选择方案" in text
        assert "录音电话中确认" in text
