"""The checked-in golden examples, JSON Schemas and AsyncAPI document match the models."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tideover_contracts.envelope import parse_message
from tideover_contracts.published import EXAMPLES_DIR, example_path, incompatibilities, stale_files
from tideover_contracts.topics import TOPICS, Topic

#: Every event class a topic carries: one version of an event type.
PUBLISHED = [(topic, event) for topic in TOPICS for event in topic.event_types]

EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("**/*.json"))


def _relative(path: Path) -> str:
    return path.relative_to(EXAMPLES_DIR).as_posix()


def _topic(path: Path) -> Topic:
    """The topic whose folder holds `path`."""
    return next(topic for topic in TOPICS if topic.name == path.parent.name)


def test_there_are_golden_examples_to_check() -> None:
    # Guards the parametrized tests below against silently running zero cases.
    assert EXAMPLE_FILES
    assert len(EXAMPLE_FILES) == len(PUBLISHED)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_relative)
def test_golden_example_parses_and_reserializes_to_the_same_document(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")

    classes = _topic(path).event_classes()
    envelope = parse_message(raw, classes)

    assert type(envelope.payload) is classes[envelope.event_type]
    assert json.loads(envelope.model_dump_json()) == json.loads(raw)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_relative)
def test_golden_example_sits_where_its_event_type_says(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    event = _topic(path).event_classes()[document["event_type"]]

    assert (path, document["schema_version"]) == (example_path(event), event.schema_version)


def test_every_event_type_has_exactly_one_golden_example_of_each_version_published() -> None:
    found = Counter(
        (_topic(path).name, document["event_type"], document["schema_version"])
        for path in EXAMPLE_FILES
        if (document := json.loads(path.read_text(encoding="utf-8")))
    )

    assert set(found) == {(topic.name, event.event_type, event.schema_version) for topic, event in PUBLISHED}
    assert [key for key, count in found.items() if count != 1] == []


def test_checked_in_schemas_examples_and_asyncapi_match_the_models() -> None:
    assert stale_files() == []


def test_models_are_compatible_with_the_checked_in_schemas() -> None:
    assert incompatibilities() == {}
