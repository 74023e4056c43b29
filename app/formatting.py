"""Jinja filters: money in RMB, times in Asia/Shanghai, numbers with separators — in the user's locale.

Babel does the formatting with explicit patterns, so the figures read the same in English and
Chinese where both write them the same way (¥1,234.56; 2026-11-27 18:03) and differ only where
a Chinese reader expects otherwise (large totals in 万 rather than millions).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.lists import format_list
from flask import Flask, current_app
from flask_babel import get_locale

#: Times: ISO-like in both languages, so tables line up and nobody misreads day and month.
DATETIME = "yyyy-MM-dd HH:mm"
DATETIME_SECONDS = "yyyy-MM-dd HH:mm:ss"
#: Large totals: millions in English; 万 (ten thousand) in Chinese, as Chinese tax tables count.
LARGE_UNITS = {"zh": (Decimal(10_000), "万"), "en": (Decimal(1_000_000), "m")}
# The strftime directives templates used before; local_time still accepts them.
_STRFTIME = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"}


ENGLISH = Locale("en")


def _locale() -> Locale:
    return get_locale() or ENGLISH  # None outside an app context


def _pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places > 0 else "")


def number(value, places: int = 0) -> str:
    """1,234,567 (or with `places` decimals)."""
    if value is None:
        return "—"
    return numbers.format_decimal(Decimal(value), format=_pattern(places), locale=_locale())


def money(value: Decimal | int | None, places: int = 2) -> str:
    """¥1,234,567.89 — exact, from a Decimal; ¥ in both languages (Babel's English says CN¥)."""
    if value is None:
        return "—"
    value = Decimal(value)
    text = numbers.format_decimal(abs(value), format=_pattern(places), locale=_locale())
    return f"{'-' if value < 0 and text.strip('0.,') else ''}¥{text}"


def money_m(value: Decimal | int | None) -> str:
    """Large totals for tables: ¥123.45 m in English, ¥12,345.00 万 in Chinese."""
    if value is None:
        return "—"
    divisor, unit = LARGE_UNITS.get(_locale().language, LARGE_UNITS["en"])
    return f"{money(Decimal(value) / divisor)} {unit}"


def _cldr(fmt: str) -> str:
    """A CLDR pattern; the strftime directives that templates used (%Y %m %d %H %M %S) are translated."""
    if "%" not in fmt:
        return fmt
    return re.sub(r"%.", lambda m: _STRFTIME[m.group(0)], fmt)  # KeyError: an unsupported directive


def local_time(value: datetime | None, fmt: str = DATETIME) -> str:
    """A UTC time shown in the office's time zone: a CLDR pattern (yyyy-MM-dd HH:mm), 'short' / 'medium'…"""
    if value is None:
        return "—"
    return dates.format_datetime(
        value, _cldr(fmt), tzinfo=ZoneInfo(current_app.config["TIMEZONE"]), locale=_locale()
    )


def day(value: date | None) -> str:
    """2026-11-27 in both languages."""
    return value.isoformat() if value else "—"


def names(items) -> str:
    """A list of names in the reader's language (CLDR's list patterns): "A, B, and C", "甲、乙和丙"."""
    items = [str(item) for item in items]
    return format_list(items, locale=_locale()) if items else ""


def register(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, money_m=money_m, number=number, local_time=local_time, day=day,
                                 names=names)

    from app.params import list_args
    from app.permissions import can_edit

    app.jinja_env.globals.update(can_edit=can_edit, list_args=list_args)
