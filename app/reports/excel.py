"""Writing report workbooks with XlsxWriter: formats, tables, the Summary and cover sheets, charts.

Every cell is written with an explicit type: text with ``write_string`` (never parsed as a
formula, a number or a URL — the workbook is also opened with those conversions off), and text
that starts like a formula (= + - @) additionally gets Excel's quote prefix, so editing the cell
in Excel cannot turn it into one either. Money is written as numbers formatted as RMB with
thousands separators; rates are fractions formatted as percentages.

Every string a reader sees is translated with gettext when the workbook is built, in the locale
build_report() forces (README, "Translations"). Except the Summary sheet: its name, its header row
(Indicator, Value) and its first column (each indicator's English key) are the same in every
language, for the tests and the programs that read the workbooks.
"""
from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import pandas as pd
import xlsxwriter
from flask_babel import gettext as _
from xlsxwriter.worksheet import Worksheet

from app.clock import LOCAL_TZ

RMB = '"¥"#,##0.00'
PERCENT = "0.0%"
INTEGER = "#,##0"
DECIMAL = "#,##0.00"
FORMULA_START = ("=", "+", "-", "@")
#: Column widths, in characters, are fitted between these.
MIN_WIDTH, MAX_WIDTH = 6, 60


@dataclass(frozen=True)
class Col:
    """A table column: the DataFrame column, its header, and how its values are written."""

    key: str
    header: str
    kind: str = "text"  # text | rmb | pct | int | num | date | datetime


@dataclass(frozen=True)
class Table:
    """Where a table landed, for charts: sheet, first and last data rows, and its columns."""

    sheet: str
    first_row: int
    last_row: int  # < first_row when the table has no rows
    columns: tuple[str, ...]

    def col(self, key: str) -> int:
        return self.columns.index(key)

    @property
    def empty(self) -> bool:
        return self.last_row < self.first_row


@dataclass(frozen=True)
class Indicator:
    name: str  # the English key, the same in every language (the Summary sheet's first column)
    value: Any  # Decimal, int, float or None (shown as "n/a")
    kind: str  # rmb | pct | int
    definition: str
    label: str | None = None  # the name in the report's language (the cover); None: the key

    @property
    def title(self) -> str:
        return self.label or self.name


#: The Summary sheet's name and header row: never translated (see the module docstring).
SUMMARY, SUMMARY_HEADER = "Summary", ("Indicator", "Value")
#: Characters Excel refuses in a sheet name.
SHEET_FORBIDDEN = set('[]:*?/\\')


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def display_width(text: str) -> int:
    """Characters as Excel shows them: CJK (wide) characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _number_width(kind: str, number: float) -> int:
    """How wide a number shows in its format (RMB, percentage, integer, decimal)."""
    if kind == "rmb":
        return len(f"¥{number:,.2f}")
    if kind == "pct":
        return len(f"{number:.1%}")
    if kind == "int":
        return len(f"{number:,.0f}")
    return len(f"{number:,.2f}")


class Book:
    """One report workbook."""

    def __init__(self, out: str | os.PathLike | IO[bytes]):
        self.wb = xlsxwriter.Workbook(
            out if not isinstance(out, os.PathLike) else os.fspath(out),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "remove_timezone": True,
                # Rows are written in order (every sheet is written top to bottom), so each row
                # goes to disk when the next begins: memory stays flat however long a sheet is.
                "constant_memory": True,
            },
        )
        add = self.wb.add_format
        self.formats = {
            "header": add({"bold": True, "bg_color": "#1F3A5F", "font_color": "#FFFFFF", "text_wrap": True,
                           "valign": "top", "border": 1, "border_color": "#D0D7E2"}),
            "title": add({"bold": True, "font_size": 16, "font_color": "#1F3A5F"}),
            "subtitle": add({"bold": True, "font_size": 12, "font_color": "#1F3A5F"}),
            "label": add({"bold": True, "valign": "top"}),
            "note": add({"italic": True, "font_color": "#6B7280", "text_wrap": True, "valign": "top"}),
            "wrap": add({"text_wrap": True, "valign": "top"}),
            "text": add({}),
            "text_quoted": add({"quote_prefix": True}),
            "rmb": add({"num_format": RMB}),
            "pct": add({"num_format": PERCENT}),
            "int": add({"num_format": INTEGER}),
            "num": add({"num_format": DECIMAL}),
            "date": add({"num_format": "yyyy-mm-dd", "align": "left"}),
            "datetime": add({"num_format": "yyyy-mm-dd hh:mm", "align": "left"}),
            "na": add({"font_color": "#6B7280", "align": "right"}),
        }

    # ------------------------------------------------------------------ cells

    def write(self, ws: Worksheet, row: int, col: int, value: Any, kind: str = "text") -> int:
        """Write one value with its type; returns the width it needs."""
        if is_missing(value):
            return 0
        if kind in ("rmb", "pct", "int", "num"):
            if isinstance(value, str):  # "n/a" and the like
                ws.write_string(row, col, value, self.formats["na"])
                return len(value)
            number = float(value)
            ws.write_number(row, col, number, self.formats[kind])
            return _number_width(kind, number)
        if kind in ("date", "datetime") and isinstance(value, (date, datetime)):
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
            ws.write_datetime(row, col, value, self.formats[kind])
            return 16 if kind == "datetime" else 10
        return self.write_text(ws, row, col, value)

    def write_text(self, ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> int:
        text = str(getattr(value, "value", value))
        if text.startswith(FORMULA_START):
            style = self.formats["text_quoted"]
        else:
            style = self.formats[fmt] if fmt else None
        ws.write_string(row, col, text, style)
        return display_width(text)

    # ------------------------------------------------------------------ sheets

    def sheet(self, name: str) -> Worksheet:
        name = str(name)
        if len(name) > 31 or SHEET_FORBIDDEN & set(name):  # a translation that Excel would refuse
            raise ValueError(f"Not a valid sheet name: {name!r}")
        return self.wb.add_worksheet(name)

    def _prepare(self, ws: Worksheet, series: pd.Series, kind: str) -> tuple[list, int]:
        """A column's cells as (write method, value, format), None where empty, and its width."""
        out: list = []
        width = 0
        string, number_, when = ws.write_string, ws.write_number, ws.write_datetime
        if kind in ("rmb", "pct", "int", "num"):
            fmt, na = self.formats[kind], self.formats["na"]
            low = high = None
            for value in series.tolist():
                if is_missing(value):
                    out.append(None)
                elif isinstance(value, str):  # "n/a" and the like
                    out.append((string, value, na))
                    width = max(width, len(value))
                else:
                    number = float(value)
                    out.append((number_, number, fmt))
                    low = number if low is None or number < low else low
                    high = number if high is None or number > high else high
            if high is not None:
                width = max(width, _number_width(kind, high), _number_width(kind, low))
            return out, width
        if kind in ("date", "datetime"):
            fmt = self.formats[kind]
            for value in series.tolist():
                if is_missing(value):
                    out.append(None)
                elif isinstance(value, (date, datetime)):
                    if isinstance(value, datetime) and value.tzinfo is not None:
                        value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
                    out.append((when, value, fmt))
                    width = max(width, 16 if kind == "datetime" else 10)
                else:
                    text = str(getattr(value, "value", value))
                    out.append((string, text, self.formats["text_quoted"] if text.startswith(FORMULA_START) else None))
                    width = max(width, display_width(text))
            return out, width
        quoted = self.formats["text_quoted"]
        for value in series.tolist():
            if is_missing(value):
                out.append(None)
                continue
            text = str(getattr(value, "value", value))
            out.append((string, text, quoted if text.startswith(FORMULA_START) else None))
            width = max(width, display_width(text))
        return out, width

    def table(self, ws: Worksheet, frame: pd.DataFrame, columns: Sequence[Col], *, first_row: int = 0,
              empty_note: str | None = None, freeze: bool = True, widths: dict[int, int] | None = None
              ) -> Table:
        """A header row and one row per record, the header frozen, widths fitted. An empty frame
        gets a note row saying so."""
        widths = widths if widths is not None else {}
        ws.set_row(first_row, 30)
        for c, column in enumerate(columns):
            ws.write_string(first_row, c, column.header, self.formats["header"])
            widths[c] = max(widths.get(c, 0), max(display_width(w) for w in column.header.split()) + 2)
        if freeze:
            ws.freeze_panes(first_row + 1, 0)
        row = first_row
        if frame.empty:
            row += 1
            ws.write_string(row, 0, empty_note or _("No data for this month."), self.formats["note"])
        else:
            # Column by column: each value converted once and the widths measured over the column
            # (not per cell); then written row by row, in order, as constant-memory mode needs.
            prepared = [self._prepare(ws, frame[column.key], column.kind) for column in columns]
            for c, (_cells, width) in enumerate(prepared):
                widths[c] = max(widths.get(c, 0), width)
            cells = [p[0] for p in prepared]
            for values in zip(*cells):
                row += 1
                for c, cell in enumerate(values):
                    if cell is not None:
                        cell[0](row, c, cell[1], cell[2])
        self.fit(ws, widths)
        data_first = first_row + 1
        return Table(ws.name, data_first, row if not frame.empty else data_first - 1, tuple(c.key for c in columns))

    def fit(self, ws: Worksheet, widths: dict[int, int]) -> None:
        for c, width in widths.items():
            ws.set_column(c, c, min(MAX_WIDTH, max(MIN_WIDTH, width + 2)))

    def summary(self, indicators: Iterable[Indicator]) -> Worksheet:
        """The Summary sheet: Indicator | Value, one row per indicator by its English key, in every language."""
        ws = self.sheet(SUMMARY)
        for col, header in enumerate(SUMMARY_HEADER):
            ws.write_string(0, col, header, self.formats["header"])
        ws.freeze_panes(1, 0)
        widths = {0: 12, 1: 14}
        for row, indicator in enumerate(indicators, start=1):
            widths[0] = max(widths[0], self.write_text(ws, row, 0, indicator.name))
            value = "n/a" if indicator.value is None else indicator.value
            widths[1] = max(widths[1], self.write(ws, row, 1, value, indicator.kind))
        self.fit(ws, widths)
        return ws

    def cover(self, title: str, period: str, generated: datetime, indicators: Iterable[Indicator],
              notes: Iterable[str] = (), sections: Iterable[str] = ()) -> Worksheet:
        """The cover sheet: title, period, generation time, notes (e.g. "no data"), the sheets,
        and the definition of every indicator (in another language than English, also its English
        key in the Summary sheet)."""
        indicators = list(indicators)
        keyed = any(i.title != i.name for i in indicators)
        ws = self.sheet(_("Cover"))
        ws.hide_gridlines(2)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 100)
        if keyed:
            ws.set_column(2, 2, 28)
        ws.write_string(0, 0, title, self.formats["title"])
        ws.write_string(2, 0, _("Period"), self.formats["label"])
        ws.write_string(2, 1, period)
        ws.write_string(3, 0, _("Generated"), self.formats["label"])
        ws.write_string(3, 1, _("%(time)s (Asia/Shanghai)",
                                time=generated.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")))
        ws.write_string(4, 0, _("Produced by"), self.formats["label"])
        ws.write_string(4, 1, _("Business District Butler — Jing'an Temple Sub-district"))
        row = 6
        for note in notes:
            ws.write_string(row, 0, _("Note"), self.formats["label"])
            ws.write_string(row, 1, note, self.formats["wrap"])
            row += 1
        sections = list(sections)
        if sections:
            row += 1
            ws.write_string(row, 0, _("Sheets"), self.formats["subtitle"])
            row += 1
            for name in sections:
                ws.write_string(row, 1, name)
                row += 1
        row += 1
        ws.write_string(row, 0, _("Indicator"), self.formats["header"])
        ws.write_string(row, 1, _("Definition"), self.formats["header"])
        if keyed:
            ws.write_string(row, 2, _("Name in the Summary sheet"), self.formats["header"])
        for indicator in indicators:
            row += 1
            ws.write_string(row, 0, indicator.title, self.formats["label"])
            ws.write_string(row, 1, indicator.definition, self.formats["wrap"])
            if keyed:
                ws.write_string(row, 2, indicator.name)
        return ws

    def close(self) -> None:
        self.wb.close()
