"""How many segments an SMS takes (domain/sms.py): GSM-7 160 in one, 153 a segment; UCS-2 70
in one, 67 a segment; a GSM-7 extension character counts twice."""

from __future__ import annotations

import pytest

from notification.domain.sms import MAX_SEGMENTS, fits, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # 160 septets
        ("€" * 81, 2),
        ("还" * 70, 1),
        ("還" * 71, 2),
        ("还" * 134, 2),
        ("还" * 135, 3),
        ("a" * 159 + "还", 3),  # one character outside GSM-7 makes the whole text UCS-2
        ("😀" * 35, 1),  # two UTF-16 code units each
        ("😀" * 36, 2),
    ],
)
def test_segments(text: str, expected: int) -> None:
    assert segments(text) == expected


def test_at_most_ten_segments_fit() -> None:
    assert MAX_SEGMENTS == 10
    assert fits("还" * 670)
    assert not fits("还" * 671)
    assert fits("a" * 1530)
    assert not fits("a" * 1531)
