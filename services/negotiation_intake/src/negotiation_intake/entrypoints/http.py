"""The agents' HTTP API (v1). Errors are RFC 9457 problem+json naming the field or the rule.

Every request but the borrower's confirmation carries an agent's API key (`X-API-Key`): no or
an unknown key → 401, a role without the right → 403 (domain/access.py); an approval by the
agent who opened the application or chose the option → 403 `four_eyes`. Every POST may carry
an `Idempotency-Key` (a repeat returns the first response; the same key with another body →
422). Mutations of an application may carry `If-Match` with its ETag (stale → 412). Every
mutating request is written to the audit log with the application before and after.
The routes are in entrypoints/routes, by resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware import Middleware

from negotiation_intake.adapters import refusals
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints.borrower_page.need_help import MAX_FILES
from negotiation_intake.entrypoints.door import Door
from negotiation_intake.entrypoints.routes import reading, supervision, work
from negotiation_intake.entrypoints.routes.common import JSON_BODY_BYTES, KEY_HEADER, UPLOAD_BODY_BYTES, caller
from negotiation_intake.entrypoints.too_large import page_too_large
from tideover_runtime.service import Resources

__all__ = ["JSON_BODY_BYTES", "OPEN_PATHS", "UPLOAD_BODY_BYTES", "add_routes", "body_limit"]

#: Where an agent uploads one document: the API and the console.
UPLOAD_PATH = re.compile(r"/(?:v1|console)/applications/[^/]+/evidence")
#: Where a borrower sends the hardship form with its proofs (borrower_page/help_page.py).
BORROWER_HELP_PATH = "/b/help"
BORROWER_HELP_BODY_BYTES = MAX_FILES * MAX_BYTES + 64 * 1024


def body_limit(method: str, path: str) -> int:
    """The most bytes a request's body may have, the API's, the console's and the borrower's page
    alike (the door refuses more, 413): one document's upload, the borrower's form with its proofs,
    else 64 KiB."""
    if method == "POST" and UPLOAD_PATH.fullmatch(path):
        return UPLOAD_BODY_BYTES
    if method == "POST" and path == BORROWER_HELP_PATH:
        return BORROWER_HELP_BODY_BYTES
    return JSON_BODY_BYTES


#: Routes that take no API key: the borrower's, where the one-time code is the credential.
OPEN_PATHS = frozenset({"/v1/borrower/confirmations"})


def add_routes(app: FastAPI, resources: Callable[[], Resources], refusal_log: refusals.RefusalLog | None = None) -> None:
    """The API's routes behind its door (entrypoints/door.py), which keeps refused requests in
    `refusal_log` (by default bounded as adapters/refusals.py says)."""
    app.state.intake_resources = resources
    for routes in (reading, work, supervision):
        app.include_router(routes.router)
    # Innermost of the middleware (appended, where add_middleware would put it outermost): its
    # own 401 gets the headers every answer carries.
    door = Middleware(
        Door,
        authenticate=lambda request: caller(request, request.headers.get(KEY_HEADER.model.name)),
        refusals=refusal_log or refusals.RefusalLog(resources),
        clock=lambda: resources().clock,
        body_limit=body_limit,
        open_paths=OPEN_PATHS,
        too_large=page_too_large,
    )
    app.user_middleware.append(door)
