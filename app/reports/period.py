"""The month a report covers, and the boundaries its figures are computed over.

Months are Shanghai calendar months: a request received at 23:30 on 31 March Shanghai time
(15:30 UTC) belongs to March. ``as_of`` is the end of the month as a UTC instant: every figure
is "as of the end of M": request states, milestones and ratings are taken from their timestamps,
so they read the same whenever the report is generated. Enterprise attributes that have no
history (building, key tier, registered-in-district) are taken as currently recorded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from app.clock import LOCAL_TZ as SHANGHAI

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """Not a month as YYYY-MM."""


def shift(month: str, months: int) -> str:
    """'2026-03' shifted by `months` (negative: earlier)."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    month: str  # 'YYYY-MM'

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = _PERIOD.match((text or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2999:
            raise PeriodError(f"{text!r} is not a month as YYYY-MM (for example 2026-10)")
        return cls(match.group(0))

    @classmethod
    def previous(cls, now: datetime) -> "Period":
        """The month before the one `now` falls in, in Shanghai time."""
        local = now.astimezone(SHANGHAI)
        return cls(shift(f"{local.year:04d}-{local.month:02d}", -1))

    @property
    def year(self) -> int:
        return int(self.month[:4])

    @property
    def number(self) -> int:
        """1 for January ... 12 for December: the months the year to date covers."""
        return int(self.month[5:7])

    @property
    def year_start(self) -> str:
        return f"{self.year:04d}-01"

    @property
    def last_year(self) -> str:
        """The same month a year earlier."""
        return shift(self.month, -12)

    @property
    def last_year_start(self) -> str:
        return f"{self.year - 1:04d}-01"

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    @cached_property
    def last_day(self) -> date:
        return date.fromisoformat(shift(self.month, 1) + "-01") - timedelta(days=1)

    @property
    def year_first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def start(self) -> datetime:
        """The first instant of the month (UTC)."""
        return datetime.combine(self.first_day, time(), SHANGHAI).astimezone(timezone.utc)

    @property
    def as_of(self) -> datetime:
        """The end of the month: the first instant of the next month (UTC); figures are as of then."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), SHANGHAI).astimezone(timezone.utc)

    def trailing(self, months: int) -> list[str]:
        """The `months` months ending with this one, oldest first."""
        return [shift(self.month, -k) for k in range(months - 1, -1, -1)]

    def __str__(self) -> str:
        return self.month
