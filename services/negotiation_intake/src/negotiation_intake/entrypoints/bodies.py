"""What the agents' API takes and answers with: the request bodies (strict: an unknown field is
refused) and the JSON of an application and its documents. The console reads and shows the same."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from negotiation_intake.application.applications import OpenApplication
from negotiation_intake.application.errors import StaleVersionError
from negotiation_intake.domain.application import Application, Document
from tideover_contracts.events.negotiation import HardshipReason, OptionKind
from tideover_contracts.money import InputMoney, Money


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: Text as Postgres keeps it: any character but NUL, which a `text` column cannot hold.
WITHOUT_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(min_length=1, pattern=WITHOUT_NUL)]


class HardshipIn(Strict):
    """The borrower's hardship and monthly budget: both amounts in one currency, not negative."""

    reason: HardshipReason
    description: Text = Field(max_length=4000)
    monthly_income: InputMoney
    essential_expenses: InputMoney

    @field_validator("essential_expenses")
    @classmethod
    def _in_the_incomes_currency(cls, expenses: Money, info: ValidationInfo) -> Money:
        income = info.data.get("monthly_income")
        if income is not None and expenses.currency != income.currency:
            raise PydanticCustomError(
                "currency_mismatch",
                "{currency} is not the monthly income's currency {expected}",
                {"currency": expenses.currency, "expected": income.currency},
            )
        return expenses


class ApplicationIn(Strict):
    loan_id: uuid.UUID
    hardship: HardshipIn
    requested_options: tuple[OptionKind, ...] = ()


class ReviewIn(Strict):
    verified: bool
    note: Text = Field(max_length=2000)


class ChoiceIn(Strict):
    offer_id: uuid.UUID
    option_id: Text = Field(max_length=100)


class ApprovalIn(Strict):
    approved: bool
    note: Text = Field(max_length=2000, description="Why: required both ways, for the audit")


class ConfirmationIn(Strict):
    code: str = Field(pattern=r"^[0-9]{6}$")


class BorrowerConfirmationIn(Strict):
    application_id: uuid.UUID
    code: str = Field(pattern=r"^[0-9]{6}$")


class ReasonIn(Strict):
    reason: Text = Field(max_length=1000)


def opening_command(payload: ApplicationIn) -> OpenApplication:
    return OpenApplication(
        loan_id=payload.loan_id,
        reason=payload.hardship.reason,
        description=payload.hardship.description,
        monthly_income=payload.hardship.monthly_income,
        essential_expenses=payload.hardship.essential_expenses,
        requested_options=payload.requested_options,
    )


def document_body(document: Document) -> dict[str, Any]:
    return {
        "document_id": str(document.document_id),
        "kind": document.kind,
        "filename": document.filename,
        "media_type": document.media_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "uploaded_by": document.uploaded_by,
        "uploaded_at": document.uploaded_at.isoformat(),
        "status": document.status,
        "review_note": document.review_note,
        "reviewed_by": document.reviewed_by,
    }


def application_body(application: Application) -> dict[str, Any]:
    return {
        "application_id": str(application.application_id),
        "loan_id": str(application.loan_id),
        "state": application.state.value,
        "reason": application.reason,
        "description": application.description,
        "monthly_income": {"amount": str(application.monthly_income), "currency": application.currency},
        "essential_expenses": {"amount": str(application.essential_expenses), "currency": application.currency},
        "requested_options": list(application.requested_options),
        "agent_id": application.agent_id,
        "version": application.version,
        "offer_id": str(application.offer_id) if application.offer_id else None,
        "option_id": application.option_id,
        "needs_supervisor": application.needs_supervisor,
        "chosen_by": application.chosen_by,
        "approved_by": application.approved_by,
        "approval_note": application.approval_note,
        "code_tries_left": 5 - application.code_tries if application.code_hash else None,
        "rejection": application.rejection,
        "created_at": application.created_at.isoformat(),
        "updated_at": application.updated_at.isoformat(),
    }


def etag(application: Application) -> str:
    return f'"{application.version}"'


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not re.fullmatch(r"[0-9]{1,18}", tag):  # ASCII digits: "²" is a digit to str.isdigit, not to int()
        raise StaleVersionError(-1)
    return int(tag)
