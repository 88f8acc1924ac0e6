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


def may(role: Role, right: Right) -> bool:
    return right in GRANTS[role]
