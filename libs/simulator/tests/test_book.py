"""The synthetic loan book: a share of the borrowers in China read Traditional Chinese."""

from __future__ import annotations

from datetime import date

from tideover_contracts.common import Language, Locale
from tideover_simulator.book import loan_book


def test_one_in_ten_borrowers_in_china_reads_traditional_chinese_and_the_rest_their_locales_language() -> None:
    contacts = [borrower.loan.borrower for borrower in loan_book(seed=7, loans=400, first_day=date(2026, 1, 5))]
    in_china = [contact for contact in contacts if contact.locale is Locale.ZH_CN]

    traditional = [contact for contact in in_china if contact.written_in is Language.ZH_HANT]

    assert 0.05 * len(in_china) < len(traditional) < 0.15 * len(in_china)
    assert {contact.written_in for contact in in_china} == {Language.ZH_HANS, Language.ZH_HANT}
    assert {contact.written_in for contact in contacts if contact.locale is Locale.EN} == {Language.EN}
