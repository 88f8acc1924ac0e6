"""What the contact log keeps of a message: the secrets it carried masked (DESIGN.md §5: a secret
is never stored or shown in clear after it is sent): a written plan's one-time code, and the
token of the borrower's link (application/links.py). The message the gateway delivers carries
them; the log says that one was sent, not which."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from tideover_contracts.common import Channel

MASK = "******"
_WORD = re.compile(r"\S+")


def masked(text: str | None, *secrets: str | None) -> str | None:
    """`text` with every occurrence of each of `secrets` masked, written whole ("123456") or
    spoken character by character ("1 2 3 4 5 6", the voice call's code). The longest first: a
    code that happens to be written inside a link's token must not leave the rest of it in clear."""
    if not text:
        return text
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = _masked_once(text, secret)
    return text


def _masked_once(text: str, secret: str) -> str:
    """`text` with each occurrence of `secret`, white space allowed between its characters,
    masked: the occurrences of `secret` in `text` without its white space, left to right, each
    spanning from its first character to its last in `text` (what `re.sub` of the pattern
    ``s\\s*e\\s*c...`` does, without compiling a pattern for every link's token)."""
    if any(character.isspace() for character in secret):
        return re.sub(r"\s*".join(map(re.escape, secret)), MASK, text)
    words = [(word.start(), word.group()) for word in _WORD.finditer(text)]  # the runs of text without white space
    squeezed = "".join(word for _, word in words)
    found = squeezed.find(secret)
    if found < 0:
        return text
    starts = list(accumulate((len(word) for _, word in words[:-1]), initial=0))  # each run's start in `squeezed`

    def in_text(index: int) -> int:  # where the character at `index` of `squeezed` is in `text`
        run = bisect_right(starts, index) - 1
        return words[run][0] + index - starts[run]

    parts: list[str] = []
    done = 0
    while found >= 0:
        parts += [text[done : in_text(found)], MASK]
        done = in_text(found + len(secret) - 1) + 1
        found = squeezed.find(secret, found + len(secret))
    return "".join([*parts, text[done:]])


def masked_address(channel: Channel, address: str) -> str:
    """An address as the borrower's page shows it, enough to recognise it and no more: a phone's
    last four digits, an e-mail's first letter and domain; a push token not at all."""
    if channel in (Channel.SMS, Channel.VOICE_CALL):
        digits = "".join(c for c in address if c.isdigit())
        return "*" * max(0, len(digits) - 4) + digits[-4:]
    if channel is Channel.EMAIL:
        user, _, domain = address.partition("@")
        return f"{user[:1]}***@{domain}" if domain else "***"
    return ""
