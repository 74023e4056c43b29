"""The countdown to a due time as the page first shows it; static/js/countdown.js ticks it on.

The text and the thresholds here and in countdown.js must agree: "4:12 left", amber once less
than a fifth of the allowed time (due − start) remains, red "overdue 3:05" once past due, and
red whatever the time when the request is already breached. The words are translated: the
template gives countdown.js the same ones in data-* attributes (requests/_macros.html, clock).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

from flask_babel import gettext as _


def span(seconds: int) -> str:
    """A duration as m:ss, h:mm:ss, or "3d 4h" beyond a day (tracked requests run for days)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(days)sd %(hours)sh", days=days, hours=hours)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def iso_utc(value: datetime) -> str:
    """ISO-8601 in UTC with a Z, which every browser's Date.parse reads."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Countdown:
    due: datetime
    start: datetime
    now: datetime
    breached: bool = False

    @property
    def remaining(self) -> float:
        return (self.due - self.now).total_seconds()

    @property
    def tone(self) -> str:
        """ok, soon (amber: the last fifth of the allowed time) or overdue (red)."""
        if self.breached or self.remaining < 0:
            return "overdue"
        allowed = (self.due - self.start).total_seconds()
        return "soon" if self.remaining < allowed / 5 else "ok"

    @property
    def text(self) -> str:
        if self.remaining < 0:
            return _("overdue %(time)s", time=span(math.floor(-self.remaining)))
        return _("%(time)s left", time=span(math.floor(self.remaining)))

    @property
    def data(self) -> dict[str, str]:
        """The data-* attributes countdown.js reads (now: to correct a wrong clock in the browser)."""
        attrs = {"data-due": iso_utc(self.due), "data-start": iso_utc(self.start), "data-now": iso_utc(self.now)}
        if self.breached:
            attrs["data-breached"] = "1"
        return attrs


def countdown(due: datetime | None, start: datetime | None, now: datetime, breached: bool = False) -> Countdown | None:
    """The countdown to `due`, or None when nothing is due (every milestone met)."""
    if due is None or start is None:
        return None
    return Countdown(due=due, start=start, now=now, breached=breached)
