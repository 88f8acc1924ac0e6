"""Crash injection for the reliability tests: `python -m tideover_testkit.faults <service module>`
runs the service with TIDEOVER_FAULT=<point>:<event type>, which SIGKILLs the process at that
point of handling a message of that type (tideover_runtime.consumer.checkpoints:
`kill-before-commit`, `kill-after-commit`). ServiceProcess.start launches a service so when
TIDEOVER_FAULT is in its environment. The product carries none of this."""

from __future__ import annotations

import os
import runpy
import signal
import sys
from collections.abc import Callable

from tideover_runtime import consumer


def crash_at(spec: str) -> Callable[[str, str], None]:
    """A checkpoint that kills the process at `spec` (`<point>:<event type>`)."""
    point, _, event_type = spec.partition(":")

    def check(at: str, handled: str) -> None:
        if (at, handled) == (point, event_type):
            os.kill(os.getpid(), signal.SIGKILL)

    return check


def main() -> None:
    module = sys.argv[1]
    consumer.checkpoints.append(crash_at(os.environ["TIDEOVER_FAULT"]))
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
