"""What the borrower's link (issue 21) costs an SMS (domain/sms.py): the link at the default page
address is 64 characters (24 of address, a 40-character token), all in the GSM-7 alphabet, so an
en SMS stays GSM-7 (153 characters a segment) while a Chinese one, UCS-2 (67 a segment), takes
about one segment more. Pinned here for the golden messages, for a CN borrower and a US one (whose
SMS ends with the opt-out line); the written plan's longest SMS is held to 10 segments by
test_written_plan_sms.py (which renders it with the link) and, for a longer page address, below.
Every character of the page address (TIDEOVER_BORROWER_PAGE_URL) is in every such SMS: one of 42
characters (18 more than the default) costs a notice a segment more at most, never more than 3.

Segments of the golden SMS with the link (before it, in brackets):

| purpose                   | zh-Hans / zh-Hant CN | US    | en CN | US    |
|---------------------------|----------------------|-------|-------|-------|
| overdue notice            | 3 (2)                | 3 (2) | 2 (2) | 2 (2) |
| plan installment reminder | 2 (1)                | 3 (2) | 2 (1) | 2 (2) |
| written plan              | 9 (8)                | 9 (8) | 8 (8) | 9 (8) |
"""

from __future__ import annotations

import pytest

from notification.adapters.templates import render
from notification.application.links import BorrowerLinks
from notification.application.message_facts import facts_for
from notification.domain.sms import MAX_SEGMENTS, segments
from tideover_contracts.common import Channel, Jurisdiction, Language
from tideover_contracts.events.notifications import Purpose
from tideover_contracts.examples import LOAN_ID
from tideover_runtime.borrower_links import LinkSettings

from .renderings import FACTS, TIME_ZONES, rendered
from .signed_links import BORROWER_ID, LINK, MADE_AT, with_link
from .test_written_plan_sms import LONGEST
from .written_plans import CASES, GSM7, TERMS, Case

CN, US = Jurisdiction.CN, Jurisdiction.US
ZH_HANS, ZH_HANT, EN = Language.ZH_HANS, Language.ZH_HANT, Language.EN
#: Segments of each golden SMS with the link: {(purpose, language, jurisdiction): segments}.
SEGMENTS = {
    **{(Purpose.OVERDUE_NOTICE, language, where): 3 for language in (ZH_HANS, ZH_HANT) for where in (CN, US)},
    (Purpose.OVERDUE_NOTICE, EN, CN): 2,
    (Purpose.OVERDUE_NOTICE, EN, US): 2,
    **{(Purpose.PLAN_INSTALLMENT_REMINDER, language, CN): 2 for language in (ZH_HANS, ZH_HANT)},
    **{(Purpose.PLAN_INSTALLMENT_REMINDER, language, US): 3 for language in (ZH_HANS, ZH_HANT)},
    (Purpose.PLAN_INSTALLMENT_REMINDER, EN, CN): 2,
    (Purpose.PLAN_INSTALLMENT_REMINDER, EN, US): 2,
    **{(Purpose.WRITTEN_PLAN, language, where): 9 for language in (ZH_HANS, ZH_HANT) for where in (CN, US)},
    (Purpose.WRITTEN_PLAN, EN, CN): 8,
    (Purpose.WRITTEN_PLAN, EN, US): 9,
}
#: A page address longer than most a lender would choose (42 characters, 18 more than the default).
LONG_PAGE = "https://borrowers.lender-example.com.cn/b/"
LONG_LINKS = BorrowerLinks(LinkSettings.model_construct(borrower_page_url=LONG_PAGE), b"s" * 32)


@pytest.mark.parametrize(("purpose", "language", "jurisdiction"), list(SEGMENTS))
def test_the_golden_sms_with_its_link_takes_these_segments(
    purpose: Purpose, language: Language, jurisdiction: Jurisdiction
) -> None:
    body = rendered(purpose, Channel.SMS, language, jurisdiction).body

    assert LINK[purpose].url in body
    assert segments(body) == SEGMENTS[purpose, language, jurisdiction]
    if language is EN:
        assert set(body) <= GSM7  # the link keeps an en SMS in the GSM-7 alphabet


@pytest.mark.parametrize(("purpose", "language", "jurisdiction"), list(SEGMENTS))
def test_a_longer_page_address_costs_at_most_a_segment_more(
    purpose: Purpose, language: Language, jurisdiction: Jurisdiction
) -> None:
    link = LONG_LINKS.sign(LOAN_ID, BORROWER_ID, MADE_AT[purpose])
    facts = with_link(purpose, Channel.SMS, FACTS[purpose], link)

    body = render(purpose, Channel.SMS, language, jurisdiction, TIME_ZONES[jurisdiction], facts).body

    assert link.url in body
    assert len(link.url) == 82
    assert SEGMENTS[purpose, language, jurisdiction] <= segments(body) <= SEGMENTS[purpose, language, jurisdiction] + 1
    if purpose is not Purpose.WRITTEN_PLAN:
        assert segments(body) <= 3


@pytest.mark.parametrize("jurisdiction", list(Jurisdiction))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("case", [*CASES, *LONGEST], ids=lambda case: case.name)
def test_the_longest_written_plans_stay_within_ten_segments_with_a_longer_page_address(
    case: Case, language: Language, jurisdiction: Jurisdiction
) -> None:
    _, facts = facts_for(case.event(), terms=TERMS)
    link = LONG_LINKS.sign(LOAN_ID, BORROWER_ID, MADE_AT[Purpose.WRITTEN_PLAN])
    facts = with_link(Purpose.WRITTEN_PLAN, Channel.SMS, facts, link)

    body = render(Purpose.WRITTEN_PLAN, Channel.SMS, language, jurisdiction, "Asia/Shanghai", facts).body

    assert link.url in body
    assert segments(body) <= MAX_SEGMENTS
