"""The tax import on PostgreSQL (psycopg): rows reach the server by COPY and are written by set-based SQL.

Two ways in, one way out:

- ``copy_csv``: a plain CSV file goes to the server as it is (``COPY ... (FORMAT csv)`` into a
  staging table: PostgreSQL parses it) and is checked there in one pass. It is written only if
  every row passes checks that accept nothing ``app.services.imports`` would reject, with the same
  values (see ``copy_csv``); otherwise the savepoint is rolled back, nothing is left behind, and
  the caller checks the file row by row as before, which finds and words each problem.
- rows Python has checked one by one (app.services.imports) stream by COPY into ``STAGE``
  (a temporary table).
- ``write``: inserts the staged rows, or upserts them and counts the new, changed and unchanged
  ones, then refreshes the dashboard's building tax of the months written. A large first load
  (see ``_bulk_insert``) re-creates the indexes and the foreign key after the rows, as
  PostgreSQL's manual advises for bulk loads, instead of maintaining them row by row.

Nothing here commits: the caller does, after the whole file is written or nothing is.
"""
from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from psycopg import errors as pg_errors
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from app.extensions import db
from app.models import TaxRecord
from app.services import summaries

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from app.services.imports import ImportResult

#: Rows checked by Python: (enterprise_id, month, total_tax, district_tax), made by app.services.imports.
STAGE = "tax_import"
# copy_csv stages the file as PostgreSQL parsed it ({raw}) and the codes it may contain with their
# enterprises and buildings ({codes}) in UNLOGGED tables named for the import, so that PostgreSQL may
# scan them with parallel workers (it never does for temporary tables); they are created and dropped
# inside the import's savepoint, so a rollback or a lost connection removes them too. (A crash of the
# server itself leaves their empty files behind, as it does for any unlogged table being created.)
#: copy_csv's rows, as write() reads them:
RAW_ROWS = ("(SELECT c.enterprise_id, r.month, r.total_tax, r.district_tax"
            " FROM {raw} AS r JOIN {codes} AS c ON c.code = r.uscc)")

#: A load of at least this many rows, into months not stored yet and at least half as many rows as
#: tax_records holds, builds the indexes and checks the foreign key once after writing the rows.
BULK_MIN_ROWS = 50_000
#: How long that load keeps trying for its locks (readers finishing); after that it writes row by row.
BULK_LOCK_WAIT = 2.0
#: Bytes handed to COPY at a time (progress is reported after each).
BLOCK = 1 << 20
#: A wider header is declined (PostgreSQL's limits on a table's columns and a row's size are far off).
MAX_COLUMNS = 64
# A number PostgreSQL 16 and later read and Decimal does not: hex, octal or binary (0x1A). Searched
# for only there (0.3 s for 720,000 rows); PostgreSQL 15 refuses it in COPY.
_NOT_DECIMAL = re.compile(rb"[,\n][ \t\r\n\v\f]*[+-]?0[xXoObB]")


class Declined(Exception):
    """copy_csv cannot vouch for this file: the caller checks it row by row."""


# --------------------------------------------------------------------------- the file, parsed by PostgreSQL

# One pass over the parsed file: per month and (current) building, its rows, those whose code is
# known, those whose amounts pass, and the sums of both amounts. The amount checks are parse_amount's:
# non-negative, below 1e16, at most two decimal places that are not zero (1.500 passes, 1.005 does
# not); NaN and Infinity fail `< 1e16`.
# (Grouped by building and summed only when the file may be bulk-loaded, the one use of the sums.)
_CHECK = """
SELECT r.month, {building}, count(*), count(c.enterprise_id),
       count(*) FILTER (WHERE r.total_tax >= 0 AND r.total_tax < 1e16 AND r.total_tax = round(r.total_tax, 2)
                          AND r.district_tax >= 0 AND r.district_tax < 1e16
                          AND r.district_tax = round(r.district_tax, 2) AND r.district_tax <= r.total_tax),
       {sums}
FROM {raw} AS r LEFT JOIN {codes} AS c ON c.code = r.uscc
GROUP BY r.month, {building}
"""
_BY_BUILDING = {"building": "c.building_id", "sums": "sum(r.total_tax), sum(r.district_tax)"}
_BY_MONTH = {"building": "NULL::integer", "sums": "NULL::numeric, NULL::numeric"}
# Has any enterprise moved to another building since the sums were made?
_BUILDINGS_MOVED = ("SELECT EXISTS (SELECT FROM {codes} AS c JOIN enterprises AS e ON e.id = c.enterprise_id"
                    " WHERE e.building_id IS DISTINCT FROM c.building_id)")

# Is a code and month there twice (each code is exactly one enterprise's: an enterprise and month twice)?
# Counted on a 64-bit hash of the pair, three times faster than on the text: the same pair always has
# the same hash, so a duplicate is always found; two pairs sharing a hash (about one file in 10^8) only
# send the file to the row-by-row checks, which decide exactly.
_DUPLICATES = "SELECT count(*) <> count(DISTINCT hashtextextended(uscc || ' ' || month, 0)) FROM {raw}"


def copy_csv(data: bytes, columns: dict[str, int], width: int, codes: dict[str, int],
             month_ok: Callable[[str], bool], result: ImportResult, progress: Callable[[float], None] | None) -> bool:
    """Write a clean CSV file without reading its rows in Python; False (nothing written) if it
    is not a file this path can vouch for.

    ``columns``: the wanted columns' positions in the header, of ``width`` fields; ``codes``: each
    USCC exactly as a cell must hold it to be accepted as it is (canonical and passing its checks,
    or overridden) and its enterprise; ``month_ok(text)``: the text is a month exactly as written.

    PostgreSQL's CSV reader and Python's agree on a file without quote characters whose lines all
    have the header's number of fields: one record per line, the same fields. So the file is
    declined if it holds a ``"`` (or more than MAX_COLUMNS columns, or, on PostgreSQL 16 and later,
    an amount _NOT_DECIMAL finds), if COPY fails (a line with another number of fields, an amount
    that is not a number, a stray carriage return, a NUL byte) or if COPY read fewer records than
    the file has lines (``\\.`` ends COPY's data early). Every record must then have a known code
    written exactly as stored, a month exactly as parse_month writes it, amounts parse_amount
    accepts, district_tax within total_tax, and no (enterprise, month) twice: what the row-by-row
    checks accept, with the same values. Anything else, including what those checks would accept
    after tidying (a lower-case code, "2026-1", " 5", "1,000"), is declined and left to them.
    """
    if b'"' in data or width > MAX_COLUMNS:
        return False
    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.server_version_info >= (16,) and _NOT_DECIMAL.search(data):
        return False
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    names = {position: name for name, position in columns.items()}
    types = {"uscc": "text", "month": "text", "total_tax": "numeric", "district_tax": "numeric"}
    fields = ", ".join(
        f"{names[i]} {types[names[i]]}" if i in names else f"extra_{i} text" for i in range(width)
    )
    tables = {"raw": f"tax_raw_{secrets.token_hex(6)}", "codes": f"tax_codes_{secrets.token_hex(6)}"}
    raw, codes_table = tables["raw"], tables["codes"]
    bulk = _bulk_eligible(connection, lines - 1)
    try:
        with connection.begin_nested():
            if not _staged(connection, tables, fields, data, codes, progress):
                raise Declined
            per_month: dict[str, int] = {}
            summary = []
            check = _CHECK.format(**tables, **(_BY_BUILDING if bulk else _BY_MONTH))
            for month, building, count, known, amounts_ok, total, district in connection.exec_driver_sql(check):
                if month is None or not month_ok(month) or not count == known == amounts_ok:
                    raise Declined
                per_month[month] = per_month.get(month, 0) + count
                summary.append((month, building, total, district, count))
            rows = sum(per_month.values())
            if rows != lines - 1 or not rows:
                raise Declined
            if progress is not None:
                progress(0.6)
            write(connection, Staged(
                RAW_ROWS.format(**tables), sorted(per_month), rows, duplicates=_DUPLICATES.format(**tables),
                summary=summary if bulk else None, summary_stale=_BUILDINGS_MOVED.format(**tables),
            ), result)
            connection.exec_driver_sql(f"DROP TABLE {raw}, {codes_table}")
    except Declined:
        return False
    if progress is not None:
        progress(1.0)
    return True


def _staged(connection: Connection, tables: dict[str, str], fields: str, data: bytes, codes: dict[str, int],
            progress: Callable[[float], None] | None) -> bool:
    """Create the staging tables and COPY the file and the codes into them; False if PostgreSQL
    cannot read the file (a line with another number of fields, an amount that is not a number, a
    stray carriage return, a NUL byte, a limit). Only these errors are taken for "cannot read": one
    raised later, by the writing, is an error."""
    raw, codes_table = tables["raw"], tables["codes"]
    kind = _staging_kind(connection)
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f"CREATE {kind} TABLE {raw} ({fields})")
            _copy(connection, f"COPY {raw} FROM STDIN (FORMAT csv, HEADER true)", data, progress)
    except (pg_errors.DataError, pg_errors.ProgramLimitExceeded):  # raised by COPY on the driver's cursor
        return False
    except (DataError, OperationalError) as exc:
        if isinstance(exc.orig, (pg_errors.DataError, pg_errors.ProgramLimitExceeded)):
            return False
        raise
    connection.exec_driver_sql(
        f"CREATE {kind} TABLE {codes_table} (code text PRIMARY KEY, enterprise_id integer NOT NULL, building_id integer)"
    )
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {codes_table} (code, enterprise_id) FROM STDIN") as copy:
            for row in codes.items():
                copy.write_row(row)
    connection.exec_driver_sql(f"UPDATE {codes_table} AS c SET building_id = e.building_id"
                               " FROM enterprises AS e WHERE e.id = c.enterprise_id")
    connection.exec_driver_sql(f"ANALYZE {codes_table}, {raw}")  # estimates, so that the grouping stays in memory
    return True


def _copy(connection: Connection, statement: str, data: bytes, progress: Callable[[float], None] | None) -> None:
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for start in range(0, len(data), BLOCK):
                copy.write(data[start:start + BLOCK])
                if progress is not None:
                    progress(0.5 * min(start + BLOCK, len(data)) / len(data))


# --------------------------------------------------------------------------- the template's layout, read by Python

#: The tax file as the template lays it out (and the tax bureau writes it): these columns, in this order, no other.
TEMPLATE = {"uscc": 0, "month": 1, "total_tax": 2, "district_tax": 3}
#: Lines handed to COPY at a time (progress is reported after each).
LINES = 20_000
#: A plain amount, as both fast readers of a tax file take it (here, and app.services.imports for a
#: plain line): ASCII digits (\d would also match other scripts' digits), at most 16 before the point
#: and 2 after; values parse_amount and PostgreSQL's numeric read alike, never rounded. Possessive:
#: nothing to backtrack into.
PLAIN_AMOUNT = r"[0-9]{1,16}+(?:\.[0-9]{1,2}+)?+"
# A line copy_plain reads: an 18-character code (upper case letters and digits), a month as four digits,
# a hyphen and two, and two plain amounts.
_PLAIN_LINE = rb"[0-9A-Z]{18}+,[0-9]{4}-[0-9]{2}," + PLAIN_AMOUNT.encode() + b"," + PLAIN_AMOUNT.encode()
_PLAIN_BODY = {eol: re.compile(b"(?:" + _PLAIN_LINE + eol + b")*+") for eol in (b"\n", b"\r\n")}
_CODE_LENGTH = 18


def copy_plain(data: bytes, columns: dict[str, int], width: int, codes: dict[str, int],
               month_ok: Callable[[str], bool], result: ImportResult, progress: Callable[[float], None] | None) -> bool:
    """Write a clean CSV file in the template's layout, COPYing its rows straight into their table;
    False (nothing written) if it is not a file this path can vouch for.

    The arguments are copy_csv's. Every line after the header must be plain (_PLAIN_LINE), each
    ending as the header does: then the fields are where the commas are, as for csv (the file holds
    no quote), with values the row-by-row checks accept as they are. Each code must be one of
    ``codes`` (exactly as written) and each month pass ``month_ok``; Python puts each line's
    enterprise in place of its code and COPY writes the rows (PostgreSQL's fastest way in: rows
    by the page, not one by one). Into months none of which is stored, they go straight into
    tax_records, whose key and check refuse a duplicate or a district_tax above total_tax (then the
    savepoint is rolled back and the file declined); a large load builds the indexes afterwards,
    as write() does. Otherwise they go to a staging table and write() upserts them. Any other file
    is declined and left to copy_csv and the row-by-row checks.
    """
    if columns != TEMPLATE or width != len(TEMPLATE) or b'"' in data:
        return False
    lines, months, eol = _plain_lines(data, month_ok)
    if not lines:
        return False
    ids = {code.encode("ascii"): b"%d" % enterprise_id for code, enterprise_id in codes.items()
           if len(code) == _CODE_LENGTH and code.isascii()}
    db.session.flush()
    connection = db.session.connection()
    count = len(lines)
    copy_into = functools.partial(_copy_lines, connection, lines=lines, eol=eol, ids=ids, progress=progress)
    written = functools.partial(progress, 0.6) if progress is not None else lambda: None
    try:
        with connection.begin_nested():
            if not _any_stored(connection, months):
                inserted = None
                if _bulk_eligible(connection, count):
                    inserted = _bulk_insert(connection, functools.partial(copy_into, "tax_records"), months, count,
                                            unique=False)
                    if inserted is not None:  # it holds tax_records and the register: sums made now stay true
                        written()
                        summaries.store_tax_months(months, summaries.tax_month_sums(months))
                if inserted is None:
                    inserted = copy_into("tax_records")
                    written()
                    summaries.refresh_tax_months(months)
                result.inserted, result.updated, result.unchanged = inserted, 0, 0
                db.session.expire_all()  # the rows bypassed the ORM
            else:
                stage = f"tax_plain_{secrets.token_hex(6)}"
                connection.exec_driver_sql(
                    f"CREATE {_staging_kind(connection)} TABLE {stage} (enterprise_id integer NOT NULL,"
                    " month varchar(7) NOT NULL, total_tax numeric(18, 2) NOT NULL, district_tax numeric(18, 2) NOT NULL)")
                pairs: set[bytes] = set()
                copy_into(stage, pairs=pairs)
                if len(pairs) != count:  # a code and month twice: worded row by row
                    raise Declined
                written()
                # (Not analysed: the planner reads its size from its pages, all the upsert's join needs.)
                write(connection, Staged(stage, months, count), result)
                connection.exec_driver_sql(f"DROP TABLE {stage}")
    except Declined:
        return False
    except (pg_errors.UniqueViolation, pg_errors.CheckViolation):  # raised by COPY on the driver's cursor
        return False  # a duplicate, or a district_tax above total_tax: worded row by row
    except IntegrityError as exc:  # the same, raised by a statement (an upsert)
        if not isinstance(exc.orig, pg_errors.UniqueViolation | pg_errors.CheckViolation):
            raise
        return False
    if progress is not None:
        progress(1.0)
    return True


def _plain_lines(data: bytes, month_ok: Callable[[str], bool]) -> tuple[list[bytes], list[str], bytes]:
    """The data lines (without their ends), the months at their place in them and the end of line
    the header has; ([], [], eol) if a month there fails month_ok or there is no data line. (The lines
    are checked to be plain as they are written: _copy_lines.)"""
    header_end = data.find(b"\n")
    eol = b"\r\n" if data[header_end - 1:header_end] == b"\r" else b"\n"
    if header_end < 0 or b"\r" in data[:header_end + 1 - len(eol)]:
        return [], [], eol  # (csv ends a line at a lone carriage return too: the header would end there)
    body = data[header_end + 1:]
    lines = body.split(eol)
    if lines[-1] == b"":
        lines.pop()  # after the last end (a last line may go without)
    month_at = slice(_CODE_LENGTH + 1, _CODE_LENGTH + 8)
    months = sorted(month.decode("ascii", "replace") for month in {line[month_at] for line in lines})
    if not lines or not all(month_ok(month) for month in months):
        return [], [], eol
    return lines, months, eol


def _copy_lines(connection: Connection, table: str, lines: list[bytes], eol: bytes, ids: dict[bytes, bytes],
                progress: Callable[[float], None] | None, pairs: set[bytes] | None = None) -> int:
    """COPY plain lines into ``table`` (enterprise_id, month, total_tax, district_tax), each line's code
    replaced by its enterprise; Declined (nothing written) at a line that is not plain (_PLAIN_LINE)
    or whose code is not in ``ids``. With ``pairs``, each line's code and month are added to it.
    Returns how many rows were written. Python checks and maps the next lines while PostgreSQL
    writes the last ones (a core each)."""
    plain = _PLAIN_BODY[eol].fullmatch
    statement = f"COPY {table} (enterprise_id, month, total_tax, district_tax) FROM STDIN (FORMAT csv)"
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for start in range(0, len(lines), LINES):
                chunk = lines[start:start + LINES]
                if plain(eol.join(chunk) + eol) is None:
                    raise Declined
                try:
                    block = [ids[line[:_CODE_LENGTH]] + line[_CODE_LENGTH:] for line in chunk]
                except KeyError:
                    raise Declined from None
                block.append(b"")
                copy.write(b"\n".join(block))
                if pairs is not None:  # while PostgreSQL takes in the block
                    pairs.update([line[:_CODE_LENGTH + 8] for line in chunk])
                if progress is not None:  # lines checked: half way at the last, as for the other paths
                    progress(0.5 * min(start + LINES, len(lines)) / len(lines))
        return cursor.rowcount


# --------------------------------------------------------------------------- writing


class Duplicates(Declined):
    """The staged rows hold an (enterprise, month) twice (only copy_csv's rows can)."""


@dataclass
class Staged:
    """Rows ready to be written: ``source``, a table or a subquery of (enterprise_id, month,
    total_tax, district_tax), ``count`` rows over ``months``.

    ``duplicates``: None if no (enterprise, month) appears twice in them (checked in Python), else a
    query that says whether one does. ``summary``: their building tax (building_tax_months rows,
    by each enterprise's building when they were summed), with ``summary_stale``, a query that says
    whether some enterprise has moved since; used when these rows are all their months hold.
    """

    source: str
    months: list[str]
    count: int
    duplicates: str | None = None
    summary: list[tuple] | None = None
    summary_stale: str | None = None

    def __post_init__(self):
        if self.summary is not None and self.summary_stale is None:
            raise ValueError("a summary needs the query that says whether it is stale")


def write(connection: Connection, staged: Staged, result: ImportResult) -> None:
    """Write the staged rows and count them into ``result``; a duplicate among them raises Duplicates
    before anything is counted. Then bring the dashboard's building tax of their months up to date."""
    source, months, count = staged.source, staged.months, staged.count
    inserted = None
    summed = False
    if not _any_stored(connection, months):
        if _bulk_eligible(connection, count):
            inserted = _bulk_insert(connection, lambda: connection.exec_driver_sql(_INSERT.format(source=source)).rowcount,
                                    months, count, unique=staged.duplicates is None)
            # The load holds tax_records and the register: these rows are all their months hold, and
            # the sums made while checking them are the building tax, if nobody moved meanwhile.
            if (inserted is not None and staged.summary is not None
                    and not connection.exec_driver_sql(staged.summary_stale).scalar()):
                summaries.store_tax_months(months, staged.summary)
                summed = True
        if inserted is None:
            inserted = _insert(connection, source)
    if inserted is not None:
        updated = 0
    else:
        # A plain INSERT would have failed on a duplicate; INSERT ... ON CONFLICT fails only when both
        # rows are changed ones, and the join counts an unchanged pair as two unchanged rows.
        if staged.duplicates is not None and connection.exec_driver_sql(staged.duplicates).scalar():
            raise Duplicates
        inserted, updated = _upsert(connection, source)
    result.inserted, result.updated, result.unchanged = inserted, updated, count - inserted - updated
    # The rows bypassed the ORM: objects already loaded must not show their old values.
    db.session.expire_all()
    if (inserted or updated) and not summed:
        summaries.refresh_tax_months(months)


def _staging_kind(connection: Connection) -> str:
    """UNLOGGED, or TEMPORARY where the database user may not create tables (slower: no parallel scans)."""
    allowed = connection.exec_driver_sql("SELECT has_schema_privilege(current_schema(), 'CREATE')").scalar()
    return "UNLOGGED" if allowed else "TEMPORARY"


# Are any of these months stored? If not (the usual monthly file), every row is new and a plain INSERT
# writes them: INSERT ... ON CONFLICT inserts each row speculatively, a third more work.
_ANY_STORED = "SELECT EXISTS (SELECT FROM tax_records WHERE month = ANY(%(months)s))"
_INSERT = """
INSERT INTO tax_records (enterprise_id, month, total_tax, district_tax)
SELECT enterprise_id, month, total_tax, district_tax FROM {source} AS s
"""
# Otherwise, or when another transaction inserted some of the rows meanwhile: one join finds the new
# and changed rows, which are counted as they were then, and written. The join is a statement of its
# own, so that PostgreSQL can share it between processes (a statement that writes to a table never
# runs in parallel): on two cores, 0.9 -> 0.4-0.55 s for a whole district's history (720,000 rows).
# Its hash table fits in UPSERT_WORK_MEM, not in PostgreSQL's default 4 MB (8 batches written to
# disk and read back: 20 % slower). The planner expects every row to be changed; were each one to
# cost what it assumes for passing a row between processes, it would never share the join.
UPSERT_WORK_MEM = "64MB"
UPSERT_PARALLEL_TUPLE_COST = "0.01"
_CHANGED = """
CREATE {kind} TABLE {changed} AS
SELECT s.enterprise_id, s.month, s.total_tax, s.district_tax, t.enterprise_id IS NULL AS new
FROM {source} AS s
LEFT JOIN tax_records AS t ON t.enterprise_id = s.enterprise_id AND t.month = s.month
WHERE t.enterprise_id IS NULL OR t.total_tax <> s.total_tax OR t.district_tax <> s.district_tax
"""
# In the key's order: the join may hand the rows over in any order, and two imports that lock the
# same rows in different orders deadlock; in one order, one waits for the other.
_WRITE_CHANGED = """
INSERT INTO tax_records (enterprise_id, month, total_tax, district_tax)
SELECT enterprise_id, month, total_tax, district_tax FROM {changed} ORDER BY enterprise_id, month
ON CONFLICT (enterprise_id, month) DO UPDATE
SET total_tax = excluded.total_tax, district_tax = excluded.district_tax
"""


def _upsert(connection: Connection, source: str) -> tuple[int, int]:
    """Insert the new rows of ``source`` and update the changed ones; how many of each."""
    changed = f"tax_changed_{secrets.token_hex(6)}"
    with _upsert_settings(connection):
        connection.exec_driver_sql(_CHANGED.format(kind=_staging_kind(connection), changed=changed, source=source))
        inserted, updated = connection.exec_driver_sql(
            f"SELECT count(*) FILTER (WHERE new), count(*) FILTER (WHERE NOT new) FROM {changed}").one()
        if inserted or updated:
            connection.exec_driver_sql(_WRITE_CHANGED.format(changed=changed))
    connection.exec_driver_sql(f"DROP TABLE {changed}")
    return inserted, updated


@contextmanager
def _upsert_settings(connection: Connection) -> Iterator[None]:
    """For the statements inside: at least UPSERT_WORK_MEM for each sort or hash (not less than the
    server gives) and UPSERT_PARALLEL_TUPLE_COST; then the settings as they were."""
    previous = connection.exec_driver_sql(
        "SELECT current_setting('work_mem'), current_setting('parallel_tuple_cost')").one()
    connection.exec_driver_sql(
        "SELECT set_config('work_mem', CASE WHEN pg_size_bytes(%(size)s) > pg_size_bytes(current_setting('work_mem'))"
        " THEN %(size)s ELSE current_setting('work_mem') END, true), set_config('parallel_tuple_cost', %(cost)s, true)",
        {"size": UPSERT_WORK_MEM, "cost": UPSERT_PARALLEL_TUPLE_COST})
    yield
    connection.exec_driver_sql("SELECT set_config('work_mem', %(mem)s, true), set_config('parallel_tuple_cost', %(cost)s, true)",
                               {"mem": previous[0], "cost": previous[1]})


def _any_stored(connection: Connection, months: list[str]) -> bool:
    return connection.exec_driver_sql(_ANY_STORED, {"months": months}).scalar()


def _insert(connection: Connection, source: str) -> int | None:
    """A plain INSERT of rows whose months were not stored; None if some are now (another
    transaction stored them meanwhile) or appear twice: then the upsert decides."""
    try:
        with connection.begin_nested():
            return connection.exec_driver_sql(_INSERT.format(source=source)).rowcount
    except IntegrityError as exc:
        if not isinstance(exc.orig, pg_errors.UniqueViolation):
            raise
        return None


def _bulk_eligible(connection: Connection, count: int) -> bool:
    """Whether a load of ``count`` rows into months not stored may be a bulk load (see _bulk_insert)."""
    return count >= BULK_MIN_ROWS and count >= _stored_estimate(connection) / 2


def _stored_estimate(connection: Connection) -> float:
    """About how many rows tax_records holds, without locking it (the planner's count; a table never
    analysed counts as empty only if it has no pages)."""
    estimate, pages = connection.exec_driver_sql(
        "SELECT reltuples, pg_relation_size(oid) FROM pg_class WHERE oid = 'tax_records'::regclass"
    ).one()
    return estimate if estimate >= 0 else (0 if not pages else float("inf"))


class _NotBulk(Exception):
    pass


def _bulk_insert(connection: Connection, load: Callable[[], int], months: list[str], count: int,
                 unique: bool) -> int | None:
    """Load the rows as PostgreSQL's manual advises for a bulk load ("Populating a Database"):
    drop tax_records' indexes and foreign key, insert, then build each index by one sort and check
    the foreign key with one join, instead of maintaining them row by row (about 4 times faster).

    Only for many rows, into months none of which is stored, at least half as many as the table
    holds (re-creating costs in proportion to the whole table; keeping them up row by row costs
    several times as much per row written): in practice, loading a district's history.

    Dropping a foreign key locks both its tables exclusively, so until the transaction ends
    (a few seconds) nothing reads tax_records or the enterprise register. The locks are all taken
    first, without waiting (retried for up to BULK_LOCK_WAIT seconds): the load never waits while
    it holds one, so it can neither deadlock with nor queue ahead of other work. If it cannot have
    them, or the months are stored after all, it returns None and the caller writes row by row.
    Everything happens inside a savepoint: on any failure the table is as it was. The indexes and
    the constraint are re-created from the model, which the migrations match (tested). ``load()``
    writes the rows into the bare table and returns how many it wrote.
    """
    table = TaxRecord.__table__
    keys = [table.primary_key, *(c for c in table.constraints if isinstance(c, UniqueConstraint))]
    try:
        with connection.begin_nested():
            if not _lock_for_bulk(connection):
                raise _NotBulk
            if _any_stored(connection, months):
                raise _NotBulk
            if connection.exec_driver_sql("SELECT count(*) FROM tax_records").scalar() > 2 * count:
                raise _NotBulk
            for constraint in table.foreign_key_constraints:
                connection.execute(DropConstraint(constraint))
            for index in table.indexes:
                connection.execute(DropIndex(index))
            for key in reversed(keys):
                connection.execute(DropConstraint(key))
            inserted = load()
            try:
                with connection.begin_nested():
                    for key in keys:
                        connection.execute(AddConstraint(key))
            except IntegrityError as exc:  # the rows hold an (enterprise, month) twice
                if unique or not isinstance(exc.orig, pg_errors.UniqueViolation):
                    raise
                raise Duplicates from exc
            for index in table.indexes:
                connection.execute(CreateIndex(index))
            for constraint in table.foreign_key_constraints:
                connection.execute(AddConstraint(constraint))
            # The planner must not take the table for empty. (If the transaction is rolled back the
            # planner's count stays high until autovacuum: the size rule reads the true count anyway.)
            connection.exec_driver_sql("ANALYZE tax_records")
    except _NotBulk:
        return None
    return inserted


#: The tables the bulk load locks, and how: the summary as every refresh does, then the two tables
#: whose foreign key it drops.
_BULK_LOCKS = (
    "LOCK TABLE building_tax_months IN SHARE ROW EXCLUSIVE MODE NOWAIT",
    "LOCK TABLE tax_records, enterprises IN ACCESS EXCLUSIVE MODE NOWAIT",
)


def _lock_for_bulk(connection: Connection) -> bool:
    """Take the bulk load's locks without waiting for them, trying again for up to BULK_LOCK_WAIT
    seconds; False if they could not all be had (then none is held)."""
    db.session.flush()
    deadline = time.monotonic() + BULK_LOCK_WAIT
    while True:
        try:
            with connection.begin_nested():
                for statement in _BULK_LOCKS:
                    connection.exec_driver_sql(statement)
            return True
        except OperationalError as exc:
            if not isinstance(exc.orig, pg_errors.LockNotAvailable):
                raise
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)

