"""What the contact log keeps of a message: the secrets it carried masked (DESIGN.md §5: a secret
is never stored or shown in clear after it is sent): a written plan's one-time code, and the
token of the borrower's link (application/links.py). The message the gateway delivers carries
them; the log says that one was sent, not which."""

from __future__ import annotations

import re

from tideover_contracts.common import Channel

MASK = "******"


def masked(text: str | None, *secrets: str | None) -> str | None:
    """`text` with every occurrence of each of `secrets` masked, written whole ("123456") or
    spoken character by character ("1 2 3 4 5 6", the voice call's code). The longest first: a
    code that happens to be written inside a link's token must not leave the rest of it in clear."""
    if not text:
        return text
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = re.sub(r"\s*".join(map(re.escape, secret)), MASK, text)
    return text


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
