"""*I need help* on the borrower's page (need_help.py, need_help.html): the form read field by
field with the agents' upload checks, each refusal named beside its field in the borrower's
language; the form offered only when an application may be opened; the code form and the
application's state in words, in every language."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from negotiation_intake.adapters.evidence_content import checked_document
from negotiation_intake.domain.application_state import State
from negotiation_intake.domain.borrower_changes import ChangeKind, PendingChange
from negotiation_intake.domain.evidence import MAX_BYTES
from negotiation_intake.entrypoints.borrower_page import i18n
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.need_help import (
    MAX_FILES,
    REASONS,
    HelpForm,
    SentFile,
    entered_amount,
    read_help,
    why_no_form,
)
from negotiation_intake.entrypoints.borrower_page.pages import frame
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, TEMPLATES
from tideover_testkit.console import raw_codes
from tideover_testkit.journeys import PROOF_PDF

from .test_borrower_page_rendering import loan, text_of, visit_of

LOAN = uuid.uuid4()


def photo(kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, kind)
    return buffer.getvalue()


FIELDS = {"reason": "income_reduction", "monthly_income": "4200", "essential_expenses": "2600.50", "description": "shop closed"}


def read(files: list[SentFile] | None = None, **fields: str) -> HelpForm:
    sent = [SentFile("payslip.jpg", photo())] if files is None else files
    return read_help({**FIELDS, **fields}, sent, checked_document)


class TestTheForm:
    def test_a_filled_in_form_keeps_its_answers_and_its_proof_as_the_reasons_evidence(self) -> None:
        form = read([SentFile("payslip.jpg", photo()), SentFile("letter.pdf", PROOF_PDF)])

        assert form.errors == {}
        assert (form.reason, form.income, form.expenses) == ("income_reduction", Decimal("4200"), Decimal("2600.50"))
        assert [(f.filename, f.kind) for f in form.files] == [("payslip.jpg", "income_proof"), ("letter.pdf", "income_proof")]

    def test_a_photo_is_kept_as_the_check_made_it_without_its_camera_metadata(self) -> None:
        buffer = io.BytesIO()
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make; a camera's GPS sits in the same block
        Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "JPEG", exif=exif)
        sent = buffer.getvalue()

        [kept] = read([SentFile("payslip.jpg", sent)]).files

        assert kept.content == checked_document(sent).content
        assert b"PhoneMaker" in sent
        assert b"PhoneMaker" not in kept.content

    @pytest.mark.parametrize(
        ("typed", "read_as"),
        [
            ("4200", Decimal("4200")),
            ("4,200.50", Decimal("4200.50")),
            (" ４２００ ", Decimal("4200")),  # full-width digits, as a phone's keyboard may type them
            ("0", Decimal("0")),
            ("", "error_amount_required"),
            ("-5", "error_amount_format"),
            ("12.345", "error_amount_format"),
            ("4200元", "error_amount_format"),
            ("1e9", "error_amount_format"),
            ("NaN", "error_amount_format"),
            ("1" * 13, "error_amount_too_large"),
        ],
    )
    def test_an_amount_is_read_as_a_phone_types_it(self, typed: str, read_as: Decimal | str) -> None:
        assert entered_amount(typed) == read_as

    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            ({"reason": ""}, {"reason": "error_reason_choose"}),
            ({"reason": "bored"}, {"reason": "error_reason_choose"}),
            ({"monthly_income": "lots"}, {"monthly_income": "error_amount_format"}),
            ({"essential_expenses": ""}, {"essential_expenses": "error_amount_required"}),
            ({"description": "  "}, {"description": "error_description_required"}),
            ({"description": "x" * 4001}, {"description": "error_description_too_long"}),
            ({"description": "a\x00b"}, {"description": "error_description_text"}),
        ],
    )
    def test_each_refusal_is_named_beside_its_field(self, fields: dict[str, str], errors: dict[str, str]) -> None:
        form = read(**fields)

        assert form.errors == errors
        assert form.files == ()
        assert form.values["monthly_income"] == fields.get("monthly_income", FIELDS["monthly_income"])

    @pytest.mark.parametrize(
        ("files", "error"),
        [
            ([], "error_files_none"),
            ([SentFile("", b"")], "error_files_none"),  # a file input left empty
            ([SentFile("p.jpg", photo())] * (MAX_FILES + 1), "error_files_too_many"),
            ([SentFile("big.pdf", b"%PDF-1.7" + b"0" * MAX_BYTES)], "error_file_too_large"),
            ([SentFile("notes.txt", b"just text")], "error_evidence_type_and_size"),
            ([SentFile("p.png", photo("PNG") + b"PK\x03\x04zip")], "error_evidence_trailing_data"),
            ([SentFile("p\x00.jpg", photo())], "error_file_name"),
        ],
    )
    def test_files_are_checked_as_the_agents_uploads_are(self, files: list[SentFile], error: str) -> None:
        form = read(files)

        assert form.errors == {"files": error}
        assert form.files == ()

    def test_every_refusal_has_words_in_every_language(self) -> None:
        keys = {"error_reason_choose", "error_amount_required", "error_amount_format", "error_amount_too_large"}
        keys |= {"error_description_required", "error_description_too_long", "error_description_text"}
        keys |= {"error_files_none", "error_files_too_many", "error_file_too_large", "error_file_name"}
        keys |= {f"error_{rule}" for rule in ("evidence_type_and_size", "evidence_malformed", "evidence_trailing_data")}
        keys |= {f"error_{rule}" for rule in ("evidence_active_content", "evidence_encrypted", "evidence_image_dimensions")}
        for language in i18n.LANGUAGES:
            missing = sorted(key for key in keys if key not in i18n.messages(language))
            assert missing == [], language


class TestWhenTheFormIsOffered:
    def test_with_nothing_open_and_no_plan(self) -> None:
        assert why_no_form([(uuid.uuid4(), State.WITHDRAWN), (uuid.uuid4(), State.EXPIRED)], LOAN, None) is None

    def test_not_while_an_application_is_open(self) -> None:
        assert why_no_form([(uuid.uuid4(), State.DRAFT)], LOAN, None) == "application_open"

    def test_not_while_a_plan_is_in_force(self) -> None:
        assert why_no_form([], LOAN, uuid.uuid4()) == "plan_active"


def section(language: str, **context: Any) -> str:
    words = Words(language)
    shown = frame(visit_of(loan()), words, "need_help")
    values: dict[str, Any] = {"form": HelpForm({}), "hidden": None, "application": None, "waiting": None}
    values |= {"code_expired": False, "reasons": REASONS, "max_files": MAX_FILES, "max_description": 4000}
    values |= {"code_valid_minutes": 10, "code_tries": 5, "currency": "CNY", **context}
    return TEMPLATES.get_template("need_help.html").render(t=words, lang=language, base=PREFIX, **values, **shown)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
class TestTheSection:
    def test_the_form_takes_a_photo_or_files_and_every_reason_the_console_offers(self, language: str) -> None:
        html = section(language)

        assert 'enctype="multipart/form-data"' in html
        assert (
            '<input id="files" name="files" type="file" accept="image/*,application/pdf" capture="environment" multiple' in html
        )
        assert re.findall(r'name="reason" value="(\w+)"', html) == [reason.value for reason in REASONS]
        assert 'name="csrf" value="form-token"' in html
        assert raw_codes(text_of(html), language) == []

    def test_refusals_are_said_beside_their_fields_and_the_answers_kept(self, language: str) -> None:
        form = read(monthly_income="lots", files=[])
        html = section(language, form=form)

        assert set(re.findall(r'data-error="(\w+)"', html)) == {"monthly_income", "files"}
        assert 'id="monthly_income"' in html
        assert 'value="lots"' in html
        assert 'aria-describedby="monthly_income-hint monthly_income-error" aria-invalid="true"' in html
        assert 'role="alert"' in html
        assert raw_codes(text_of(html), language) == []

    def test_the_code_form_once_a_code_was_sent(self, language: str) -> None:
        waiting = PendingChange(
            uuid.uuid4(), LOAN, "B-1", "k", ChangeKind.HARDSHIP_APPLICATION, {}, datetime(2027, 6, 25, tzinfo=UTC)
        )
        html = section(language, waiting=waiting, said="help_code_sent")

        assert 'action="/b/help/code"' in html
        assert 'autocomplete="one-time-code"' in html
        assert 'id="status-message" role="status"' in html
        assert 'action="/b/help"' not in html
        assert raw_codes(text_of(html), language) == []

    @pytest.mark.parametrize("state", list(State))
    def test_no_form_while_an_application_is_open_and_its_state_in_words(self, language: str, state: State) -> None:
        application = type("Shown", (), {"state": state})()
        html = section(language, hidden="application_open", application=application)

        assert 'data-hidden="application_open"' in html
        assert f'data-application-state="{state.value}"' in html
        assert '<form method="post" action="/b/help"' not in html
        assert raw_codes(text_of(html), language) == []

    def test_no_form_while_a_plan_is_in_force(self, language: str) -> None:
        html = section(language, hidden="plan_active")

        assert 'data-hidden="plan_active"' in html
        assert 'action="/b/help"' not in html
        assert raw_codes(text_of(html), language) == []
