"""Crash injection for the reliability tests (TIDEOVER_FAULT=<point>:<event type>).

Points: `kill-before-commit` (SIGKILL after handling, before the database commit) and
`kill-after-commit` (after the commit, before the Kafka offset commit). Never set in production.
"""

from __future__ import annotations

import os
import signal


class FaultInjector:
    def __init__(self, spec: str) -> None:
        point, _, event_type = spec.partition(":")
        self._point = point
        self._event_type = event_type

    def maybe_crash(self, point: str, event_type: str) -> None:
        if self._point == point and self._event_type == event_type:
            os.kill(os.getpid(), signal.SIGKILL)
