"""Column types shared by the models: exact money and UTC timestamps."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator

#: RMB amounts: NUMERIC(18,2), read back as Decimal, never float.
Money = Numeric(18, 2, asdecimal=True)
#: Areas in square metres.
Area = Numeric(12, 2, asdecimal=True)

ZERO = Decimal("0.00")


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC (SQLite forgets the zone; this restores it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """The current time in UTC, from the app's clock (see app.clock)."""
    from app import clock

    return clock.now()
