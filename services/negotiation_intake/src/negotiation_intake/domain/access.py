"""Who may do what in the agents' API: roles and the rights they grant."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Right(StrEnum):
    READ = "read"  # loans, applications, offers, evidence
    WORK = "work"  # open, upload, verify, submit, choose, send, confirm, decline, withdraw
    APPROVE = "approve"  # the supervisor queue: options beyond an agent's authority (deeper waivers, holidays)
    AUDIT = "audit"  # the audit log


#: Supervisors do agents' work too; admins manage keys (by the CLI) and read the audit log,
#: but take no part in negotiations.
GRANTS: dict[Role, frozenset[Right]] = {
    Role.AGENT: frozenset({Right.READ, Right.WORK}),
    Role.SUPERVISOR: frozenset({Right.READ, Right.WORK, Right.APPROVE, Right.AUDIT}),
    Role.ADMIN: frozenset({Right.READ, Right.AUDIT}),
}


#: Who acts on the borrower's page (application/borrower_help.py): the `agent_id` of what the
#: borrower does there themselves. No key may be issued to it, so that nothing an agent does is
#: ever taken for the borrower's own (their choice's written plan is sent on approval; *My plan*
#: says it is the plan they chose).
BORROWER_PAGE = "borrower-page"


def refusal_to_issue(agent_id: str) -> str | None:
    """Why no key may be issued to `agent_id`, or None."""
    if agent_id.strip().lower().startswith("borrower"):
        return f"{agent_id!r} is reserved: ids beginning with 'borrower' name what borrowers do on their own page"
    return None


def may(role: Role, right: Right) -> bool:
    return right in GRANTS[role]


#: Maker-checker: an approval is a second person's judgment (issue 17, H2).
FOUR_EYES = "four_eyes"


def refusal_to_approve(approver_id: str, opened_by: str, chosen_by: str | None) -> str | None:
    """Why `approver_id` may not decide on an option beyond an agent's authority, or None. The
    approver must be another person than the agent who opened the application and the one who
    chose the option: a supervisor does agents' work too, but never checks their own."""
    if approver_id == opened_by:
        return f"{approver_id} opened this application; another supervisor must decide on it (four eyes)"
    if approver_id == chosen_by:
        return f"{approver_id} chose this option; another supervisor must decide on it (four eyes)"
    return None
