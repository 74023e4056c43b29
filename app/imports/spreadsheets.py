"""The downloadable templates of the web imports: an .xlsx (header row, plus a Notes sheet) and a .csv.

The .xlsx's first sheet is the one imported, so it holds only the header row; each column's format
and an example are on the second sheet, "Notes". Codes, months and units are formatted as text, so
Excel neither turns an all-digit USCC into 9.14E+17 nor a unit such as 12-03 into a date.
"""
from __future__ import annotations

import csv
import io
from typing import NamedTuple

from flask_babel import LazyString, gettext as _, lazy_gettext as _l

from app.models import INDUSTRIES, HQType, ImportKind, KeyTier
from app.services.imports import ENTERPRISE_COLUMNS, TAX_COLUMNS


class Column(NamedTuple):
    #: The header the import reads: never translated.
    name: str
    required: bool
    #: What to type, in the reader's language (lazy).
    format: str
    example: str
    #: "text" (stored as typed), "money", "date", or "" (Excel's General)
    kind: str = ""
    #: Values offered in a drop-down (the cell still accepts the others the import knows).
    choices: tuple[str, ...] = ()


def _values(enum_cls) -> str:
    return ", ".join(m.value for m in enum_cls)


def _industries() -> str:
    return _("GB/T 4754 section letter A–T (%(sections)s).",
             sections="; ".join(f"{code} {label}" for code, label in INDUSTRIES.items()))


COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.tax: (
        Column("uscc", True, _l(
            "The enterprise's Unified Social Credit Code (统一社会信用代码): 18 characters, digits and capital letters "
            "except I, O, S, V, Z; spaces and lower case are tidied up. The enterprise must already be in the "
            "register."), "914403001922038216", "text"),
        Column("month", True, _l("The month the tax was paid for, as YYYY-MM. One row per enterprise and month."),
               "2026-10", "text"),
        Column("total_tax", True, _l("Total tax paid that month, in RMB: a number of at least 0 with at most 2 "
               "decimal places, without ¥ (thousands separators are fine)."), "1234567.89", "money"),
        Column("district_tax", True, _l("The district-retained part (区级税收), in RMB, the same way; not more than "
               "total_tax."), "345678.90", "money"),
    ),
    ImportKind.enterprises: (
        Column("uscc", True, _l(
            "The enterprise's Unified Social Credit Code (统一社会信用代码): 18 characters, digits and capital letters "
            "except I, O, S, V, Z; spaces and lower case are tidied up. A code already in the register updates that "
            "enterprise; a new one adds it."), "914403001922038216", "text"),
        Column("name", True, _l("Legal name in English, at most 200 characters."),
               "COACH (Shanghai) Trading Co., Ltd.", "text"),
        Column("name_zh", False, _l("Legal name in Chinese, at most 200 characters."), "蔻驰（上海）商贸有限公司",
               "text"),
        Column("industry", True, LazyString(_industries), "F", "text", tuple(INDUSTRIES)),
        Column("hq_type", False, _l("One of %(values)s. Empty means none.", values=_values(HQType)), "regional-hq",
               "text", tuple(m.value for m in HQType)),
        Column("building", False, _l("The building's name as registered, in English or Chinese. Empty means no "
               "building."), "Plaza 66", "text"),
        Column("unit", False, _l("Floor and unit, at most 40 characters."), "12-03", "text"),
        Column("employees", False, _l("Number of employees: a whole number of at least 0."), "250"),
        Column("moved_in", False, _l("The date the enterprise moved in, as YYYY-MM-DD."), "2021-06-01", "date"),
        Column("registered_in_district", False, _l("yes or no: whether its registered address (and so its tax) is "
               "in the district. Empty means yes."), "yes", "text", ("yes", "no")),
        Column("key_tier", False, _l("One of %(values)s. Empty means normal.", values=_values(KeyTier)), "district-key",
               "text", tuple(m.value for m in KeyTier)),
    ),
}

#: What every template says under its columns.
GENERAL_NOTES = {
    ImportKind.tax: (
        _l("Fill in the first sheet, one row per enterprise and month, and upload it as .xlsx (or save it as CSV "
           "UTF-8). Every row is checked first: if any row has a mistake, nothing is imported and you get a sheet of "
           "errors naming the row, the column and the reason. A month already imported for an enterprise is replaced "
           "by the new figures; importing the same file twice changes nothing the second time."),
    ),
    ImportKind.enterprises: (
        _l("Fill in the first sheet, one row per enterprise, and upload it as .xlsx (or save it as CSV UTF-8). "
           "Every row is checked first: if any row has a mistake, nothing is imported and you get a sheet of errors "
           "naming the row, the column and the reason. Enterprises are matched by USCC; importing the same file "
           "twice changes nothing the second time."),
        _l("A row is the enterprise's whole record for these columns: an empty optional cell clears what is stored "
           "(hq_type, registered_in_district and key_tier go back to their defaults). Status, the responsible "
           "officer and contact details are not in the file and are left as they are."),
    ),
}

SHEET_TITLES = {ImportKind.tax: _l("Tax records"), ImportKind.enterprises: _l("Enterprises")}


def template_name(kind: ImportKind, suffix: str) -> str:
    return f"butler-import-{kind.value}-template.{suffix}"


def template_csv(kind: ImportKind) -> bytes:
    """The header row as UTF-8 CSV with a byte-order mark (so Excel opens Chinese text correctly)."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow([c.name for c in COLUMNS[kind]])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(kind: ImportKind) -> bytes:
    """An .xlsx whose first sheet has the header row (typed columns, drop-downs) and a Notes sheet."""
    import xlsxwriter

    columns = COLUMNS[kind]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = book.add_format({"bold": True, "bg_color": "#E5E7EB", "border": 1, "num_format": "@"})
    formats = {
        "text": book.add_format({"num_format": "@"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "": None,
    }
    sheet = book.add_worksheet(str(SHEET_TITLES[kind]))
    for i, column in enumerate(columns):
        sheet.set_column(i, i, max(14, len(column.name) + 4, min(len(column.example) + 4, 40)), formats[column.kind])
        sheet.write_string(0, i, column.name, header)
        if column.choices:
            sheet.data_validation(1, i, 1_048_575, i, {
                "validate": "list", "source": list(column.choices), "ignore_blank": True,
                "error_type": "warning", "input_title": column.name,
                "input_message": _("One of: %(values)s. The Notes sheet says what each means.",
                                   values=", ".join(column.choices)),
            })
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet(_("Notes"))
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True, "valign": "top"})
    notes.set_column(0, 0, 24)
    notes.set_column(1, 1, 11)
    notes.set_column(2, 2, 80, wrap)
    notes.set_column(3, 3, 32, wrap)
    notes.write_row(0, 0, [_("Column"), _("Required"), _("Format"), _("Example")], header)
    for row, column in enumerate(columns, start=1):
        notes.write_string(row, 0, column.name, bold)
        notes.write_string(row, 1, _("required") if column.required else _("optional"))
        notes.write_string(row, 2, str(column.format), wrap)
        notes.write_string(row, 3, column.example, wrap)
    row = len(columns) + 2
    for paragraph in GENERAL_NOTES[kind]:
        notes.merge_range(row, 0, row, 3, str(paragraph), wrap)
        notes.set_row(row, 48)
        row += 1
    notes.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()

