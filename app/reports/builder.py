"""TEMPORARY stub while the real report builders are written: a workbook with a Summary sheet."""
from __future__ import annotations

import xlsxwriter


def build(kind, period, out, *, progress=None, locale="en") -> None:
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("Summary")
    sheet.write_row(0, 0, ["Indicator", "Value"])
    sheet.write_row(1, 0, ["Period", str(period)])
    if progress:
        progress(1.0)
    book.close()
