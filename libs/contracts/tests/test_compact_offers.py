"""PlanOffered version 2 carries each option compactly; readers still get PlanOption (issue 22)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tideover_contracts.envelope import MalformedMessageError, parse_message, wrap
from tideover_contracts.events.plans import OfferedOption, PlanOffered
from tideover_contracts.examples import golden_events
from tideover_contracts.topics import PLANS_OFFERS


def golden_offer() -> PlanOffered:
    return next(event for event in golden_events() if isinstance(event, PlanOffered))


def test_the_wire_carries_columns_and_readers_get_the_lines() -> None:
    offer = golden_offer()
    wire = json.loads(offer.model_dump_json())
    option = wire["options"][0]

    assert option["currency"] == "CNY"
    assert option["schedule"]["principal"] == [str(line.principal.amount) for line in offer.options[0].schedule]
    assert option["total_payable"] == str(offer.options[0].total_payable.amount)
    assert "offered_options" not in wire
    read = PlanOffered.model_validate(wire)
    assert read == offer
    assert read.options == offer.options
    assert [line.total for line in read.options[0].schedule] == [line.total for line in offer.options[0].schedule]


def test_an_empty_amount_column_is_zero_on_every_line() -> None:
    offer = golden_offer()
    wire = json.loads(offer.model_dump_json())

    assert wire["options"][0]["schedule"]["fee"] == []  # the golden options charge no fee
    assert all(line.fee.amount == Decimal("0.00") for line in offer.options[0].schedule)
    assert all(line.fee.currency == "CNY" for line in offer.options[0].schedule)


def test_compacting_and_expanding_are_each_others_inverse() -> None:
    for option in golden_offer().options:
        assert OfferedOption.of(option).expanded() == option


def test_an_offer_stored_in_version_1s_shape_still_reads() -> None:
    offer = golden_offer()
    version_1 = {**json.loads(offer.model_dump_json()), "options": [option.model_dump(mode="json") for option in offer.options]}
    assert version_1["options"][0]["schedule"][0]["total"] == {"amount": "348.33", "currency": "CNY"}

    assert PlanOffered.model_validate_json(json.dumps(version_1)) == offer


def test_a_copy_with_other_options_expands_its_own() -> None:
    offer = golden_offer()
    cheaper = offer.options[0].model_copy(update={"option_id": "other"})

    copied = offer.model_copy(update={"options": (cheaper,)})

    assert [option.option_id for option in copied.options] == ["other"]
    assert [option.option_id for option in copied.offered_options] == ["other"]
    assert PlanOffered.model_validate_json(copied.model_dump_json()) == copied


def test_a_total_that_is_not_the_sum_of_the_schedule_is_refused() -> None:
    wire = json.loads(golden_offer().model_dump_json())
    wire["options"][0]["total_payable"] = str(Decimal(wire["options"][0]["total_payable"]) + Decimal("0.01"))

    with pytest.raises(ValidationError, match="not the sum of its schedule"):
        PlanOffered.model_validate(wire)


@pytest.mark.parametrize("column", ["principal", "due_date"])
def test_columns_of_different_lengths_are_refused(column: str) -> None:
    wire = json.loads(golden_offer().model_dump_json())
    wire["options"][0]["schedule"][column] = wire["options"][0]["schedule"][column][:-1]

    with pytest.raises(ValidationError, match="one value a line"):
        PlanOffered.model_validate(wire)


def test_an_amount_finer_than_the_currency_or_a_json_number_is_refused() -> None:
    finer = json.loads(golden_offer().model_dump_json())
    finer["options"][0]["schedule"]["interest"][0] = "15.001"
    number = json.loads(golden_offer().model_dump_json())
    number["options"][0]["first_payment"] = 348.33

    with pytest.raises(ValidationError, match="more decimals than CNY"):
        PlanOffered.model_validate(finer)
    with pytest.raises(ValidationError, match="not a JSON number"):
        PlanOffered.model_validate(number)


def test_an_amount_too_large_is_a_malformed_message_not_a_crash() -> None:
    """quantize overflows on such an amount: the reader must refuse it as Money does, so that the
    message is dead-lettered rather than retried for ever."""
    huge = json.loads(wrap(golden_offer(), producer="p", occurred_at=datetime(2026, 3, 15, tzinfo=UTC)).to_bytes())
    huge["payload"]["options"][0]["first_payment"] = "1E+40"

    with pytest.raises(MalformedMessageError, match="not below"):
        parse_message(json.dumps(huge).encode(), PLANS_OFFERS.event_classes())
