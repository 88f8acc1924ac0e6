"""How long an SMS is: the segments of a concatenated SMS (3GPP TS 23.038 and 23.040).

A text in the GSM 7-bit default alphabet takes 160 characters in one SMS, 153 a segment when
concatenated (a character of the extension table counts twice); any other text is sent as
UCS-2: 70 UTF-16 code units in one SMS, 67 a segment. Carriers and gateways commonly cap a long
SMS at about 10 segments: what notification sends stays within `MAX_SEGMENTS`.
"""

from __future__ import annotations

from math import ceil

MAX_SEGMENTS = 10
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def segments(text: str) -> int:
    """How many segments `text` takes as one SMS."""
    if all(character in GSM7_BASIC or character in GSM7_EXTENSION for character in text):
        septets = len(text) + sum(character in GSM7_EXTENSION for character in text)
        return 1 if septets <= 160 else ceil(septets / 153)
    code_units = len(text.encode("utf-16-le")) // 2
    return 1 if code_units <= 70 else ceil(code_units / 67)


def fits(text: str) -> bool:
    """Whether `text` goes as one SMS of at most `MAX_SEGMENTS` segments."""
    return segments(text) <= MAX_SEGMENTS
