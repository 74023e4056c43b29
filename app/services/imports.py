"""Imports of monthly tax records and enterprises from .xlsx or .csv files.

Every row is validated first and every problem collected as (row, column, reason), the row
numbered as the spreadsheet shows it (the header is row 1). A file with any error changes
nothing; a clean file is upserted in bulk (INSERT ... ON CONFLICT DO UPDATE) and rows whose
values are already stored are skipped, so importing the same file twice changes nothing.
Services flush; the caller commits.
"""
from __future__ import annotations

import csv
import functools
import gc
import io
import itertools
import operator
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, Any, NamedTuple

from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import case, null, select

from app.extensions import db, dialect_insert
from app.models import INDUSTRIES, Building, Enterprise, HQType, KeyTier, TaxRecord
from app.models.types import utcnow
from app.services import summaries, tax_staging
from app.uscc import USCCCheck, USCCProblem, check as check_uscc, normalise as normalise_uscc

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
#: The longest reason given for a row (they quote the cell; Excel holds 32,767 characters in a cell).
MAX_REASON = 300

Source = str | os.PathLike | IO[bytes]
#: Called with the fraction done, 0.0 to 1.0: validation is the first half, writing the second.
Progress = Callable[[float], None]


# The messages (a file's problem, a row's reason) follow the request's locale: on the web the reader's
# language; outside a request (the queue's worker, the CLI) English, which is what the error sheet keeps.


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
        return _("%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged", inserted=self.inserted,
                 updated=self.updated, unchanged=self.unchanged)


# --------------------------------------------------------------------------- reading


def read_rows(source: Source, filename: str | None = None, columns: Iterable[str] = ()) -> list[tuple[int, dict]]:
    """The data rows of the first sheet as (row number, {column: value}), blank rows skipped.

    Header names are matched case-insensitively; extra columns are ignored; missing ones raise.
    """
    table = _open_table(source, filename, columns)
    with _csv_errors():
        rows = [
            (number, {c: values[i] if i < len(values) else None for c, i in table.columns.items()})
            for number, values in table.rows
        ]
    if not rows:
        raise ImportFileError(str(NO_DATA_ROWS))
    return rows


NO_DATA_ROWS = _l("The file has a header row but no data rows.")


class _Table(NamedTuple):
    """An opened sheet: each wanted column's position, the header's width, the rows after the header
    (read lazily, blank ones included: number them from 2 and skip blanks with _blank), how far
    through the file reading has got (0.0 to 1.0, for progress) and, for a CSV file, its text lines
    (the reader's own source: a line taken from it is no longer in `raw`) and its bytes. Iterate inside
    ``with _csv_errors():``."""

    columns: dict[str, int]
    width: int
    raw: Iterator[Sequence]
    read: Callable[[], float]
    lines: Iterator[str] | None
    data: bytes | None = None  # a CSV file's bytes

    @property
    def rows(self) -> Iterator[tuple[int, Sequence]]:
        """The non-blank data rows as (row number, values)."""
        for number, values in enumerate(self.raw, start=2):
            if not _blank(values):
                yield number, values


def _open_table(source: Source, filename: str | None, columns: Iterable[str]) -> _Table:
    """Open the file and read its header; ImportFileError for a wrong type, an empty file or missing columns."""
    name = filename or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else getattr(source, "name", ""))
    suffix = os.path.splitext(str(name))[1].lower()
    if suffix not in SUFFIXES:
        base = os.path.basename(str(name))
        raise ImportFileError(
            _("%(name)s is not a supported file type: upload an .xlsx or a .csv file.", name=base) if base
            else _("The file is not a supported file type: upload an .xlsx or a .csv file.")
        )
    raw, read, lines = _read_xlsx(source) if suffix == ".xlsx" else _read_csv(source)
    with _csv_errors():
        header = next(raw, None)
        while header is not None and _blank(header):  # leading blank rows before the header
            header = next(raw, None)
    if header is None:
        raise ImportFileError(_("The file is empty: it has no header row and no data."))
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        raise ImportFileError(ngettext(
            "The sheet is missing the column %(missing)s (expected header row: %(header)s).",
            "The sheet is missing the columns %(missing)s (expected header row: %(header)s).",
            len(missing), missing=", ".join(missing), header=", ".join(columns),
        ))
    data = lines.buffer.getvalue() if lines is not None else None
    return _Table({c: names.index(c) for c in columns}, len(names), raw, read, lines, data)


@contextmanager
def _csv_errors() -> Iterator[None]:
    """A CSV file that stops parsing half way is a file error (the reader raises as it goes)."""
    try:
        yield
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(problem)s.", problem=exc)) from exc


def _blank(values) -> bool:
    for v in values:  # a loop rather than all(): most rows are decided by their first cell
        if v is not None and not (isinstance(v, str) and not v.strip()):
            return False
    return True


def _read_xlsx(source: Source) -> tuple[Iterator[tuple], Callable[[], float], None]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ImportFileError(_("The file is not a valid .xlsx workbook (save it from Excel as .xlsx).")) from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        # Materialised so the workbook (and its file handle) can be closed before validation.
        rows = list(sheet.iter_rows(values_only=True)) if sheet is not None else []
    finally:
        book.close()
    remaining = iter(rows)
    return remaining, lambda: 1.0 - operator.length_hint(remaining) / len(rows) if rows else 1.0, None


def _read_csv(source: Source) -> tuple[Iterator[list[str]], Callable[[], float], Iterator[str]]:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            data = fh.read()
    else:
        data = source.read()
    try:
        data.decode("utf-8-sig")  # checked whole first: a bad byte is reported before any row is read
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The CSV file is not UTF-8 encoded (byte %(byte)d); save it as \"CSV UTF-8\".", byte=exc.start)
        ) from exc
    # Decoded as it is read: a StringIO of the whole text would hold it at 4 bytes a character.
    buffer = io.BytesIO(data)
    lines = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    return csv.reader(lines), lambda: buffer.tell() / len(data) if data else 1.0, lines


# A cell may be as long as its file (uploads are at most MAX_IMPORT_BYTES, 50 MB): the csv module's
# default limit of 128 KiB a field would refuse a file that PostgreSQL's COPY (the tax import's fast
# path) reads, and the two must accept the same files. The limit is the module's, for the process.
csv.field_size_limit(max(csv.field_size_limit(), 64 << 20))


# --------------------------------------------------------------------------- cell parsing


class _Bad(ValueError):
    """A cell's value is invalid: a whole sentence naming the column (%(column)s, filled in by _Row.get, which
    knows it) and the values given here; the reason shown to the user."""

    def __init__(self, template, **values):
        super().__init__(template)
        self.template, self.values = template, values

    def reason(self, column: str) -> str:
        return str(self.template) % {"column": column, **self.values}


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
        raise _Bad(_l("%(column)s must be an amount, not %(value)s"), value=repr(value))
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips: 1234.5, not 1234.4999999
    text = _text(value)
    if not text:
        raise _Bad(_l("%(column)s is required"))
    if _GROUPED.match(text):
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad(_l("%(column)s is not a number: %(value)s"), value=repr(text)) from None
    if not amount.is_finite():
        raise _Bad(_l("%(column)s is not a number: %(value)s"), value=repr(text))
    if amount < 0:
        raise _Bad(_l("%(column)s must not be negative (%(value)s)"), value=text)
    if amount >= MAX_AMOUNT:  # first: quantizing a number this large could exceed Decimal's precision
        raise _Bad(_l("%(column)s is too large (%(value)s)"), value=text)
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise _Bad(_l("%(column)s has more than 2 decimal places (%(value)s)"), value=text)
    return amount.quantize(Decimal("0.01"))


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: Any) -> str:
    """'YYYY-MM' (Excel may have turned it into a date: the first of that month is accepted)."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = _text(value)
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
        if not text:
            raise _Bad(_l("%(column)s is required (YYYY-MM)"))
        raise _Bad(_l("%(column)s must be a month as YYYY-MM, not %(value)s"), value=repr(text))
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
        raise _Bad(_l("%(column)s must be a date as YYYY-MM-DD, not %(value)s"), value=repr(text)) from None


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
    raise _Bad(_l("%(column)s must be yes or no, not %(value)s"), value=repr(text))


def parse_count(value: Any) -> int | None:
    if isinstance(value, bool):
        raise _Bad(_l("%(column)s must be a whole number, not %(value)s"), value=repr(value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise _Bad(_l("%(column)s must be a whole number, not %(value)s"), value=repr(value))
        number = int(value)
    else:
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"-?\d+", text):
            raise _Bad(_l("%(column)s must be a whole number, not %(value)s"), value=repr(text))
        number = int(text)
    if number < 0:
        raise _Bad(_l("%(column)s must not be negative (%(value)s)"), value=number)
    return number


def _choice(value: Any, enum_cls, default):
    text = _text(value).lower()
    if not text:
        return default
    try:
        return enum_cls(text)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise _Bad(_l("%(column)s must be one of %(allowed)s, not %(value)s"), allowed=allowed, value=repr(text)) from None


_INDUSTRY_BY_LABEL = {label.lower(): code for code, label in INDUSTRIES.items()}


def parse_industry(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _Bad(_l("%(column)s is required (a GB/T 4754 section letter A–T)"))
    code = text.upper() if text.upper() in INDUSTRIES else _INDUSTRY_BY_LABEL.get(text.lower())
    if code is None:
        raise _Bad(_l("%(column)s must be a GB/T 4754 section letter A–T, not %(value)s"), value=repr(text))
    return code


def _string(value: Any, max_length: int, required: bool = False) -> str | None:
    text = _text(value)
    if not text:
        if required:
            raise _Bad(_l("%(column)s is required"))
        return None
    if len(text) > max_length:
        raise _Bad(_l("%(column)s is longer than %(max)d characters"), max=max_length)
    return text


class _Row:
    """Collects one row's errors; `get` parses a cell and records its problem."""

    def __init__(self, number: int, values: dict, errors: list[RowError]):
        self.number, self.values, self.errors, self.failed = number, values, errors, False

    def get(self, column: str, parse: Callable[[Any], Any]):
        try:
            return parse(self.values[column])
        except _Bad as exc:
            self.fail(column, exc.reason(column))
            return None

    def fail(self, column: str, reason: str) -> None:
        if len(reason) > MAX_REASON:  # a reason quotes the cell: a huge cell must not make a huge message
            reason = reason[:MAX_REASON - 1] + "…"
        self.errors.append(RowError(self.number, column, reason))
        self.failed = True


@lru_cache(maxsize=65536)
def _check_code(raw: str) -> tuple[str, USCCProblem | None, USCCCheck]:
    """Normalise and check a code; cached because a tax file repeats each code once per month. The
    cached check's message is worded when read, in the reader's language."""
    code = normalise_uscc(raw)
    result = check_uscc(code)
    return code, result.problem, result


def _uscc(row: _Row, overridden: set[str]) -> str | None:
    """The normalised USCC; a code that fails the checksum passes only if it was accepted by override."""
    code, problem, result = _check_code(_text(row.values["uscc"]))
    if not code:
        row.fail("uscc", _("%(column)s is required", column="uscc"))
        return None
    if problem is None or (problem is USCCProblem.checksum and code in overridden):
        return code
    row.fail("uscc", _("bad USCC %(code)s: %(problem)s", code=code, problem=result.message))
    return None


def _validated(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % CHUNK == 0 or done == total):
        progress(0.5 * done / total)


def _upsert(table, rows: list[dict], keys: list[str], set_: dict, progress: Progress | None) -> None:
    stmt = dialect_insert(table)
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
    table = _open_table(source, filename, TAX_COLUMNS)
    register = Enterprise.__table__.c  # Core columns: no ORM statement to set up for plain pairs (0.1 s less)
    ids = dict(db.session.execute(select(register.uscc, register.id)).all())
    overridden = set(db.session.scalars(select(register.uscc).where(register.uscc_override)))
    result = ImportResult()
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
        if progress is not None:
            progress = _Onwards(progress)
        if table.data is not None:
            # Most files are plain CSV, as the tax bureau writes them: in the template's layout, Python
            # maps each line's code and COPY writes the rows; in any other, PostgreSQL parses and checks them.
            codes = _exact_codes(ids, overridden)
            with _collector_paused():
                for fast_path in (tax_staging.copy_plain, tax_staging.copy_csv):
                    if fast_path(table.data, table.columns, table.width, codes,
                                 lambda text: _known_month(text) == text, result, progress):
                        return result
            # Not one it could vouch for: checked row by row, which words each problem; the progress
            # bar goes on from half way (from where it got to, if further) rather than back to the start.
            table = _open_table(io.BytesIO(table.data), "file.csv", TAX_COLUMNS)
            if progress is not None:
                progress = functools.partial(lambda report, f: report(0.5 + 0.5 * f), progress)
        _import_tax_by_copy(table, ids, overridden, result, progress)
        return result
    parsed: list[TaxRow] = []
    _validate_tax(table, ids, overridden, result.errors, progress, parsed.extend)
    if result.errors:
        return result
    if not parsed:
        raise ImportFileError(str(NO_DATA_ROWS))
    _write_tax(parsed, result, progress)
    return result


class _Onwards:
    """A progress callback that never goes back: a smaller fraction than one reported is not passed on."""

    def __init__(self, report: Progress):
        self.report, self.reached = report, -1.0

    def __call__(self, fraction: float) -> None:
        if fraction > self.reached:
            self.reached = fraction
            self.report(fraction)


_CENT = Decimal("0.01")

#: A clean tax row: (enterprise_id, month, total_tax, district_tax); an amount is a Decimal, or the
#: cell's text where it is a plain number (exact, and written to COPY as it is).
TaxRow = tuple[int, str, Decimal | str, Decimal | str]


def _validate_tax(table: _Table, ids: dict[str, int], overridden: set[str], errors: list[RowError],
                  progress: Progress | None, emit: Callable[[list], None], copy_lines: bool = False) -> int:
    """Check every row, collecting every problem in `errors`; hand the clean rows to `emit` in batches
    as it goes (so they can be written while the rest is checked); return how many were clean.

    A clean row is a TaxRow, or with `copy_lines` the line COPY reads (made here, where the fast
    path has its parts at hand, rather than formatted again from a tuple).

    Most rows of a CSV file take a fast path (see _plain_lines): a plain line whose code and month
    pass (each distinct text is checked once), with district_tax within total_tax, and not a
    duplicate. Every other row takes _check_tax_row, which applies each check cell by cell and
    reports each problem. The fast path accepts only what _check_tax_row accepts, with the same values.
    """
    columns = [table.columns[c] for c in TAX_COLUMNS]
    codes: dict[str, tuple[str, int, str] | None] = {}  # cell text -> _known_code(), None if it fails
    months: dict[str, str | None] = {}  # cell text -> 'YYYY-MM', None if it fails
    seen: dict[tuple[str, str], int] = {}
    parsed: list[TaxRow] = []  # the current batch
    clean = 0
    records = _plain_lines(table) if table.lines is not None else (
        (number, values, None) for number, values in enumerate(table.raw, start=2)
    )
    with _csv_errors():
        for number, values, plain in records:
            if number % CHUNK == 0:
                clean += len(parsed)
                emit(parsed)
                parsed = []
                if progress is not None:
                    progress(0.5 * table.read())
            if plain is not None:
                raw_code, raw_month, total, district = plain
                known = codes.get(raw_code)
                if known is None:
                    known = codes[raw_code] = _known_code(raw_code, ids, overridden)
                month = months.get(raw_month)
                if month is None:
                    month = months[raw_month] = _known_month(raw_month)
                # float comparison is exact when it says "less" (rounding is monotonic); else Decimal decides.
                if (known and month
                        and (float(district) < float(total) or Decimal(district) <= Decimal(total))
                        and seen.setdefault((known[0], month), number) == number):
                    parsed.append(f"{known[2]}{month}\t{total}\t{district}\n" if copy_lines
                                  else (known[1], month, total, district))
                    continue
                cells = dict(zip(TAX_COLUMNS, plain))
            elif _blank(values):
                continue
            else:
                cells = {c: values[i] if i < len(values) else None for c, i in zip(TAX_COLUMNS, columns, strict=True)}
            row = _check_tax_row(number, cells, ids, overridden, seen, errors)
            if row is not None:
                parsed.append("{}\t{}\t{}\t{}\n".format(*row) if copy_lines else row)
    emit(parsed)
    if progress is not None:
        progress(0.5)
    return clean + len(parsed)


def _plain_lines(table: _Table) -> Iterator[tuple[int, list | None, tuple[str, ...] | None]]:
    """A CSV file's rows as (row number, values, None), or (row number, None, plain) for a plain line.

    A plain line has exactly the header's number of fields, none quoted, and plain non-negative
    amounts (ASCII digits, at most 16 before the point and 2 after): one regular expression reads
    it, and `plain` is its (uscc, month, total_tax, district_tax) text as csv would have read it.
    Any other line is read by csv, with the lines after it when a quoted field goes on.
    """
    fields = []
    for position in range(table.width):
        name = next((c for c, i in table.columns.items() if i == position), None)
        if name in ("total_tax", "district_tax"):
            fields.append(f"(?P<{name}>{tax_staging.PLAIN_AMOUNT})")
        else:
            fields.append(f"(?P<{name}>[^,\"\r\n]*+)" if name else '[^,"\r\n]*+')
    match = re.compile(",".join(fields) + r"(?:\r\n|\r|\n)?").fullmatch
    lines = table.lines
    number = 1
    for line in lines:
        number += 1
        found = match(line)
        if found is not None:
            yield number, None, found.group(*TAX_COLUMNS)
        else:
            yield number, next(csv.reader(itertools.chain((line,), lines))), None


def _known_code(text: str, ids: dict[str, int], overridden: set[str]) -> tuple[str, int, str] | None:
    """(code, enterprise id, the id and a tab for COPY) if the cell text is a code _check_tax_row accepts, else None."""
    code, problem, _ = _check_code(_text(text))
    if code in ids and (problem is None or (problem is USCCProblem.checksum and code in overridden)):
        return code, ids[code], f"{ids[code]}\t"
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off inside. The fast paths hold a whole file's lines at once (and, for
    months already stored, each line's code and month): a million objects or more, which every
    collection of the older generations walks again, 0.12-0.23 s of a 720,000-row import (timed
    with gc.callbacks). What runs inside makes next to no reference cycles; memory is still
    freed as references go, and the collector runs again after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _exact_codes(ids: dict[str, int], overridden: set[str]) -> dict[str, int]:
    """Each registered code that passes, written exactly as it is, as _check_tax_row would take it
    (canonical, and valid or accepted by override), with its enterprise: what a cell must hold for
    the COPY path to accept it.

    Checked here rather than through _check_code's cache: 20,000 entries kept at once set the
    garbage collector walking the whole process (0.18 s for a district's codes; 0.09 s without)."""
    exact = {}
    for code, enterprise_id in ids.items():
        problem = check_uscc(code).problem  # one not written as normalise leaves it fails on its length or letters
        if problem is None or (problem is USCCProblem.checksum and code in overridden):
            exact[code] = enterprise_id
    return exact


def _known_month(text: str) -> str | None:
    """'YYYY-MM' if the cell text is a month parse_month accepts, else None."""
    try:
        return parse_month(text)
    except _Bad:
        return None


def _check_tax_row(number: int, values: dict, ids: dict[str, int], overridden: set[str],
                   seen: dict[tuple[str, str], int], errors: list[RowError]) -> TaxRow | None:
    """One row checked cell by cell, each problem recorded; the clean row, or None."""
    row = _Row(number, values, errors)
    code = _uscc(row, overridden)
    if code is not None and code not in ids:
        row.fail("uscc", _("unknown USCC %(code)s: no enterprise is registered with it", code=code))
    month = row.get("month", parse_month)
    total = row.get("total_tax", parse_amount)
    district = row.get("district_tax", parse_amount)
    if total is not None and district is not None and district > total:
        row.fail("district_tax", _("district_tax %(district)s is more than total_tax %(total)s", district=district,
                                   total=total))
    if code is not None and month is not None:
        first = seen.setdefault((code, month), number)
        if first != number:
            row.fail("uscc", _("duplicate row: %(code)s %(month)s already appears in row %(first)d", code=code,
                               month=month, first=first))
    return None if row.failed else (ids[code], month, total, district)


def _amount(value: Decimal | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value).quantize(_CENT)


def _write_tax(parsed: list[TaxRow], result: ImportResult, progress: Progress | None) -> None:
    """Any database: compare with the stored records in Python, then upsert the new and changed ones."""
    months = sorted({r[1] for r in parsed})
    stored: dict[tuple[int, str], tuple[Decimal, Decimal]] = {}
    for start in range(0, len(months), 500):
        query = select(TaxRecord.enterprise_id, TaxRecord.month, TaxRecord.total_tax, TaxRecord.district_tax).where(
            TaxRecord.month.in_(months[start:start + 500])
        )
        for enterprise_id, month, total, district in db.session.execute(query):
            stored[(enterprise_id, month)] = (total, district)
    changed = []
    for enterprise_id, month, total, district in parsed:
        total, district = _amount(total), _amount(district)
        old = stored.get((enterprise_id, month))
        if old is None:
            result.inserted += 1
        elif old == (total, district):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        changed.append({"enterprise_id": enterprise_id, "month": month, "total_tax": total, "district_tax": district})
    _upsert(TaxRecord.__table__, changed, ["enterprise_id", "month"], {"total_tax": None, "district_tax": None}, progress)
    summaries.refresh_tax_months({row["month"] for row in changed})


_STAGE = tax_staging.STAGE


def _import_tax_by_copy(table: _Table, ids: dict[str, int], overridden: set[str], result: ImportResult,
                        progress: Progress | None) -> None:
    """PostgreSQL: validate while COPY streams the clean rows into a temporary table, then insert them
    or, when some months are stored already, upsert and count the new and changed ones in one
    statement (nothing is written when any row has an error).

    The same outcome as _write_tax, without a round trip per row or reading the stored records into
    Python, and the server takes in the rows while Python checks the rest of the file.
    """
    db.session.flush()
    connection = db.session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_STAGE} (enterprise_id integer NOT NULL, month varchar(7) NOT NULL,"
        " total_tax numeric(18, 2) NOT NULL, district_tax numeric(18, 2) NOT NULL) ON COMMIT DROP"
    )
    failure = None
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {_STAGE} (enterprise_id, month, total_tax, district_tax) FROM STDIN") as copy:

            def emit(lines: list[str]) -> None:
                if lines and not result.errors:  # after the first error nothing will be written
                    # Validated values only: integers, 'YYYY-MM' and plain numbers need no COPY escaping.
                    copy.write("".join(lines))

            try:
                clean = _validate_tax(table, ids, overridden, result.errors, progress, emit, copy_lines=True)
            except ImportFileError as exc:
                failure = exc  # raised once the COPY is ended cleanly, so the transaction stays usable
    if failure is None and not result.errors and clean:
        connection.exec_driver_sql(f"ANALYZE {_STAGE}")
        months = sorted(connection.exec_driver_sql(f"SELECT DISTINCT month FROM {_STAGE}").scalars())
        tax_staging.write(connection, tax_staging.Staged(_STAGE, months, clean), result)
    connection.exec_driver_sql(f"DROP TABLE {_STAGE}")
    if failure is not None:
        raise failure
    if not result.errors and not clean:
        raise ImportFileError(str(NO_DATA_ROWS))
    if progress is not None and not result.errors:
        progress(1.0)


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
                row.fail("uscc", _("duplicate row: %(code)s already appears in row %(first)d", code=code, first=first))
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
                row.fail("building", _("unknown building %(name)s", name=repr(building)))
            elif len(set(matches)) > 1:
                row.fail("building", _("building %(name)s matches more than one building; use its English name",
                                       name=repr(building)))
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
    summaries.refresh_tax_buildings(_moved_buildings(stored, changed))
    return result


def _moved_buildings(stored: dict[str, tuple], changed: list[dict]) -> set[int | None]:
    """The buildings that enterprises left or joined: their tax per building changes with them."""
    at = 2 + _ENTERPRISE_FIELDS.index("building_id")  # a stored row is (uscc, uscc_override, *fields)
    moved: set[int | None] = set()
    for row in changed:
        old = stored.get(row["uscc"])
        if old is not None and old[at] != row["building_id"]:
            moved |= {old[at], row["building_id"]}
    return moved


# --------------------------------------------------------------------------- error sheet

_FORMULA_START = ("=", "+", "-", "@")


def write_error_sheet(errors: Iterable[RowError], path_or_buffer: str | os.PathLike | IO[bytes]) -> None:
    """Write the errors to an .xlsx with the columns Row, Column and Reason; text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
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
    for title in (_("Row"), _("Column"), _("Reason")):
        c = WriteOnlyCell(sheet, value=title)
        c.font = Font(bold=True)
        header.append(c)
    sheet.append(header)
    for error in errors:
        sheet.append([error.row, cell(error.column), cell(error.reason)])
    book.save(path_or_buffer)
