"""What the contact log keeps of a message: its one-time code masked (DESIGN.md §5: a secret is
never stored or shown in clear after it is sent). The message the gateway delivers carries the
code; the log says that one was sent, not which."""

from __future__ import annotations

import re

MASK = "******"


def masked(text: str | None, code: str | None) -> str | None:
    """`text` with every occurrence of `code` masked, written whole ("123456") or spoken digit by
    digit ("1 2 3 4 5 6", the voice call's)."""
    if not text or not code:
        return text
    return re.sub(r"\s*".join(map(re.escape, code)), MASK, text)
