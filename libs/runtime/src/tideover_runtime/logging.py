"""JSON logs through structlog, with correlation_id, event_id and loan_id bound per message,
and phone numbers and names masked (DESIGN.md §5)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SENSITIVE_KEYS = frozenset({"name", "phone", "email", "address", "body", "confirmation_code"})
# Ten or more digits standing alone (E.164 with or without "+", a CN mobile number), also
# next to Chinese text or after "tel:"; dates, UUIDs and amounts do not match because of the
# digits, letters, hyphens or points around their digit runs.
_PHONE = re.compile(r"(?<![0-9A-Za-z\-.])\+?\d{10,15}(?![0-9A-Za-z\-.])")


def mask_phone(text: str) -> str:
    """Keep the first three and last two digits of anything that looks like a phone number."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]

    return _PHONE.sub(_mask, text)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_phone(value)
    if isinstance(value, dict):
        return {key: ("***" if key in _SENSITIVE_KEYS else _masked(item)) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item) for item in value]
    return value


def mask_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: names and contact data never reach a log line."""
    for key, value in list(event_dict.items()):
        event_dict[key] = "***" if key in _SENSITIVE_KEYS else _masked(value)
    return event_dict


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route structlog and the standard library (faststream, aiokafka, uvicorn) to JSON lines."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_personal_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
