"""What the page says after a console action (issue 20, finding 8): the outcome, by the state the
application is left in, shown in `#status-message` (base.html), which takes the focus (console.js)."""

from __future__ import annotations

from negotiation_intake.entrypoints import changes
from negotiation_intake.entrypoints.console.i18n import messages

PREFIX = "status_after_"
#: After an action that leaves the state as it was (evidence uploaded or reviewed).
SAVED = "status_after_saved"
#: After a new application is opened.
OPENED = "status_after_opened"


def status_after(outcome: changes.Outcome) -> str:
    """The words' key of what `outcome` came to: waiting for a supervisor, the plan sent, ..."""
    state = outcome.application.state.value if outcome.application else outcome.body.get("state")
    key = f"{PREFIX}{state}"
    return key if key in messages("en") else SAVED
