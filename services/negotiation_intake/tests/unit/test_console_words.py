"""The console says everything in both languages: every key a template or a page asks for is in
each locale file, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from negotiation_intake.entrypoints.console import i18n
from negotiation_intake.entrypoints.console.pages import Approval

CONSOLE = Path(i18n.__file__).parent
ASKED = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']""")
#: A word completed by what the supervisor approves: t("approve_" ~ item.approval).
BY_APPROVAL = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+_)["']\s*~\s*[A-Za-z_.]*\bapproval\s*\)""")


def asked_for() -> set[str]:
    sources = [*CONSOLE.glob("templates/*.html"), *CONSOLE.glob("*.py")]
    return {key for path in sources for key in ASKED.findall(path.read_text(encoding="utf-8"))}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_templates_ask_for_words() -> None:
    assert len(asked_for()) > 50


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_word_asked_for_is_there(language: str) -> None:
    words = set(i18n.messages(language))
    # A key ending in "_" is completed at render time (t("state_" ~ state)): its family must exist.
    missing = {key for key in asked_for() if not (any(w.startswith(key) for w in words) if key.endswith("_") else key in words)}
    assert not missing, f"{language} lacks {sorted(missing)}"


def test_both_languages_have_the_same_words_and_placeholders() -> None:
    english, chinese = i18n.messages("en"), i18n.messages("zh-CN")
    assert set(english) == set(chinese)
    differing = [key for key in english if placeholders(english[key]) != placeholders(chinese[key])]
    assert not differing, differing


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_word_completed_by_an_approval_is_there_for_each_approval(language: str) -> None:
    families = {key for path in CONSOLE.glob("templates/*.html") for key in BY_APPROVAL.findall(path.read_text("utf-8"))}
    assert families >= {"awaiting_approval_help_", "approve_"}
    words = i18n.messages(language)
    missing = sorted(family + approval for family in families for approval in Approval if family + approval not in words)
    assert not missing, f"{language} lacks {missing}"
