"""parse_message: every unreadable message raises MalformedMessageError with a readable reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tideover_contracts.envelope import MalformedMessageError, parse_message
from tideover_contracts.events.loans import LoanBooked
from tideover_contracts.examples import golden_envelopes
from tideover_contracts.money import Money
from tideover_contracts.topics import ALL_EVENT_TYPES


def golden(event_type: str) -> dict[str, Any]:
    """A fresh, mutable JSON document of the golden example of `event_type`."""
    for envelope in golden_envelopes():
        if envelope.event_type == event_type:
            return json.loads(envelope.model_dump_json())  # type: ignore[no-any-return]
    raise LookupError(event_type)


def parse(document: dict[str, Any] | str | bytes) -> Any:
    raw = document if isinstance(document, (str, bytes)) else json.dumps(document)
    return parse_message(raw, ALL_EVENT_TYPES)


class TestWellFormedMessages:
    def test_the_golden_loan_booked_parses_into_a_typed_event(self) -> None:
        envelope = parse(golden("LoanBooked"))

        assert isinstance(envelope.payload, LoanBooked)
        assert envelope.payload.principal == Money.of("3000.00", "CNY")
        assert [i.principal for i in envelope.payload.installments] == [Money.of("1000.00", "CNY")] * 3

    @pytest.mark.parametrize("envelope", golden_envelopes(), ids=lambda envelope: envelope.event_type)
    def test_the_bytes_parse_as_the_document_validates(self, envelope: Any) -> None:
        """The fast path (the bytes validated at once) reads every golden example as the
        envelope class validating the decoded document does."""
        raw = envelope.to_bytes()

        parsed = parse_message(raw, {envelope.event_type: type(envelope.payload)})

        assert parsed == type(envelope).model_validate(json.loads(raw))
        assert type(parsed) is type(envelope)

    def test_unknown_fields_are_ignored(self) -> None:
        document = golden("LoanBooked")
        document["trace"] = "abc"
        document["payload"]["branch_code"] = "SH-01"

        assert parse(document).payload.product_code == "CASH-3M"

    def test_occurred_at_with_an_offset_is_normalised_to_utc(self) -> None:
        document = golden("LoanClosed")
        document["occurred_at"] = "2026-03-16T09:30:00+08:00"

        assert parse(document).model_dump(mode="json")["occurred_at"] == "2026-03-16T01:30:00Z"


class TestMalformedEnvelopes:
    def test_invalid_json(self) -> None:
        with pytest.raises(MalformedMessageError, match=r"^invalid JSON: "):
            parse('{"event_id": ')

    def test_bytes_that_are_not_utf8(self) -> None:
        with pytest.raises(MalformedMessageError, match=r"^invalid JSON"):
            parse(b"\xff\xfe\x00")

    @pytest.mark.parametrize("raw", ["[]", '"LoanBooked"', "42", "null"])
    def test_json_that_is_not_an_object(self, raw: str) -> None:
        with pytest.raises(MalformedMessageError, match=r"^a message must be a JSON object$"):
            parse(raw)

    @pytest.mark.parametrize(
        "field", ["event_id", "event_type", "schema_version", "occurred_at", "producer", "correlation_id", "payload"]
    )
    def test_a_missing_envelope_field_is_named(self, field: str) -> None:
        document = golden("LoanBooked")
        del document[field]

        with pytest.raises(MalformedMessageError, match=f"^invalid envelope: {field}: Field required$"):
            parse(document)

    def test_a_naive_occurred_at_is_refused(self) -> None:
        document = golden("LoanBooked")
        document["occurred_at"] = "2026-03-16T01:30:00"

        with pytest.raises(MalformedMessageError, match="invalid envelope: occurred_at: Input should have timezone info"):
            parse(document)

    def test_an_unknown_event_type_is_named(self) -> None:
        document = golden("LoanBooked")
        document["event_type"] = "LoanExploded"

        with pytest.raises(MalformedMessageError, match=r"^unknown event type 'LoanExploded'$"):
            parse(document)

    def test_an_event_type_this_reader_does_not_subscribe_to_is_unknown(self) -> None:
        with pytest.raises(MalformedMessageError, match=r"^unknown event type 'LoanBooked'$"):
            parse_message(json.dumps(golden("LoanBooked")), {"LoanClosed": ALL_EVENT_TYPES["LoanClosed"]})

    def test_a_schema_version_this_reader_does_not_know(self) -> None:
        document = golden("LoanBooked")
        document["schema_version"] = 2

        with pytest.raises(MalformedMessageError, match=r"^LoanBooked schema_version 2 is not 1$"):
            parse(document)


class TestMalformedLoanBooked:
    def test_money_as_a_json_number(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["principal"]["amount"] = 3000.0

        with pytest.raises(MalformedMessageError, match=r"^invalid LoanBooked: principal\.amount: .*not a JSON number"):
            parse(document)

    def test_money_as_a_json_number_inside_an_installment(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["installments"][1]["interest"]["amount"] = 45

        with pytest.raises(MalformedMessageError, match=r"installments\.1\.interest\.amount: .*not a JSON number"):
            parse(document)

    def test_installment_principals_that_do_not_add_up(self) -> None:
        # 999.00 + 1000.00 + 1000.00 = 2999.00, but the loan principal is 3000.00
        document = golden("LoanBooked")
        document["payload"]["installments"][0]["principal"]["amount"] = "999.00"

        with pytest.raises(
            MalformedMessageError, match=r"installment principal adds up to 2999\.00, not the loan principal 3000\.00"
        ):
            parse(document)

    @pytest.mark.parametrize("second_due", ["2026-02-15", "2026-02-01"], ids=["equal", "earlier"])
    def test_due_dates_not_ascending(self, second_due: str) -> None:
        document = golden("LoanBooked")
        document["payload"]["installments"][1]["due_date"] = second_due

        with pytest.raises(
            MalformedMessageError, match=r"^invalid LoanBooked: .*installment due dates must be strictly ascending"
        ):
            parse(document)

    def test_a_rate_above_one(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["contract_rate"] = "1.5"

        with pytest.raises(MalformedMessageError, match=r"contract_rate: .*rate 1\.5 is outside \[0, 1\]"):
            parse(document)

    def test_an_installment_in_another_currency(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["installments"][2]["fee"]["currency"] = "USD"

        with pytest.raises(MalformedMessageError, match="installment 3 is in USD, the loan in CNY"):
            parse(document)

    def test_sequences_out_of_order(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["installments"][2]["sequence"] = 4

        with pytest.raises(MalformedMessageError, match=r"installment sequences must run 1, 2, 3, \.\.\. in order"):
            parse(document)

    def test_a_negative_interest(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["installments"][0]["interest"]["amount"] = "-45.00"

        with pytest.raises(MalformedMessageError, match="installment amounts must not be negative"):
            parse(document)

    def test_a_first_due_date_on_the_booking_date(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["booked_on"] = "2026-02-15"

        with pytest.raises(MalformedMessageError, match="the first installment must fall due after the booking date"):
            parse(document)

    def test_a_bad_phone_number_names_the_field(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["borrower"]["phone"] = "12"

        with pytest.raises(MalformedMessageError, match=r"^invalid LoanBooked: borrower\.phone: "):
            parse(document)

    def test_an_amount_too_large_for_decimal_precision(self) -> None:
        document = golden("LoanBooked")
        document["payload"]["principal"]["amount"] = "1e30"

        with pytest.raises(MalformedMessageError):
            parse(document)
