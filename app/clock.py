"""The one place the app takes 'now' from, so tests can move time without sleeping."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def today() -> date:
    """Today's date in the office's time zone (Asia/Shanghai)."""
    return now().astimezone(LOCAL_TZ).date()


def freeze(at: datetime | None) -> None:
    """Tests only: pin 'now' to a UTC time (None releases it)."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    _frozen = at
