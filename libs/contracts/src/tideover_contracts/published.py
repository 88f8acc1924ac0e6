"""The published artefacts of the contracts: JSON Schemas, golden examples, AsyncAPI.

They are generated from the models, checked in under `libs/contracts/`, and guarded by the
contract tests: the checked-in files must match the models, and a regeneration that would
break compatibility with what was published is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tideover_contracts.compatibility import breaking_changes
from tideover_contracts.envelope import Envelope, Event
from tideover_contracts.examples import golden_envelopes
from tideover_contracts.topics import TOPICS, Topic, topic_of

CONTRACTS_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = CONTRACTS_ROOT / "schemas"
EXAMPLES_DIR = CONTRACTS_ROOT / "examples"
ASYNCAPI_PATH = CONTRACTS_ROOT / "asyncapi.json"


def event_schema(event: type[Event]) -> dict[str, Any]:
    schema = Envelope[event].model_json_schema(mode="validation")  # type: ignore[valid-type]
    schema["title"] = f"{event.event_type} v{event.schema_version}"
    schema["description"] = (event.__doc__ or "").strip()
    schema["properties"]["event_type"]["const"] = event.event_type
    return schema


def schema_path(event: type[Event]) -> Path:
    return SCHEMAS_DIR / topic_of(event).name / f"{event.event_type}.v{event.schema_version}.schema.json"


def example_path(event: type[Event]) -> Path:
    return EXAMPLES_DIR / topic_of(event).name / f"{event.event_type}.v{event.schema_version}.json"


def message_name(event: type[Event]) -> str:
    """The event's name in the AsyncAPI document: its type, and its version from version 2 on."""
    return event.event_type if event.schema_version == 1 else f"{event.event_type}.v{event.schema_version}"


def _channel(topic: Topic) -> dict[str, Any]:
    return {
        "address": topic.name,
        "description": f"{topic.description} Producer: {topic.producer}. Consumers: {', '.join(topic.consumers)}. "
        f"Key: {topic.key}. Partitions: {topic.partitions}. Dead letters: {topic.dlq}.",
        "messages": {message_name(e): {"$ref": f"#/components/messages/{message_name(e)}"} for e in topic.event_types},
    }


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 document for every topic, for gateway and upstream teams."""
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        for event in topic.event_types:
            messages[message_name(event)] = {
                "name": event.event_type,
                "contentType": "application/json",
                "summary": (event.__doc__ or "").strip().splitlines()[0] if event.__doc__ else event.event_type,
                "headers": {
                    "type": "object",
                    "properties": {name: {"type": "string"} for name in ("event_type", "schema_version", "correlation_id")},
                },
                "payload": {"$ref": f"#/components/schemas/{message_name(event)}"},
            }
            schemas[message_name(event)] = {"$ref": f"./{schema_path(event).relative_to(CONTRACTS_ROOT).as_posix()}"}
        operations[f"publish.{topic.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic.name}"},
            "summary": f"{topic.producer} publishes",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tideover events",
            "version": "1.0.0",
            "description": "Every topic of Tideover. Messages are JSON envelopes keyed by loan_id; money is a decimal string.",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": {topic.name: _channel(topic) for topic in TOPICS},
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def rendered() -> dict[Path, str]:
    """Every published file and the text it must hold."""
    files: dict[Path, str] = {}
    for topic in TOPICS:
        for event in topic.event_types:
            files[schema_path(event)] = _dumps(event_schema(event))
    for envelope in golden_envelopes():
        files[example_path(type(envelope.payload))] = _dumps(json.loads(envelope.model_dump_json()))
    files[ASYNCAPI_PATH] = _dumps(asyncapi_document())
    return files


def _dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def incompatibilities() -> dict[str, list[str]]:
    """Breaking changes of the current models against the checked-in schemas."""
    found: dict[str, list[str]] = {}
    for topic in TOPICS:
        for event in topic.event_types:
            path = schema_path(event)
            if path.exists():
                problems = breaking_changes(json.loads(path.read_text()), event_schema(event))
                if problems:
                    found[message_name(event)] = problems
    return found


def stale_files() -> list[Path]:
    return [path for path, text in rendered().items() if not path.exists() or path.read_text() != text]


def export(allow_breaking: bool = False) -> list[Path]:
    """Write every published file; refuse a breaking change unless explicitly allowed."""
    problems = incompatibilities()
    if problems and not allow_breaking:
        lines = [f"{event}: {problem}" for event, items in problems.items() for problem in items]
        raise SystemExit("refusing to publish breaking changes (make a v2 topic instead):\n" + "\n".join(lines))
    written = []
    for path, text in rendered().items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written
