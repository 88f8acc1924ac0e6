"""*How we contact you* on the borrower's page (how_we_contact.py, contact.html): notification's
offer read (anything else: not available), the form read against it field by field — a place or
"not this way" for each channel, at least one kept, hours only among the half hours the legal window
allows —, the choice confirmed becoming ContactPreferencesChosen; the section in every language
with no raw code, its form accessible (fieldset, legend, labels, errors beside the fields)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time
from typing import Any

import pytest

from negotiation_intake.application.borrower_contact import preferences_details, preferences_of
from negotiation_intake.domain.borrower_changes import ChangeKind, PendingChange
from negotiation_intake.entrypoints.borrower_page import i18n
from negotiation_intake.entrypoints.borrower_page.how_we_contact import (
    OFF,
    Chosen,
    ContactForm,
    ContactOffer,
    offer_of,
    read_contact,
    shown_values,
)
from negotiation_intake.entrypoints.borrower_page.i18n import Words
from negotiation_intake.entrypoints.borrower_page.pages import SECTIONS, frame
from negotiation_intake.entrypoints.borrower_page.state import PREFIX, TEMPLATES
from tideover_contracts.common import Channel
from tideover_contracts.events.negotiation import PreferredHours
from tideover_testkit.console import raw_codes

from .test_borrower_page_rendering import loan, text_of, visit_of

AT = datetime(2027, 6, 18, 10, tzinfo=UTC)


def answer(**changes: Any) -> dict[str, Any]:
    """An answer of notification's GET /v1/loans/{id}/contact-choices for a CN borrower."""
    slots = [f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in range(8 * 60, 22 * 60, 30)]
    base: dict[str, Any] = {
        "loan_id": str(uuid.uuid4()),
        "jurisdiction": "CN",
        "time_zone": "Asia/Shanghai",
        "quiet_hours": {"from": "22:00", "until": "08:00"},
        "slots": slots,
        "allowed_channels": ["sms", "push", "email", "voice_call"],
        "on_file": [
            {"channel": "sms", "address": "*******8000"},
            {"channel": "email", "address": "l***@example.com"},
            {"channel": "voice_call", "address": "*******8000"},
        ],
        "upstream_opted_out": [],
        "do_not_contact": False,
        "code_reaches": True,
        "chosen": None,
    }
    return base | changes


def offer(**changes: Any) -> ContactOffer:
    read = offer_of(answer(**changes))
    assert read is not None
    return read


FIELDS = {"rank_sms": "2", "rank_email": "1", "rank_voice_call": OFF, "start": "09:00", "end": "12:30"}


def read(**fields: str) -> ContactForm:
    return read_contact({**FIELDS, **fields}, offer())


class TestTheOffer:
    def test_notifications_answer_is_read(self) -> None:
        shown = offer(upstream_opted_out=["voice_call"])
        assert (shown.quiet_from, shown.quiet_until, shown.slots[0], shown.slots[-1]) == ("22:00", "08:00", time(8), time(21, 30))
        assert shown.ends[-1] == time(22)
        assert shown.choosable == (Channel.SMS, Channel.EMAIL)
        assert shown.why_no_form is None

    @pytest.mark.parametrize(
        "bad",
        [
            None,
            {},
            [],
            "x",
            answer(slots=["8 o'clock"]),
            answer(quiet_hours=None),
            answer(chosen={"preferred_channels": ["sms"]}),
        ],
    )
    def test_anything_else_is_not_available(self, bad: Any) -> None:
        assert offer_of(bad) is None

    @pytest.mark.parametrize(
        ("changes", "why"),
        [
            ({"do_not_contact": True}, "do_not_contact"),
            ({"code_reaches": False}, "code_unreachable"),
            ({"upstream_opted_out": ["sms", "email", "voice_call"]}, "no_channel"),
            ({"allowed_channels": ["push"]}, "no_channel"),
        ],
    )
    def test_no_form_when_the_choice_could_not_be_confirmed_or_offers_nothing(self, changes: dict[str, Any], why: str) -> None:
        assert offer(**changes).why_no_form == why


class TestTheForm:
    def test_a_choice_in_the_borrowers_order_with_hours_in_the_legal_window(self) -> None:
        form = read()
        assert form.errors == {}
        assert form.chosen == Chosen(
            (Channel.EMAIL, Channel.SMS), (Channel.VOICE_CALL,), PreferredHours(start=time(9), end=time(12, 30))
        )

    def test_no_hours_is_any_time_the_law_allows(self) -> None:
        form = read(start="", end="")
        assert form.chosen is not None
        assert form.chosen.hours is None

    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            ({"rank_sms": OFF, "rank_email": OFF}, {"channels": "contact_error_no_channel"}),
            ({"rank_sms": "1"}, {"channels": "contact_error_rank_twice"}),
            ({"rank_sms": "4"}, {"channels": "contact_error_rank"}),
            ({"rank_email": "first"}, {"channels": "contact_error_rank"}),
            ({"start": "07:00"}, {"hours": "contact_error_hours_outside"}),
            ({"end": "22:30"}, {"hours": "contact_error_hours_outside"}),
            ({"start": "21:00", "end": "23:00"}, {"hours": "contact_error_hours_outside"}),
            ({"start": "09:15", "end": "10:00"}, {"hours": "contact_error_hours_outside"}),
            ({"start": "nine"}, {"hours": "contact_error_hours_outside"}),
            ({"start": "12:00", "end": "09:00"}, {"hours": "contact_error_hours_order"}),
            ({"start": "12:00", "end": "12:00"}, {"hours": "contact_error_hours_order"}),
            ({"end": ""}, {"hours": "contact_error_hours_both"}),
            (
                {"rank_sms": OFF, "rank_email": OFF, "start": "06:00"},
                {"channels": "contact_error_no_channel", "hours": "contact_error_hours_outside"},
            ),
        ],
    )
    def test_each_refusal_is_named_beside_its_field(self, fields: dict[str, str], errors: dict[str, str]) -> None:
        form = read(**fields)
        assert (form.errors, form.chosen) == (errors, None)

    def test_a_channel_opted_out_upstream_is_not_offered_nor_taken(self) -> None:
        form = read_contact({**FIELDS, "rank_voice_call": "1", "rank_email": "3"}, offer(upstream_opted_out=["voice_call"]))
        assert form.errors == {"channels": "contact_error_rank"}  # two channels offered: places 1 and 2
        kept = read_contact({**FIELDS, "rank_voice_call": "1"}, offer(upstream_opted_out=["voice_call"]))
        assert kept.chosen is not None
        assert (kept.chosen.preferred, kept.chosen.opted_out) == ((Channel.EMAIL, Channel.SMS), ())

    def test_a_legal_window_notification_narrows_is_the_one_the_form_keeps_to(self) -> None:
        narrow = offer(slots=["09:00", "09:30", "10:00", "14:00"])
        assert read_contact({**FIELDS, "start": "09:00", "end": "10:30"}, narrow).errors == {}
        assert read_contact({**FIELDS, "start": "09:00", "end": "14:30"}, narrow).errors == {
            "hours": "contact_error_hours_outside"
        }

    def test_the_form_shows_the_choice_so_far(self) -> None:
        chosen = Chosen((Channel.VOICE_CALL, Channel.SMS), (Channel.EMAIL,), PreferredHours(start=time(10), end=time(11)))
        values = shown_values(offer(), chosen)
        assert values == {"rank_voice_call": "1", "rank_sms": "2", "rank_email": OFF, "start": "10:00", "end": "11:00"}
        assert read_contact(values, offer()).chosen == chosen

    def test_the_confirmed_choice_is_the_event_notification_reads(self) -> None:
        chosen = read().chosen
        assert chosen is not None
        details = preferences_details(chosen.preferred, chosen.opted_out, chosen.hours)
        change = PendingChange(uuid.uuid4(), uuid.uuid4(), "B-1", "k", ChangeKind.CONTACT_PREFERENCES, details, AT)
        event = preferences_of(change, AT)
        assert (event.change_id, event.loan_id, event.borrower_id, event.chosen_at) == (
            change.change_id,
            change.loan_id,
            "B-1",
            AT,
        )
        assert (event.preferred_channels, event.opted_out_channels, event.preferred_hours) == (
            chosen.preferred,
            chosen.opted_out,
            chosen.hours,
        )


def section(language: str, **context: Any) -> str:
    words = Words(language)
    shown = frame(visit_of(loan()), words, "contact")
    values: dict[str, Any] = {"offer": offer(), "hidden": None, "waiting": None, "code_expired": False, "chosen": None}
    values |= {"off": OFF, "code_valid_minutes": 10, "code_tries": 5, **context}
    if "form" not in values:
        values["form"] = ContactForm(shown_values(values["offer"], values["chosen"]) if values["offer"] else {})
    return TEMPLATES.get_template("contact.html").render(t=words, lang=language, base=PREFIX, **values, **shown)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
class TestTheSection:
    def test_the_form_is_a_place_for_each_channel_and_hours_in_the_legal_window(self, language: str) -> None:
        html = section(language)

        assert ("contact", "/contact") in SECTIONS
        assert 'aria-current="page">' + Words(language)("section_contact") in html
        assert re.findall(r'<select id="(\w+)" name="\1"', html) == ["rank_sms", "rank_email", "rank_voice_call", "start", "end"]
        assert re.findall(r'<label for="(\w+)"', html) == ["rank_sms", "rank_email", "rank_voice_call", "start", "end"]
        assert html.count("<fieldset") == 2
        assert html.count("<legend>") == 2
        assert 'data-quiet-hours="22:00-08:00"' in html
        assert "22:00" in text_of(html)
        assert '<option value="07:30"' not in html
        assert '<option value="21:30"' in html
        assert 'name="csrf" value="form-token"' in html
        assert "*******8000" in html
        assert raw_codes(text_of(html), language) == []

    def test_refusals_are_said_beside_their_fields_and_the_answers_kept(self, language: str) -> None:
        html = section(language, form=read(rank_sms=OFF, rank_email=OFF, start="12:00", end="09:00"))

        assert set(re.findall(r'data-error="(\w+)"', html)) == {"channels", "hours"}
        assert 'aria-describedby="channels-hint channels-error"' in html
        assert 'aria-invalid="true" aria-describedby="hours-error"' in html
        assert 'id="form-errors" role="alert" tabindex="-1" autofocus' in html
        assert '<option value="12:00" selected>' in html
        assert raw_codes(text_of(html), language) == []

    def test_the_code_form_once_a_code_was_sent(self, language: str) -> None:
        waiting = PendingChange(uuid.uuid4(), uuid.uuid4(), "B-1", "k", ChangeKind.CONTACT_PREFERENCES, {}, AT)
        html = section(language, waiting=waiting, said="contact_code_sent")

        assert 'action="/b/contact/code"' in html
        assert 'action="/b/contact/code/new"' in html
        assert 'autocomplete="one-time-code"' in html
        assert 'id="status-message" role="status" tabindex="-1" autofocus' in html
        assert 'action="/b/contact"' not in html
        assert raw_codes(text_of(html), language) == []

    def test_the_choice_so_far_in_words(self, language: str) -> None:
        chosen = Chosen((Channel.EMAIL, Channel.SMS), (Channel.VOICE_CALL,), PreferredHours(start=time(9), end=time(12, 30)))
        html = section(language, chosen=chosen, said="contact_saved")
        words = Words(language)

        assert 'data-preferred="email sms"' in html
        assert 'data-opted-out="voice_call"' in html
        assert 'data-hours="09:00-12:30"' in html
        assert words("contact_channel_email") + words("list_separator") + words("contact_channel_sms") in text_of(html)
        assert raw_codes(text_of(html), language) == []

    @pytest.mark.parametrize("hidden", ["do_not_contact", "code_unreachable", "no_channel"])
    def test_no_form_when_it_could_not_be_confirmed(self, language: str, hidden: str) -> None:
        html = section(language, hidden=hidden)

        assert f'data-hidden="{hidden}"' in html
        assert 'action="/b/contact"' not in html
        assert Words(language)(f"contact_hidden_{hidden}") in text_of(html)
        assert raw_codes(text_of(html), language) == []

    def test_when_notification_does_not_answer_nothing_can_be_changed(self, language: str) -> None:
        html = section(language, offer=None, form=ContactForm({}))

        assert 'data-hidden="unavailable"' in html
        assert '<form method="post" action="/b/contact' not in html
        assert raw_codes(text_of(html), language) == []


def test_a_channels_name_in_each_language_for_every_channel() -> None:
    for language in i18n.LANGUAGES:
        words = i18n.messages(language)
        assert [channel for channel in Channel if f"contact_channel_{channel.value}" not in words] == []
