"""What the contact log keeps of a message: the secrets it carried masked (DESIGN.md §5: a secret
is never stored or shown in clear after it is sent): a written plan's one-time code, and the
token of the borrower's link (application/links.py). The message the gateway delivers carries
them; the log says that one was sent, not which."""

from __future__ import annotations

import re

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
