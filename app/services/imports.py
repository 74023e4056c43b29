"""Imports of monthly tax records and enterprises from .xlsx or .csv files.

Every row is validated first and every problem collected as (row, column, reason), the row
numbered as the spreadsheet shows it (the header is row 1). A file with any error changes
nothing; a clean file is upserted in bulk (INSERT ... ON CONFLICT DO UPDATE) and rows whose
values are already stored are skipped, so importing the same file twice changes nothing.
Services flush; the caller commits.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, Any, NamedTuple

from sqlalchemy import case, null, select

from app.extensions import db
from app.models import INDUSTRIES, Building, Enterprise, HQType, KeyTier, TaxRecord
from app.models.types import utcnow
from app.uscc import USCCProblem, check as check_uscc, normalise as normalise_uscc

TAX_COLUMNS = ("uscc", "month", "total_tax", "district_tax")
ENTERPRISE_COLUMNS = (
    "uscc", "name", "name_zh", "industry", "hq_type", "building", "unit", "employees", "moved_in",
    "registered_in_district", "key_tier",
)
SUFFIXES = (".xlsx", ".csv")
#: NUMERIC(18,2): at most 16 digits before the point.
MAX_AMOUNT = Decimal("1e16")
#: Rows per INSERT statement; large enough to amortise round trips, small enough for SQLite's variable limit.
CHUNK = 2000

Source = str | os.PathLike | IO[bytes]
#: Called with the fraction done, 0.0 to 1.0: validation is the first half, writing the second.
Progress = Callable[[float], None]


class ImportFileError(ValueError):
    """The file as a whole cannot be read: wrong type, empty, or missing columns."""


class RowError(NamedTuple):
    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged"


# --------------------------------------------------------------------------- reading


def read_rows(source: Source, filename: str | None = None, columns: Iterable[str] = ()) -> list[tuple[int, dict]]:
    """The data rows of the first sheet as (row number, {column: value}), blank rows skipped.

    Header names are matched case-insensitively; extra columns are ignored; missing ones raise.
    """
    name = filename or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else getattr(source, "name", ""))
    suffix = os.path.splitext(str(name))[1].lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(
            f"{os.path.basename(str(name)) or 'The file'} is not a supported file type: upload an .xlsx or a .csv file."
        )
    raw = _read_xlsx(source) if suffix == ".xlsx" else _read_csv(source)
    header = next(raw, None)
    while header is not None and _blank(header):  # leading blank rows before the header
        header = next(raw, None)
    if header is None:
        raise ImportFileError("The file is empty: it has no header row and no data.")
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        raise ImportFileError(
            "The sheet is missing the column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing)
            + " (expected header row: " + ", ".join(columns) + ")."
        )
    wanted = {c: names.index(c) for c in columns}
    rows = []
    for number, values in enumerate(raw, start=2):
        if _blank(values):
            continue
        values = list(values)
        rows.append((number, {c: values[i] if i < len(values) else None for c, i in wanted.items()}))
    if not rows:
        raise ImportFileError("The file has a header row but no data rows.")
    return rows


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _read_xlsx(source: Source) -> Iterator[tuple]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ImportFileError("The file is not a valid .xlsx workbook (save it from Excel as .xlsx).") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        # Materialised so the workbook (and its file handle) can be closed before validation.
        return iter(list(sheet.iter_rows(values_only=True)) if sheet is not None else [])
    finally:
        book.close()


def _read_csv(source: Source) -> Iterator[list[str]]:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            data = fh.read()
    else:
        data = source.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The CSV file is not UTF-8 encoded (byte {exc.start}); save it as \"CSV UTF-8\"."
        ) from exc
    try:
        return iter(list(csv.reader(io.StringIO(text, newline=""))))
    except csv.Error as exc:
        raise ImportFileError(f"The CSV file cannot be read: {exc}.") from exc


# --------------------------------------------------------------------------- cell parsing


class _Bad(ValueError):
    """A cell's value is invalid; the message is the reason shown to the user."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_amount(value: Any) -> Decimal:
    """A non-negative RMB amount with at most 2 decimal places."""
    if isinstance(value, bool):
        raise _Bad(f"must be an amount, not {value!r}")
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips: 1234.5, not 1234.4999999
    text = _text(value)
    if not text:
        raise _Bad("is required")
    if _GROUPED.match(text):
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad(f"is not a number: {text!r}") from None
    if not amount.is_finite():
        raise _Bad(f"is not a number: {text!r}")
    if amount < 0:
        raise _Bad(f"must not be negative ({text})")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise _Bad(f"has more than 2 decimal places ({text})")
    if amount >= MAX_AMOUNT:
        raise _Bad(f"is too large ({text})")
    return amount.quantize(Decimal("0.01"))


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: Any) -> str:
    """'YYYY-MM' (Excel may have turned it into a date: the first of that month is accepted)."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = _text(value)
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
        raise _Bad(f"must be a month as YYYY-MM, not {text!r}" if text else "is required (YYYY-MM)")
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"must be a date as YYYY-MM-DD, not {text!r}") from None


_TRUE = {"yes", "y", "true", "t", "1", "是"}
_FALSE = {"no", "n", "false", "f", "0", "否"}


def parse_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad(f"must be yes or no, not {text!r}")


def parse_count(value: Any) -> int | None:
    if isinstance(value, bool):
        raise _Bad(f"must be a whole number, not {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise _Bad(f"must be a whole number, not {value!r}")
        number = int(value)
    else:
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"-?\d+", text):
            raise _Bad(f"must be a whole number, not {text!r}")
        number = int(text)
    if number < 0:
        raise _Bad(f"must not be negative ({number})")
    return number


def _choice(value: Any, enum_cls, default):
    text = _text(value).lower()
    if not text:
        return default
    try:
        return enum_cls(text)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise _Bad(f"must be one of {allowed}, not {text!r}") from None


_INDUSTRY_BY_LABEL = {label.lower(): code for code, label in INDUSTRIES.items()}


def parse_industry(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _Bad("is required (a GB/T 4754 section letter A–T)")
    code = text.upper() if text.upper() in INDUSTRIES else _INDUSTRY_BY_LABEL.get(text.lower())
    if code is None:
        raise _Bad(f"must be a GB/T 4754 section letter A–T, not {text!r}")
    return code


def _string(value: Any, max_length: int, required: bool = False) -> str | None:
    text = _text(value)
    if not text:
        if required:
            raise _Bad("is required")
        return None
    if len(text) > max_length:
        raise _Bad(f"is longer than {max_length} characters")
    return text


class _Row:
    """Collects one row's errors; `get` parses a cell and records its problem."""

    def __init__(self, number: int, values: dict, errors: list[RowError]):
        self.number, self.values, self.errors, self.failed = number, values, errors, False

    def get(self, column: str, parse: Callable[[Any], Any]):
        try:
            return parse(self.values[column])
        except _Bad as exc:
            self.fail(column, f"{column} {exc}")
            return None

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.number, column, reason))
        self.failed = True


@lru_cache(maxsize=65536)
def _check_code(raw: str) -> tuple[str, USCCProblem | None, str]:
    """Normalise and check a code; cached because a tax file repeats each code once per month."""
    code = normalise_uscc(raw)
    result = check_uscc(code)
    return code, result.problem, result.message


def _uscc(row: _Row, overridden: set[str]) -> str | None:
    """The normalised USCC; a code that fails the checksum passes only if it was accepted by override."""
    code, problem, message = _check_code(_text(row.values["uscc"]))
    if not code:
        row.fail("uscc", "uscc is required")
        return None
    if problem is None or (problem is USCCProblem.checksum and code in overridden):
        return code
    row.fail("uscc", f"bad USCC {code}: {message}")
    return None


def _validated(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % CHUNK == 0 or done == total):
        progress(0.5 * done / total)


def _insert(table):
    """The dialect's INSERT that supports ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on these two only
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    return insert(table)


def _upsert(table, rows: list[dict], keys: list[str], set_: dict, progress: Progress | None) -> None:
    stmt = _insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c: v(stmt.excluded) if callable(v) else stmt.excluded[c] for c, v in set_.items()}
    )
    db.session.flush()
    for start in range(0, len(rows), CHUNK):
        db.session.execute(stmt, rows[start:start + CHUNK])
        if progress is not None:
            progress(0.5 + 0.5 * min(start + CHUNK, len(rows)) / len(rows))
    if progress is not None:
        progress(1.0)
    # The upsert bypassed the ORM: objects already loaded must not show their old values.
    db.session.expire_all()


# --------------------------------------------------------------------------- tax


def import_tax(source: Source, filename: str | None = None, progress: Progress | None = None) -> ImportResult:
    """Validate a monthly tax file and, if it is clean, upsert its records (flushes; the caller commits)."""
    rows = read_rows(source, filename, TAX_COLUMNS)
    errors: list[RowError] = []
    ids = dict(db.session.execute(select(Enterprise.uscc, Enterprise.id)).all())
    overridden = set(db.session.scalars(select(Enterprise.uscc).where(Enterprise.uscc_override)))
    seen: dict[tuple[str, str], int] = {}
    parsed: list[dict] = []
    for done, (number, values) in enumerate(rows, start=1):
        _validated(progress, done, len(rows))
        row = _Row(number, values, errors)
        code = _uscc(row, overridden)
        if code is not None and code not in ids:
            row.fail("uscc", f"unknown USCC {code}: no enterprise is registered with it")
        month = row.get("month", parse_month)
        total = row.get("total_tax", parse_amount)
        district = row.get("district_tax", parse_amount)
        if total is not None and district is not None and district > total:
            row.fail("district_tax", f"district_tax {district} is more than total_tax {total}")
        if code is not None and month is not None:
            first = seen.setdefault((code, month), number)
            if first != number:
                row.fail("uscc", f"duplicate row: {code} {month} already appears in row {first}")
        if not row.failed:
            parsed.append({"enterprise_id": ids[code], "month": month, "total_tax": total, "district_tax": district})
    result = ImportResult(errors=errors)
    if errors:
        return result
    months = sorted({r["month"] for r in parsed})
    stored: dict[tuple[int, str], tuple[Decimal, Decimal]] = {}
    for start in range(0, len(months), 500):
        query = select(TaxRecord.enterprise_id, TaxRecord.month, TaxRecord.total_tax, TaxRecord.district_tax).where(
            TaxRecord.month.in_(months[start:start + 500])
        )
        for enterprise_id, month, total, district in db.session.execute(query):
            stored[(enterprise_id, month)] = (total, district)
    changed = []
    for r in parsed:
        old = stored.get((r["enterprise_id"], r["month"]))
        if old is None:
            result.inserted += 1
        elif old == (r["total_tax"], r["district_tax"]):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        changed.append(r)
    _upsert(TaxRecord.__table__, changed, ["enterprise_id", "month"], {"total_tax": None, "district_tax": None}, progress)
    return result


# --------------------------------------------------------------------------- enterprises

#: Columns written by the enterprise import (compared to decide updated vs unchanged).
_ENTERPRISE_FIELDS = (
    "name", "name_zh", "industry", "hq_type", "building_id", "unit", "employees", "moved_in_on",
    "registered_in_district", "key_tier",
)


def _building_lookup() -> dict[str, list[int]]:
    """Building ids by English name (case-insensitive) and by Chinese name."""
    lookup: dict[str, list[int]] = {}
    for building_id, name, name_zh in db.session.execute(select(Building.id, Building.name, Building.name_zh)):
        for key in {name.strip().lower(), (name_zh or "").strip()} - {""}:
            lookup.setdefault(key, []).append(building_id)
    return lookup


def import_enterprises(source: Source, filename: str | None = None, progress: Progress | None = None) -> ImportResult:
    """Validate an enterprise file and, if it is clean, upsert the enterprises by USCC (flushes; the caller commits)."""
    rows = read_rows(source, filename, ENTERPRISE_COLUMNS)
    errors: list[RowError] = []
    buildings = _building_lookup()
    columns = [getattr(Enterprise, f) for f in _ENTERPRISE_FIELDS]
    stored = {r[0]: r for r in db.session.execute(select(Enterprise.uscc, Enterprise.uscc_override, *columns))}
    overridden = {code for code, override, *_ in stored.values() if override}
    seen: dict[str, int] = {}
    parsed: list[dict] = []
    for done, (number, values) in enumerate(rows, start=1):
        _validated(progress, done, len(rows))
        row = _Row(number, values, errors)
        code = _uscc(row, overridden)
        if code is not None:
            first = seen.setdefault(code, number)
            if first != number:
                row.fail("uscc", f"duplicate row: {code} already appears in row {first}")
        data = {
            "name": row.get("name", lambda v: _string(v, 200, required=True)),
            "name_zh": row.get("name_zh", lambda v: _string(v, 200)),
            "industry": row.get("industry", parse_industry),
            "hq_type": row.get("hq_type", lambda v: _choice(v, HQType, HQType.none)),
            "building_id": None,
            "unit": row.get("unit", lambda v: _string(v, 40)),
            "employees": row.get("employees", parse_count),
            "moved_in_on": row.get("moved_in", parse_date),
            "registered_in_district": row.get("registered_in_district", lambda v: parse_bool(v, True)),
            "key_tier": row.get("key_tier", lambda v: _choice(v, KeyTier, KeyTier.normal)),
        }
        building = _text(values["building"])
        if building:
            matches = buildings.get(building.lower()) or buildings.get(building) or []
            if not matches:
                row.fail("building", f"unknown building {building!r}")
            elif len(set(matches)) > 1:
                row.fail("building", f"building {building!r} matches more than one building; use its English name")
            else:
                data["building_id"] = matches[0]
        if not row.failed:
            parsed.append({"uscc": code, **data})
    result = ImportResult(errors=errors)
    if errors:
        return result
    now = utcnow()
    changed = []
    for r in parsed:
        old = stored.get(r["uscc"])
        if old is None:
            result.inserted += 1
        elif tuple(old[2:]) == tuple(r[f] for f in _ENTERPRISE_FIELDS):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        changed.append({**r, "uscc_override": r["uscc"] in overridden, "created_at": now, "updated_at": now})
    # ON CONFLICT DO UPDATE ignores Python-side onupdate: updated_at is set explicitly. Status,
    # officer and contacts are not in the file and are left as they are; the recognition date
    # goes when the HQ type becomes none (as app.services.registry.save_enterprise does).
    set_ = dict.fromkeys([*_ENTERPRISE_FIELDS, "updated_at", "uscc_override"])
    set_["hq_recognised_on"] = lambda excluded: case(
        (excluded.hq_type == HQType.none, null()), else_=Enterprise.__table__.c.hq_recognised_on
    )
    _upsert(Enterprise.__table__, changed, ["uscc"], set_, progress)
    return result


# --------------------------------------------------------------------------- error sheet

_FORMULA_START = ("=", "+", "-", "@")


def write_error_sheet(errors: Iterable[RowError], path_or_buffer: str | os.PathLike | IO[bytes]) -> None:
    """Write the errors to an .xlsx with the columns Row, Column and Reason; text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Errors")
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["C"].width = 90

    def cell(value):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            # openpyxl stores "=..." as a formula; force text, and quotePrefix keeps Excel from
            # re-reading it as a formula when someone edits the cell.
            c.data_type = "s"
            if value.startswith(_FORMULA_START):
                c.quotePrefix = True
        return c

    header = []
    for title in ("Row", "Column", "Reason"):
        c = WriteOnlyCell(sheet, value=title)
        c.font = Font(bold=True)
        header.append(c)
    sheet.append(header)
    for error in errors:
        sheet.append([error.row, cell(error.column), cell(error.reason)])
    book.save(path_or_buffer)
