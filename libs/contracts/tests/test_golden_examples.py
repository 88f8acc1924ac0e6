"""The checked-in golden examples, JSON Schemas and AsyncAPI document match the models."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tideover_contracts.envelope import parse_message
from tideover_contracts.published import EXAMPLES_DIR, example_path, incompatibilities, stale_files
from tideover_contracts.topics import ALL_EVENT_TYPES

EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("**/*.json"))


def _relative(path: Path) -> str:
    return path.relative_to(EXAMPLES_DIR).as_posix()


def test_there_are_golden_examples_to_check() -> None:
    # Guards the parametrized tests below against silently running zero cases.
    assert EXAMPLE_FILES
    assert len(EXAMPLE_FILES) == len(ALL_EVENT_TYPES)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_relative)
def test_golden_example_parses_and_reserializes_to_the_same_document(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")

    envelope = parse_message(raw, ALL_EVENT_TYPES)

    assert type(envelope.payload) is ALL_EVENT_TYPES[envelope.event_type]
    assert json.loads(envelope.model_dump_json()) == json.loads(raw)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_relative)
def test_golden_example_sits_where_its_event_type_says(path: Path) -> None:
    event_type = json.loads(path.read_text(encoding="utf-8"))["event_type"]

    assert path == example_path(ALL_EVENT_TYPES[event_type])


def test_every_event_type_has_exactly_one_golden_example() -> None:
    found = Counter(json.loads(path.read_text(encoding="utf-8"))["event_type"] for path in EXAMPLE_FILES)

    assert set(found) == set(ALL_EVENT_TYPES)
    assert [event_type for event_type, count in found.items() if count != 1] == []


def test_checked_in_schemas_examples_and_asyncapi_match_the_models() -> None:
    assert stale_files() == []


def test_models_are_compatible_with_the_checked_in_schemas() -> None:
    assert incompatibilities() == {}
