"""Jinja filters: money in RMB, times in Asia/Shanghai, numbers with separators."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def money(value: Decimal | int | None, places: int = 2) -> str:
    """¥1,234,567.89 — exact, from a Decimal."""
    if value is None:
        return "—"
    return f"¥{Decimal(value):,.{places}f}"


def money_m(value: Decimal | int | None) -> str:
    """Millions of RMB, for tables of large totals: ¥123.45 m."""
    if value is None:
        return "—"
    return f"¥{Decimal(value) / Decimal(1_000_000):,.2f} m"


def number(value, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.{places}f}"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in the office's time zone."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, money_m=money_m, number=number, local_time=local_time, day=day)

    from app.params import list_args
    from app.permissions import can_edit

    app.jinja_env.globals.update(can_edit=can_edit, list_args=list_args)
