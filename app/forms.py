"""Helpers shared by every form: input filters and select options."""
from __future__ import annotations

from collections.abc import Iterable

import wtforms
from wtforms import SelectChoice


class DecimalField(wtforms.DecimalField):
    """A DecimalField that refuses NaN and infinities, which Decimal() accepts from "NaN" or
    "sNaN" and which then crash comparisons and NumberRange instead of failing validation."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


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
