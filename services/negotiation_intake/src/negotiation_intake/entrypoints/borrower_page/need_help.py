"""*I need help* (issue 21): the hardship application the borrower fills in on the page — the
reasons the console offers, monthly income and essential expenses in the loan's currency, a
short description, proof photographed or picked from files — read and checked field by field,
each refusal named beside its field; and whether the section offers the form at all (not while an
application is open or a plan is in force: one at a time, domain/one_at_a_time.py).

The files are checked as the agents' uploads are (adapters/evidence_content.py
`checked_document`, passed in as `check`) before anything is kept, so that a code is never asked
for a change that could not be applied."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from negotiation_intake.application.borrower_changes import ChangeFile
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.evidence import MAX_BYTES, CheckedDocument, UnacceptableDocumentError
from negotiation_intake.domain.one_at_a_time import refusal_to_open
from tideover_contracts.events.negotiation import EvidenceKind, HardshipReason

#: As the agents' API takes it (entrypoints/bodies.py HardshipIn).
MAX_DESCRIPTION = 4000
#: Proof of one hardship: a payslip or two, a letter, a certificate; more is for the agent to ask.
MAX_FILES = 5
#: As the agents' API takes an amount (tideover_contracts.money InputMoney): 12 integer digits.
_AMOUNT = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,2})?$")
_TOO_LARGE = re.compile(r"^[0-9]{13,}(?:\.[0-9]*)?$")
#: The proof each reason's evidence is kept as (domain/evidence.py PROOF_FOR names what an agent
#: needs verified before submitting); the agent may ask for more in the console.
PROOF_KIND: dict[HardshipReason, EvidenceKind] = {
    HardshipReason.UNEMPLOYMENT: EvidenceKind.UNEMPLOYMENT_PROOF,
    HardshipReason.ILLNESS: EvidenceKind.MEDICAL_RECORD,
    HardshipReason.INCOME_REDUCTION: EvidenceKind.INCOME_PROOF,
    HardshipReason.DISASTER: EvidenceKind.DISASTER_PROOF,
    HardshipReason.FAMILY_EMERGENCY: EvidenceKind.OTHER,
    HardshipReason.OTHER: EvidenceKind.OTHER,
}
REASONS = tuple(HardshipReason)


@dataclass(frozen=True)
class SentFile:
    """A file as the form sent it: its name and at most MAX_BYTES + 1 of its bytes."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class HelpForm:
    """The form as it was filled in: what to keep, or the refusals by field (words' keys)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    reason: HardshipReason | None = None
    income: Decimal | None = None
    expenses: Decimal | None = None
    files: tuple[ChangeFile, ...] = ()


def entered_amount(typed: str) -> Decimal | str:
    """The amount as a phone types it (full-width digits, spaces, thousands separators), or
    the words' key of why it is not one."""
    text = "".join(unicodedata.normalize("NFKC", typed).split()).replace(",", "")
    if not text:
        return "error_amount_required"
    if _TOO_LARGE.match(text):
        return "error_amount_too_large"
    if not _AMOUNT.match(text):
        return "error_amount_format"
    return Decimal(text)


def read_help(fields: dict[str, str], files: list[SentFile], check: Callable[[bytes], CheckedDocument]) -> HelpForm:
    """The form's fields and files checked; every refusal, by field."""
    values = {name: fields.get(name, "").strip() for name in ("reason", "monthly_income", "essential_expenses", "description")}
    errors: dict[str, str] = {}
    reason = HardshipReason(values["reason"]) if values["reason"] in set(REASONS) else None
    if reason is None:
        errors["reason"] = "error_reason_choose"
    amounts: dict[str, Decimal] = {}
    for name in ("monthly_income", "essential_expenses"):
        amount = entered_amount(values[name])
        if isinstance(amount, str):
            errors[name] = amount
        else:
            amounts[name] = amount
    description = values["description"]
    if not description:
        errors["description"] = "error_description_required"
    elif len(description) > MAX_DESCRIPTION or "\x00" in description:
        errors["description"] = "error_description_too_long" if len(description) > MAX_DESCRIPTION else "error_description_text"
    kept, file_error = _checked_files(files, reason or HardshipReason.OTHER, check)
    if file_error:
        errors["files"] = file_error
    if errors:
        return HelpForm(values, errors)
    return HelpForm(values, {}, reason, amounts["monthly_income"], amounts["essential_expenses"], kept)


def _checked_files(
    files: list[SentFile], reason: HardshipReason, check: Callable[[bytes], CheckedDocument]
) -> tuple[tuple[ChangeFile, ...], str | None]:
    """The files to keep with the change, or why they are refused (the first that is)."""
    sent = [file for file in files if file.filename or file.content]
    if not sent:
        return (), "error_files_none"
    if len(sent) > MAX_FILES:
        return (), "error_files_too_many"
    kept: list[ChangeFile] = []
    for file in sent:
        if len(file.content) > MAX_BYTES:
            return (), "error_file_too_large"
        try:
            checked = check(file.content)
        except UnacceptableDocumentError as error:
            return (), f"error_{error.rule}"
        if "\x00" in file.filename:
            return (), "error_file_name"
        # What the check made of it (an image re-encoded: no camera metadata, no location), not
        # the bytes as sent.
        kept.append(ChangeFile(file.filename or "document", PROOF_KIND[reason].value, checked.content))
    return tuple(kept), None


def why_no_form(applications: Iterable[tuple[uuid.UUID, State]], loan_id: uuid.UUID, active_plan: uuid.UUID | None) -> str | None:
    """Why the section does not offer the form — `application_open` or `plan_active` — or None."""
    refusal = refusal_to_open(loan_id, applications, active_plan)
    return refusal.rule if refusal else None
