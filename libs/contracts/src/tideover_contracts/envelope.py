"""The envelope every message on every topic travels in (DESIGN.md §2)."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
)

#: Namespace for deterministic event ids: uuid5(EVENT_NAMESPACE, business key).
EVENT_NAMESPACE = uuid.UUID("6f1d3c9e-2b7a-5e44-9d0c-7a1f0e3b5c21")


class Event(BaseModel):
    """A fact one service tells the others: the payload of an envelope.

    Subclasses name their `event_type` and `schema_version`. Readers ignore unknown fields, so
    adding an optional field keeps the version (DESIGN.md §2, contract rules).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def partition_key(self) -> str:
        """The Kafka key: the loan id wherever the event concerns one loan."""
        loan_id = getattr(self, "loan_id", None)
        if loan_id is None:
            raise NotImplementedError(f"{type(self).__name__} must define its partition key")
        return str(loan_id)


PayloadT = TypeVar("PayloadT")


class Envelope(BaseModel, Generic[PayloadT]):
    """One message: identity, causality and the event itself."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(description="Idempotency key; uuid5 of a business key where a fact may be produced twice")
    event_type: str
    schema_version: int = Field(ge=1, strict=True)  # "1" is not a version: refused on every path
    occurred_at: AwareDatetime
    producer: str
    correlation_id: str
    causation_id: uuid.UUID | None = None
    payload: PayloadT

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def headers(self) -> dict[str, str]:
        """The Kafka headers that repeat the envelope's routing facts."""
        return {
            "event_type": self.event_type,
            "schema_version": str(self.schema_version),
            "correlation_id": self.correlation_id,
        }

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


EventT = TypeVar("EventT", bound=Event)


@functools.cache
def envelope_of(event_class: type[EventT]) -> type[Envelope[EventT]]:
    """`Envelope[event_class]`, looked up once: pydantic's own lookup of a parametrized model
    costs more than validating a small event."""
    return Envelope[event_class]  # type: ignore[valid-type]


def deterministic_id(*parts: object) -> uuid.UUID:
    """uuid5 of a business key, so that producing the same fact twice gives the same id."""
    return uuid.uuid5(EVENT_NAMESPACE, "|".join(str(part) for part in parts))


def wrap(
    event: EventT,
    *,
    producer: str,
    occurred_at: datetime,
    event_id: uuid.UUID | None = None,
    correlation_id: str | None = None,
    causation: Envelope[Any] | None = None,
) -> Envelope[EventT]:
    """Put `event` in an envelope; correlation flows from the causing envelope if any."""
    if correlation_id is None:
        correlation_id = causation.correlation_id if causation else str(uuid.uuid4())
    result: Envelope[EventT] = envelope_of(type(event))(
        event_id=event_id or uuid.uuid4(),
        event_type=event.event_type,
        schema_version=event.schema_version,
        occurred_at=occurred_at,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation.event_id if causation else None,
        payload=event,
    )
    return result


class MalformedMessageError(ValueError):
    """A message that no reader can understand; it belongs in the dead-letter topic."""


def _describe(errors: list[Any], skip: int = 0) -> str:
    parts = []
    for item in errors:
        where = ".".join(str(step) for step in item["loc"][skip:]) or "message"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_message(raw: bytes | str, event_types: dict[str, type[Event]]) -> Envelope[Event]:
    """Parse one message into its envelope and typed event, or explain why it cannot be.

    Raises MalformedMessageError with a readable reason for invalid JSON, an envelope that
    does not validate, an event type this reader does not know, or a payload that breaks
    the event's contract.
    """
    # The hot path of every consumer: the bytes validated at once, envelope and payload together
    # (the envelope's event_type chooses the payload's class). Whatever it refuses, or a
    # schema_version this reader does not read, is parsed again below to say why.
    if event_types:
        try:
            envelope: Envelope[Event] = _reader(_Readable(event_types)).validate_json(raw)
        except ValidationError:
            pass
        else:
            if envelope.schema_version == type(envelope.payload).schema_version:
                return envelope
    return _parse_explaining(raw, event_types)


class _Readable:
    """A reader's event types as a cache key: the same dict (a topic's, computed once) is the
    same key without hashing its items each message."""

    def __init__(self, event_types: dict[str, type[Event]]) -> None:
        self.event_types = event_types

    def __hash__(self) -> int:
        return id(self.event_types)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Readable) and other.event_types is self.event_types


@functools.lru_cache(maxsize=256)
def _reader(readable: _Readable) -> TypeAdapter[Envelope[Event]]:
    """Validates a message's bytes as the envelope of whichever of the event types it names."""
    members = tuple(Annotated[envelope_of(cls), Tag(name)] for name, cls in readable.event_types.items())

    def event_type(document: Any) -> Any:
        return document.get("event_type") if isinstance(document, dict) else getattr(document, "event_type", None)

    return TypeAdapter(Annotated[Union[members], Discriminator(event_type)])  # type: ignore[arg-type]  # noqa: UP007


def _parse_explaining(raw: bytes | str, event_types: dict[str, type[Event]]) -> Envelope[Event]:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedMessageError(f"invalid JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedMessageError("a message must be a JSON object")
    event_type = document.get("event_type")
    event_class = event_types.get(event_type) if isinstance(event_type, str) else None
    if event_class is None or document.get("schema_version") != event_class.schema_version:
        raise MalformedMessageError(_why_not_readable(document, event_class))
    try:
        return envelope_of(event_class).model_validate(document)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        if all(_inside_payload(item) for item in errors):
            raise MalformedMessageError(f"invalid {event_type}: {_describe(errors, skip=1)}") from None
        raise MalformedMessageError(f"invalid envelope: {_describe(errors)}") from None


def _inside_payload(error: Any) -> bool:
    """An error of the event itself (a field, or a rule across fields), not of the envelope."""
    location = error["loc"]
    return bool(location[:1] == ("payload",) and (len(location) > 1 or error["type"] == "value_error"))


def _why_not_readable(document: dict[str, Any], event_class: type[Event] | None) -> str:
    try:
        envelope = Envelope[dict[str, Any]].model_validate(document)
    except ValidationError as error:
        return f"invalid envelope: {_describe(error.errors(include_url=False))}"
    if event_class is None:
        return f"unknown event type {envelope.event_type!r}"
    return f"{envelope.event_type} schema_version {envelope.schema_version} is not {event_class.schema_version}"
