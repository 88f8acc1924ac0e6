"""The borrower's own confirmation of the written plan (POST /v1/borrower/confirmations). No API
key: the one-time code is the credential, so the endpoint gives a guesser nothing to go on
(issue 17, L1):

- refused tries are limited per application and per client address (domain/borrower_limits.py):
  beyond a limit, 429 with Retry-After, whatever the code;
- every refusal is the same answer, whether the application does not exist, is in another state,
  or the code is wrong, locked or expired; the right code answers only that the plan is accepted;
- Idempotency-Keys are the borrower's of that application alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from negotiation_intake.adapters import borrower_tries
from negotiation_intake.application.errors import TooManyTriesError
from negotiation_intake.application.ports import Agent
from negotiation_intake.application.written_plan import confirm_by_borrower
from negotiation_intake.domain.access import Role
from negotiation_intake.domain.application import Application
from negotiation_intake.domain.borrower_limits import PER_APPLICATION, PER_CLIENT
from negotiation_intake.entrypoints.changes import Handler, Work
from tideover_runtime.http import problem_body

#: The one answer to a try that does not confirm a plan, for whatever reason.
NOT_CONFIRMED: dict[str, Any] = problem_body(
    422,
    "Not confirmed",
    "the code does not confirm a written plan of this application: check it, or ask for the plan to be sent again",
    rule="confirmation_code",
)


def borrower_of(application_id: uuid.UUID) -> Agent:
    """The borrower of the application as a caller: `changes.perform` scopes Idempotency-Keys by
    the caller's key id, so one borrower's keys neither replay nor block another's."""
    return Agent(agent_id="borrower", role=Role.AGENT, key_id=f"borrower:{application_id}")


def confirming_by_borrower(application_id: uuid.UUID, code: str, client: str) -> Handler:
    limits = [(PER_APPLICATION, str(application_id)), (PER_CLIENT, client)]

    async def handler(work: Work) -> tuple[int, dict[str, Any], Application | None]:
        if exceeded := await borrower_tries.count_try(work.connection, limits):
            wait = exceeded.retry_after_seconds
            message = f"too many tries that confirmed nothing; try again in {wait} seconds"
            raise TooManyTriesError(exceeded.limit.scope, message, wait, application_id)
        accepted, application = await confirm_by_borrower(
            work.store, work.outbox, work.clock, application_id, code, work.code_secret
        )
        if not accepted:
            return 422, dict(NOT_CONFIRMED), application
        await borrower_tries.forgive_try(work.connection, limits)
        return 200, {"application_id": str(application_id), "state": "accepted"}, application

    return handler
