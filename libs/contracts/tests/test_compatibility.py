"""breaking_changes: only a new optional field keeps a schema compatible (DESIGN.md §2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tideover_contracts.compatibility import breaking_changes
from tideover_contracts.events.loans import LoanBooked, LoanClosed
from tideover_contracts.published import event_schema

Schema = dict[str, Any]


def small_schema() -> Schema:
    """A hand-written event: a uuid, a Money via $ref, an enum via $ref, and a list of lines."""
    return {
        "type": "object",
        "properties": {
            "loan_id": {"type": "string", "format": "uuid"},
            "amount": {"$ref": "#/$defs/Money"},
            "reason": {"$ref": "#/$defs/Reason"},
            "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["loan_id", "amount", "reason"],
        "$defs": {
            "Money": {
                "type": "object",
                "properties": {
                    "amount": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
                    "currency": {"type": "string"},
                },
                "required": ["amount", "currency"],
            },
            "Reason": {"type": "string", "enum": ["paid_off", "sold"]},
            "Line": {
                "type": "object",
                "properties": {"sequence": {"type": "integer"}, "due_date": {"type": "string", "format": "date"}},
                "required": ["sequence", "due_date"],
            },
        },
    }


class TestHandWrittenSchemas:
    def test_an_identical_schema_is_compatible(self) -> None:
        assert breaking_changes(small_schema(), small_schema()) == []

    def test_adding_an_optional_property_is_compatible(self) -> None:
        new = small_schema()
        new["properties"]["channel"] = {"type": "string"}

        assert breaking_changes(small_schema(), new) == []

    def test_adding_an_optional_property_inside_a_def_is_compatible(self) -> None:
        new = small_schema()
        new["$defs"]["Line"]["properties"]["fee"] = {"$ref": "#/$defs/Money"}

        assert breaking_changes(small_schema(), new) == []

    def test_removing_a_property_is_breaking(self) -> None:
        new = small_schema()
        del new["properties"]["note"]

        assert breaking_changes(small_schema(), new) == ["$.note: field removed"]

    def test_making_an_optional_property_required_is_breaking(self) -> None:
        new = small_schema()
        new["required"].append("note")

        assert breaking_changes(small_schema(), new) == ["$.note: field is now required"]

    def test_adding_a_required_property_is_breaking(self) -> None:
        new = small_schema()
        new["properties"]["channel"] = {"type": "string"}
        new["required"].append("channel")

        assert breaking_changes(small_schema(), new) == ["$.channel: field is now required"]

    def test_changing_a_type_is_breaking(self) -> None:
        new = small_schema()
        new["properties"]["loan_id"] = {"type": "integer"}

        assert breaking_changes(small_schema(), new) == [
            "$.loan_id: type changed from 'string' to 'integer'",
            "$.loan_id: format changed from 'uuid' to None",
        ]

    def test_changing_a_format_is_breaking(self) -> None:
        new = small_schema()
        new["properties"]["loan_id"]["format"] = "uri"

        assert breaking_changes(small_schema(), new) == ["$.loan_id: format changed from 'uuid' to 'uri'"]

    def test_making_a_field_nullable_is_breaking(self) -> None:
        new = small_schema()
        new["properties"]["loan_id"] = {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}

        assert breaking_changes(small_schema(), new) == [
            "$.loan_id: type changed from 'string' to None",
            "$.loan_id: format changed from 'uuid' to None",
            "$.loan_id: anyOf has 2 alternatives, was 0",
        ]

    def test_adding_an_enum_value_is_breaking(self) -> None:
        new = small_schema()
        new["$defs"]["Reason"]["enum"].append("written_off")

        assert breaking_changes(small_schema(), new) == [
            "$.reason: enum values added (old readers would refuse them): ['written_off']"
        ]

    def test_removing_an_enum_value_is_breaking(self) -> None:
        new = small_schema()
        new["$defs"]["Reason"]["enum"].remove("sold")

        assert breaking_changes(small_schema(), new) == ["$.reason: enum values removed: ['sold']"]

    def test_a_type_change_inside_a_referenced_def_is_detected(self) -> None:
        new = small_schema()
        new["$defs"]["Money"]["properties"]["amount"] = {"type": "number"}

        assert breaking_changes(small_schema(), new) == [
            "$.amount.amount: type changed from 'string' to 'number'",
            r"$.amount.amount: pattern changed from '^-?[0-9]+(\\.[0-9]+)?$' to None",
        ]

    def test_a_property_removed_from_a_def_used_in_array_items_is_detected(self) -> None:
        new = small_schema()
        del new["$defs"]["Line"]["properties"]["due_date"]
        new["$defs"]["Line"]["required"].remove("due_date")

        assert breaking_changes(small_schema(), new) == ["$.lines[].due_date: field removed"]

    def test_several_problems_are_all_reported(self) -> None:
        new = small_schema()
        del new["properties"]["note"]
        new["$defs"]["Reason"]["enum"].append("refinanced")

        assert sorted(breaking_changes(small_schema(), new)) == [
            "$.note: field removed",
            "$.reason: enum values added (old readers would refuse them): ['refinanced']",
        ]

    def test_a_required_property_becoming_optional_is_breaking(self) -> None:
        new = small_schema()
        new["required"].remove("reason")

        assert breaking_changes(small_schema(), new) != []


class TestExportedEventSchemas:
    """The same rules on the real schemas pydantic exports, mutated in a deep copy."""

    @pytest.fixture
    def loan_booked(self) -> Schema:
        return event_schema(LoanBooked)

    def test_the_exported_schema_is_compatible_with_itself(self, loan_booked: Schema) -> None:
        assert breaking_changes(loan_booked, copy.deepcopy(loan_booked)) == []

    def test_a_new_optional_payload_field_is_compatible(self, loan_booked: Schema) -> None:
        new = copy.deepcopy(loan_booked)
        new["$defs"]["LoanBooked"]["properties"]["branch_code"] = {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "default": None,
        }

        assert breaking_changes(loan_booked, new) == []

    def test_money_amount_becoming_a_number_breaks_every_amount(self, loan_booked: Schema) -> None:
        new = copy.deepcopy(loan_booked)
        new["$defs"]["Money"]["properties"]["amount"]["type"] = "number"

        problems = breaking_changes(loan_booked, new)

        # The loan principal and the three components of each scheduled installment.
        assert sorted(problem for problem in problems if "type changed" in problem) == [
            "$.payload.installments[].fee.amount: type changed from 'string' to 'number'",
            "$.payload.installments[].interest.amount: type changed from 'string' to 'number'",
            "$.payload.installments[].principal.amount: type changed from 'string' to 'number'",
            "$.payload.principal.amount: type changed from 'string' to 'number'",
        ]

    def test_a_field_removed_from_a_nested_def_is_breaking(self, loan_booked: Schema) -> None:
        new = copy.deepcopy(loan_booked)
        del new["$defs"]["ScheduledInstallment"]["properties"]["fee"]
        new["$defs"]["ScheduledInstallment"]["required"].remove("fee")

        assert breaking_changes(loan_booked, new) == ["$.payload.installments[].fee: field removed"]

    def test_a_nested_optional_field_becoming_required_is_breaking(self, loan_booked: Schema) -> None:
        new = copy.deepcopy(loan_booked)
        new["$defs"]["BorrowerContact"]["required"].append("email")

        assert breaking_changes(loan_booked, new) == ["$.payload.borrower.email: field is now required"]

    def test_a_new_allocation_order_is_breaking(self, loan_booked: Schema) -> None:
        new = copy.deepcopy(loan_booked)
        new["$defs"]["AllocationOrder"]["enum"].append("interest_principal_fee")

        assert breaking_changes(loan_booked, new) == [
            "$.payload.allocation_order: enum values added (old readers would refuse them): ['interest_principal_fee']"
        ]

    def test_a_removed_closure_reason_is_breaking(self) -> None:
        old = event_schema(LoanClosed)
        new = copy.deepcopy(old)
        new["$defs"]["LoanClosureReason"]["enum"].remove("sold")

        assert breaking_changes(old, new) == ["$.payload.reason: enum values removed: ['sold']"]

    def test_a_changed_date_format_is_breaking(self) -> None:
        old = event_schema(LoanClosed)
        new = copy.deepcopy(old)
        new["$defs"]["LoanClosed"]["properties"]["closed_on"]["format"] = "date-time"

        assert breaking_changes(old, new) == ["$.payload.closed_on: format changed from 'date' to 'date-time'"]

    def test_a_different_event_type_const_is_breaking(self) -> None:
        old = event_schema(LoanClosed)
        new = copy.deepcopy(old)
        new["properties"]["event_type"]["const"] = "LoanEnded"

        assert breaking_changes(old, new) == ["$.event_type: const changed from 'LoanClosed' to 'LoanEnded'"]
