"""The scheduler's settings (TIDEOVER_SCHEDULER_*): when days close and how often the clock ticks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.domain.calendar import CalendarKind, CloseCalendar


class SchedulerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDEOVER_SCHEDULER_", extra="ignore")

    cutoff: time = Field(default=time(18, 0), description="The local time each business day closes (HH:MM)")
    time_zone: str = Field(default="Asia/Shanghai", description="The lender's time zone (IANA name)")
    calendar: CalendarKind = Field(default=CalendarKind.EVERY_DAY, description="every-day, or weekdays")
    holidays: str = Field(default="", description="Dates not closed, ISO, separated by commas")
    tick_seconds: float = Field(default=300.0, gt=0, description="How often the clock ticks")
    poll_seconds: float = Field(default=5.0, gt=0, description="How often the scheduler looks at the time (and the lock)")
    first_date: date | None = Field(
        default=None, description="The first date to close when none was closed yet (default: the latest date due)"
    )
    now_file: Path | None = Field(
        default=None,
        description="Tests only (TIDEOVER_ENV=development): read the time from this file (an ISO instant)"
        " instead of the system clock",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name

    @field_validator("holidays")
    @classmethod
    def _dates(cls, text: str) -> str:
        for part in filter(None, (part.strip() for part in text.split(","))):
            date.fromisoformat(part)
        return text

    def close_calendar(self) -> CloseCalendar:
        holidays = frozenset(date.fromisoformat(part.strip()) for part in self.holidays.split(",") if part.strip())
        return CloseCalendar(cutoff=self.cutoff, zone=ZoneInfo(self.time_zone), kind=self.calendar, holidays=holidays)

    @property
    def tick_every(self) -> timedelta:
        return timedelta(seconds=self.tick_seconds)


class FileClock:
    """The time a test sets, read from a file at each look (TIDEOVER_SCHEDULER_NOW_FILE)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        at = datetime.fromisoformat(self._path.read_text().strip())
        if at.tzinfo is None:
            raise ValueError(f"{self._path}: the time must name its zone")
        return at

    def today(self) -> date:
        return self.now().date()
