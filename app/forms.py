"""Helpers shared by every form: input filters and select options."""
from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    value = strip(value)
    return value or None


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]
