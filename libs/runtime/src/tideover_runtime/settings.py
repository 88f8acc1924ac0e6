"""Settings from the environment (prefix TIDEOVER_, plus the usual KAFKA_ and DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tideover_contracts.common import Language
from tideover_contracts.policy import ChargeCaps, PlanRules, payment_instructions


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "TIDEOVER_KAFKA_BOOTSTRAP_SERVERS"),
    )
    database_url: str = Field(
        default="postgresql://tideover:tideover@127.0.0.1:5432/tideover?sslmode=disable",
        validation_alias=AliasChoices("DATABASE_URL", "TIDEOVER_DATABASE_URL"),
    )
    topic_prefix: str = Field(default="", description="Prefix for every topic name (isolates test runs)")
    http_host: str = "127.0.0.1"
    http_port: int = 0
    log_level: str = "INFO"
    pool_min_size: int = 1
    pool_max_size: int = 5
    handler_attempts: int = Field(default=3, ge=1, description="Tries before a failing message goes to the DLQ")
    retry_backoff_seconds: float = 0.2
    batch_size: int = Field(default=500, ge=1, description="Messages handled in one transaction at most")
    fetch_max_wait_ms: int = Field(
        default=500,
        ge=1,
        le=5000,
        description=(
            "How long a consumer's fetch may wait for new messages. While one is in flight, a partition"
            " left out of it (its messages still being handled) waits as long: a simulated day, a chain of"
            " hops between services, asks for less"
        ),
    )
    outbox_batch_size: int = 2000
    outbox_poll_seconds: float = 1.0
    lag_interval_seconds: float = Field(default=10.0, gt=0, description="How often /metrics' consumer lag is measured")
    inbox_retention_days: int = Field(
        default=14,
        ge=1,
        description="Days an inbox row is kept: longer than Kafka keeps the topics it guards (7 days,"
        " KAFKA_LOG_RETENTION_HOURS), so that no message still on a topic is handled twice",
    )
    outbox_retention_hours: int = Field(
        default=24, ge=1, description="Hours a published outbox row is kept; an unpublished one is always kept"
    )
    retention_batch_size: int = Field(
        default=1000, ge=1, le=100_000, description="Rows retention deletes in one transaction at most"
    )
    retention_every_seconds: float = Field(default=300.0, gt=0, description="How often retention runs")
    clock: str = Field(default="system", pattern="^(system|business)$")
    env: str = Field(
        default="production",
        pattern="^(production|development)$",
        description="`development` (set by deploy/services.sh and the test harness) relaxes what production"
        " requires: secrets from settings, Secure cookies",
    )

    @property
    def development(self) -> bool:
        """Running on a developer's machine or in the tests (TIDEOVER_ENV=development)."""
        return self.env == "development"

    def topic(self, name: str) -> str:
        """The physical topic name for a registry name."""
        return self.topic_prefix + name


class PlanRulesSettings(BaseSettings):
    """The plan terms (tideover_contracts.policy.PlanRules) from TIDEOVER_PLAN_GRACE_DAYS,
    TIDEOVER_PLAN_TOLERANCE_SHARE, TIDEOVER_PLAN_TOLERANCE_FLOOR, TIDEOVER_PLAN_MISSES_TO_BREAK and
    TIDEOVER_PLAN_UNPAID_DAYS_TO_BREAK: repayment-tracking judges plans by them and notification's
    written plan states them, each reading the same variables."""

    model_config = SettingsConfigDict(env_prefix="TIDEOVER_PLAN_", extra="ignore")

    grace_days: int = PlanRules.grace_days
    tolerance_share: Decimal = PlanRules.tolerance_share
    tolerance_floor: Decimal = PlanRules.tolerance_floor
    misses_to_break: int = PlanRules.misses_to_break
    unpaid_days_to_break: int = PlanRules.unpaid_days_to_break

    def rules(self) -> PlanRules:
        return PlanRules(**self.model_dump())


class ChargeCapsSettings(BaseSettings):
    """The CN charges cap (tideover_contracts.policy.ChargeCaps) from TIDEOVER_ONE_YEAR_LPR and
    TIDEOVER_LPR_MULTIPLE: overdue-detection caps the penalty by it and plan-calculation the rate
    a plan charges, each reading the same variables."""

    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    one_year_lpr: Decimal = ChargeCaps.one_year_lpr
    lpr_multiple: int = ChargeCaps.lpr_multiple

    def caps(self) -> ChargeCaps:
        return ChargeCaps(self.one_year_lpr, self.lpr_multiple)


class PaymentInstructionsSettings(BaseSettings):
    """How and where to pay (tideover_contracts.policy.HOW_TO_PAY) with TIDEOVER_PAYMENT_INSTRUCTIONS
    over it, one text per language as JSON: notification's written plan and intake's borrower page
    state it, each reading the same variable."""

    model_config = SettingsConfigDict(env_prefix="TIDEOVER_", extra="ignore")

    payment_instructions: dict[str, str] = {}

    def texts(self) -> Mapping[Language, str]:
        return payment_instructions(self.payment_instructions)


#: As many characters as a random 32-byte secret has in base64 (`openssl rand -base64 32`).
MIN_SECRET_LENGTH = 32


class MissingSecretError(RuntimeError):
    """A server-side secret is missing, short, or the development one, outside development."""


def server_secret(secret: SecretStr | None, development: bool, development_secret: str, error: str) -> bytes:
    """A server-side secret as bytes (DESIGN.md §5): in development, the one given or the public
    development one; elsewhere one of at least MIN_SECRET_LENGTH characters that is not the
    development one, else MissingSecretError with `error`. The rule of the link's and the
    one-time codes' secrets alike."""
    value = secret.get_secret_value() if secret is not None else None
    if development:
        return (value or development_secret).encode()
    if value is None or value == development_secret or len(value) < MIN_SECRET_LENGTH:
        raise MissingSecretError(error)
    return value.encode()
