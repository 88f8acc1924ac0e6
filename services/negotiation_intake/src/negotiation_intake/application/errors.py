"""Why a command is refused: the entrypoints answer each with its own problem document."""

from __future__ import annotations

import uuid

from negotiation_intake.domain.access import FOUR_EYES
from negotiation_intake.domain.one_at_a_time import SecondNegotiation


class NotFoundError(Exception):
    pass


class ConflictError(Exception):
    """The request is well-formed but the state of the loan or application refuses it."""


class OneAtATimeError(ConflictError):
    """The loan already has an application open or a plan in force (DESIGN.md §3a)."""

    def __init__(self, refusal: SecondNegotiation) -> None:
        super().__init__(refusal.message)
        self.rule = refusal.rule
        self.names = refusal.names


class RuleError(Exception):
    """A policy rule refuses the request (e.g. proof is missing); names the rule, and the field
    of the request it refuses when it is one field's."""

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field


class FourEyesError(Exception):
    """The approver opened the application or chose the option (maker-checker): 403."""

    rule = FOUR_EYES


class TooManyTriesError(Exception):
    """Too many refused tries in a while (a rate limit, 429): names the rule, and in how many
    seconds the caller may try again."""

    def __init__(self, rule: str, message: str, retry_after: int, application_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.retry_after = retry_after
        self.application_id = application_id


class StaleVersionError(Exception):
    """If-Match named another version than the application's current one."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the application is at version {current}; fetch it again and retry")
        self.current = current
