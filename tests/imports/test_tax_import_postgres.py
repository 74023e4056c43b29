"""The tax import's PostgreSQL paths (app.services.tax_staging): a file in the template's layout read
line by line by Python and COPYed straight into tax_records (copy_plain), any other plain CSV file
parsed by COPY and checked in SQL (copy_csv), and the bulk load of a large first import.

Both fast paths may only ever accept what the row-by-row checks accept, with the same values: every
file here is imported each way and the outcomes (errors, counts, stored rows, or the file error)
must be the same. Files a fast path can vouch for must also be taken by it.
"""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app.models import TaxRecord
from app.services import imports, tax_staging
from app.services.imports import ImportFileError, import_tax
from app.uscc import make as make_uscc


@pytest.fixture(autouse=True)
def postgres_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path and the bulk load are PostgreSQL's")


def records(db):
    return {
        (r.enterprise.uscc, r.month): (r.total_tax, r.district_tax)
        for r in db.session.scalars(select(TaxRecord))
    }


def building_tax(db):
    return db.session.execute(text(
        "SELECT month, building_id, total_tax, district_tax, records FROM building_tax_months"
        " ORDER BY month, building_id NULLS FIRST")).all()


def staging_tables(db):
    return db.session.execute(text(
        "SELECT relname FROM pg_class WHERE relname LIKE 'tax\\_raw\\_%' OR relname LIKE 'tax\\_codes\\_%'"
        " OR relname LIKE 'tax\\_plain\\_%' OR relname LIKE 'tax\\_changed\\_%'")).all()


def outcome(db, path):
    """What importing the file does: (errors, counts) or the file error, and the rows it leaves
    stored with the dashboard's building tax; rolled back afterwards so that the next import starts
    from the same tables."""
    try:
        result = import_tax(str(path))
        said = (result.errors, (result.inserted, result.updated, result.unchanged))
    except ImportFileError as exc:
        said = ("file error", str(exc))
    stored = records(db), building_tax(db)
    assert staging_tables(db) == []  # written or declined, the import leaves no staging table behind
    db.session.rollback()
    return said, stored


def without_copy_plain(monkeypatch):
    monkeypatch.setattr(tax_staging, "copy_plain", lambda *args, **kwargs: False)


def row_by_row(monkeypatch):
    without_copy_plain(monkeypatch)
    monkeypatch.setattr(tax_staging, "copy_csv", lambda *args, **kwargs: False)


@pytest.fixture(params=["copy_plain", "copy_csv"])
def fast_path(request, monkeypatch):
    """The fast path that takes a file in the template's layout: copy_plain, or copy_csv (copy_plain
    turned off), for the behaviour both must have."""
    if request.param == "copy_csv":
        without_copy_plain(monkeypatch)
    return request.param


def taken_by(monkeypatch) -> list[str]:
    """Records which path writes the next import: copy_plain, copy_csv or row by row."""
    taken = []
    for name in ("copy_plain", "copy_csv"):
        def spy(*args, _real=getattr(tax_staging, name), _name=name, **kwargs):
            done = _real(*args, **kwargs)
            if done:
                taken.append(_name)
            return done
        monkeypatch.setattr(tax_staging, name, spy)
    original = imports._import_tax_by_copy
    monkeypatch.setattr(imports, "_import_tax_by_copy", lambda *args: taken.append("row by row") or original(*args))
    return taken


HEAD = "uscc,month,total_tax,district_tax\r\n"

PLAIN, CSV = "copy_plain", "copy_csv"
# name -> (file text with {a}, {b} for two enterprises' codes, the fast path that takes it: PLAIN, CSV or False)
FILES = {
    "plain, BOM and CRLF": ("\ufeff" + HEAD + "{a},2026-01,1000.50,400.20\r\n{b},2026-01,0,0\r\n{a},2026-02,7,7\r\n", PLAIN),
    "no newline at the end": (HEAD + "{a},2026-01,1,1", PLAIN),
    "plain, LF": (HEAD.replace("\r\n", "\n") + "{a},2026-01,12.5,0.01\n{b},2026-01,0000000000000001,1\n", PLAIN),
    "LF header, CRLF rows": (HEAD.replace("\r\n", "\n") + "{a},2026-01,1,1\r\n{b},2026-01,1,1\r\n", False),
    "header ending in a lone CR": (HEAD.replace("\r\n", "\r") + "{a},2026-01,10,20\n{b},2026-01,1,1\n", False),
    "header ending in a lone CR, then a row": (HEAD.replace("\r\n", "\r") + "{a},2026-01,10,5\r\n{b},2026-01,1,1\r\n",
                                               False),
    "CRLF header, one LF row": (HEAD + "{a},2026-01,1,1\r\n{b},2026-01,1,1\n{b},2026-02,1,1\r\n", False),
    "columns reordered, one extra": ("district_tax,note,MONTH,uscc,total_tax\n4,x,2026-01,{a},10\n5,,2026-01,{b},5\n", CSV),
    "amounts PostgreSQL and Decimal read alike": (HEAD + "{a},2026-01,1.500,+0.5\r\n{b},2026-01,1e3, 5\r\n{a},2026-02,.5,0.50\r\n", CSV),
    "large amounts": (HEAD + "{a},2026-01,9999999999999999.99,9999999999999999.99\r\n", PLAIN),
    "lower-case code": (HEAD + "{a_lower},2026-01,1,1\r\n", False),
    "month without its zero": (HEAD + "{a},2026-1,1,1\r\n", False),
    "month with spaces": (HEAD + "{a}, 2026-01 ,1,1\r\n", False),
    "quoted grouped amount": (HEAD + '{a},2026-01,"1,000.50",1\r\n', False),
    "quote inside an unquoted field": ('note,uscc,month,total_tax,district_tax\r\nx"y,{b}",{a},2026-01,1,1\r\n', False),
    "field over two lines": ('note,uscc,month,total_tax,district_tax\r\n"two\nlines",{a},2026-01,1,1\r\n', False),
    "blank line in the middle": (HEAD + "{a},2026-01,1,1\r\n\r\n{b},2026-01,1,1\r\n", False),
    "blank cells": (HEAD + "{a},2026-01,1,1\r\n,,,\r\n", False),
    "end-of-data marker": (HEAD + "{a},2026-01,1,1\r\n\\.\r\n{b},2026-01,1,1\r\n", False),
    "short line": (HEAD + "{a},2026-01,1\r\n", False),
    "long line": (HEAD + "{a},2026-01,1,1,extra\r\n", False),
    "header only": (HEAD, False),
    "unknown code": (HEAD + "{a},2026-01,1,1\r\n{unknown},2026-01,1,1\r\n", False),
    "bad month": (HEAD + "{a},2026-13,1,1\r\n", False),
    "month out of range": (HEAD + "{a},1899-12,1,1\r\n", False),
    "three decimal places": (HEAD + "{a},2026-01,1.005,0\r\n", False),
    "negative": (HEAD + "{a},2026-01,-5,0\r\n", False),
    "not a number": (HEAD + "{a},2026-01,NaN,0\r\n{b},2026-01,Infinity,0\r\n", False),
    "too large": (HEAD + "{a},2026-01,10000000000000000,0\r\n", False),
    "district above total": (HEAD + "{a},2026-01,10,20\r\n", False),
    "duplicate rows": (HEAD + "{a},2026-01,1,1\r\n{b},2026-01,1,1\r\n{a},2026-01,2,1\r\n", False),
    "NUL byte": (HEAD + "{a},2026-01,1\x00,1\r\n", False),
    "hexadecimal amount": (HEAD + "{a},2026-01,0x10,0\r\n", False),
    "a long note": ("uscc,month,total_tax,district_tax,note\r\n{a},2026-01,1.500,1," + "x" * 140_000 + "\r\n", CSV),
    "too many columns": (",".join(["uscc", "month", "total_tax", "district_tax"] + [f"c{i}" for i in range(1700)])
                         + "\r\n{a},2026-01,1.500,1" + "," * 1700 + "\r\n", False),
}


@pytest.mark.parametrize("way", ["months new", "months stored", "bulk load"])
@pytest.mark.parametrize("name", list(FILES))
def test_fast_paths_agree_with_the_row_checks(db, make_enterprise, make_building, make_tax, tmp_path, monkeypatch,
                                              request, name, way):
    monkeypatch.setattr(tax_staging, "LINES", 2)  # copy_plain checks and sends two lines at a time
    if way == "bulk load":  # a file of any size is loaded in bulk (its sums become the building tax)
        request.getfixturevalue("bulk")
    # a: letters to lower-case; b: in a building, whose tax must come out the same either way
    a, b = make_enterprise(uscc=make_uscc("91310106MA1B2C3D4")), make_enterprise(building=make_building())
    if way == "months stored":  # the upsert path: some of the file's months hold rows, one of them the file's own
        make_tax(a, "2026-01", "1.00", "1.00")
        make_tax(b, "2026-02", "3.00", "1.00")
    template, fast = FILES[name]
    path = tmp_path / "tax.csv"
    path.write_bytes(template.format(a=a.uscc, b=b.uscc, a_lower=a.uscc.lower(),
                                     unknown=make_uscc("91310106999999999")).encode("utf-8"))
    taken = taken_by(monkeypatch)
    by_fast_paths = outcome(db, path)
    assert taken == [fast or "row by row"]
    if fast == PLAIN:  # copy_csv must agree too
        without_copy_plain(monkeypatch)
        taken.clear()
        assert outcome(db, path) == by_fast_paths and taken == [CSV]
    row_by_row(monkeypatch)
    assert by_fast_paths == outcome(db, path)


def test_overridden_code_and_stored_values_are_written_by_copy(db, make_enterprise, make_tax, tmp_path, monkeypatch):
    legacy = make_enterprise(uscc="914403001922038217", uscc_override=True)  # fails the checksum, accepted by override
    other = make_enterprise()
    make_tax(other, "2026-01", "5.00", "1.00")
    monkeypatch.setattr(imports, "_import_tax_by_copy", lambda *args: pytest.fail("the COPY path should take it"))
    path = tmp_path / "tax.csv"
    path.write_text(HEAD + f"{legacy.uscc},2026-01,12.345e1,0.5\r\n{other.uscc},2026-01,5,1\r\n{other.uscc},2026-02,6,2\r\n")
    result = import_tax(str(path))
    assert result.ok and (result.inserted, result.updated, result.unchanged) == (2, 0, 1)
    db.session.commit()
    assert records(db) == {
        (legacy.uscc, "2026-01"): (Decimal("123.45"), Decimal("0.50")),
        (other.uscc, "2026-01"): (Decimal("5.00"), Decimal("1.00")),
        (other.uscc, "2026-02"): (Decimal("6.00"), Decimal("2.00")),
    }


def test_fast_paths_report_progress_up_to_one(db, make_enterprise, tmp_path, monkeypatch, fast_path):
    monkeypatch.setattr(tax_staging, "BLOCK", 64)
    monkeypatch.setattr(tax_staging, "LINES", 5)
    a = make_enterprise()
    path = tmp_path / "tax.csv"
    path.write_text(HEAD + "".join(f"{a.uscc},{y}-{m:02d},10,5\r\n" for y in range(2000, 2010) for m in range(1, 13)))
    seen = []
    taken = taken_by(monkeypatch)
    assert import_tax(str(path), progress=seen.append).inserted == 120
    assert taken == [fast_path]
    assert seen == sorted(seen) and len(seen) > 10 and 0.5 in seen and seen[-1] == 1.0


@pytest.mark.parametrize("late", [False, True], ids=["declined early", "declined late"])
def test_declined_file_progress_never_goes_back(db, make_enterprise, tmp_path, late):
    a = make_enterprise(uscc=make_uscc("91310106MA1B2C3D4"))
    path = tmp_path / "tax.csv"
    if late:  # passes the checks, then a duplicate declines it as it is written; rejected row by row
        path.write_text(HEAD + "".join(f"{a.uscc},{y}-{m:02d},1,1\r\n" for y in range(1900, 3000)
                                       for m in range(1, 13)) + f"{a.uscc},2000-01,2,1\r\n")
    else:  # declined at once, accepted row by row
        path.write_text(HEAD + f"{a.uscc.lower()},2026-01,1,1\r\n")
    seen = []
    result = import_tax(str(path), progress=seen.append)
    assert bool(result.errors) is late, seen
    assert seen == sorted(seen) and len(set(seen)) == len(seen) and (seen[-1] == 1.0 or late), seen


# --------------------------------------------------------------------------- the bulk load


def schema(db):
    """tax_records' indexes and constraints, as PostgreSQL describes them."""
    indexes = db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tax_records' ORDER BY 1")).all()
    constraints = db.session.execute(text(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
        " WHERE conrelid = 'tax_records'::regclass ORDER BY 1")).all()
    return indexes, constraints


@pytest.fixture
def bulk(db, monkeypatch):
    """Files of any size are loaded in bulk (when the other conditions hold); records whether it happened."""
    monkeypatch.setattr(tax_staging, "BULK_MIN_ROWS", 1)
    db.session.execute(text("ANALYZE tax_records"))  # the size the bulk load compares with: empty, as the tests start
    db.session.commit()
    loads = []
    original = tax_staging._bulk_insert

    def spy(*args, **kwargs):
        try:
            inserted = original(*args, **kwargs)
        except Exception as exc:
            loads.append(type(exc).__name__)
            raise
        loads.append(inserted)
        return inserted

    monkeypatch.setattr(tax_staging, "_bulk_insert", spy)
    return loads


def file_of(tmp_path, enterprises, months, name="tax.csv"):
    path = tmp_path / name
    path.write_text(HEAD + "".join(f"{e.uscc},{m},{i + 10},{i}\r\n" for e in enterprises
                                   for i, m in enumerate(months)))
    return path


def test_bulk_load_restores_every_index_and_constraint(db, make_enterprise, tmp_path, bulk, fast_path):
    before = schema(db)
    enterprises = [make_enterprise() for _ in range(3)]
    result = import_tax(str(file_of(tmp_path, enterprises, ["2026-01", "2026-02"])))
    assert result.ok and result.inserted == 6 and bulk == [6]
    db.session.commit()
    assert schema(db) == before
    assert records(db)[(enterprises[1].uscc, "2026-02")] == (Decimal("11.00"), Decimal("1.00"))
    # The foreign key is back and enforced.
    with pytest.raises(Exception, match="fk_tax_records_enterprise_id_enterprises"):
        db.session.execute(text("INSERT INTO tax_records (enterprise_id, month, total_tax, district_tax)"
                                " VALUES (-1, '2026-03', 1, 1)"))
    db.session.rollback()
    # The dashboard's building tax was refreshed for the months written.
    from app.models import BuildingTaxMonth

    assert db.session.scalar(select(func.sum(BuildingTaxMonth.records))) == 6


def test_bulk_load_is_not_used_for_a_file_much_smaller_than_the_table(db, make_enterprise, make_tax, tmp_path,
                                                                       bulk, fast_path):
    enterprises = [make_enterprise() for _ in range(2)]
    for month in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05"):
        make_tax(enterprises[0], month, "1.00")
    # The planner's count (still 0: not analysed since) lets it try; the true count, read under the lock, decides.
    assert import_tax(str(file_of(tmp_path, enterprises, ["2026-01"]))).inserted == 2
    assert bulk == [None]  # 2 rows into a table of 5: written row by row
    db.session.execute(text("ANALYZE tax_records"))
    db.session.commit()
    assert import_tax(str(file_of(tmp_path, enterprises, ["2026-02"], name="b.csv"))).inserted == 2
    assert bulk == [None]  # now the planner's count (7) rules it out before locking anything
    db.session.commit()
    assert len(records(db)) == 9


def test_bulk_load_with_duplicates_reports_them_and_writes_nothing(db, make_enterprise, tmp_path, bulk, fast_path):
    before = schema(db)
    a, b = make_enterprise(), make_enterprise()
    path = tmp_path / "tax.csv"
    path.write_text(HEAD + f"{a.uscc},2026-01,1,1\r\n{b.uscc},2026-01,1,1\r\n{a.uscc},2026-01,2,1\r\n")
    result = import_tax(str(path))
    # found by building the key (by each fast path in turn), then checked row by row for the message
    assert bulk == ["Duplicates"] * (2 if fast_path == PLAIN else 1)
    assert [(e.row, e.column) for e in result.errors] == [(4, "uscc")]
    assert "already appears in row 2" in result.errors[0].reason
    db.session.commit()
    assert records(db) == {} and schema(db) == before


@pytest.mark.parametrize("other", [
    "SELECT count(*) FROM tax_records",  # a report reading tax in a long transaction
    "SELECT count(*) FROM enterprises",  # any page: the register
])
def test_bulk_load_never_waits_on_other_work_and_then_writes_row_by_row(db, make_enterprise, tmp_path, bulk,
                                                                         monkeypatch, other, fast_path):
    monkeypatch.setattr(tax_staging, "BULK_LOCK_WAIT", 0.2)
    enterprises = [make_enterprise() for _ in range(2)]
    path = file_of(tmp_path, enterprises, ["2026-01"])
    with db.engine.connect() as them:
        them.execute(text(other))  # and their transaction stays open
        started = time.monotonic()
        result = import_tax(str(path))
        assert time.monotonic() - started < 5
        assert result.ok and result.inserted == 2 and bulk == [None]
        # The import holds none of the bulk load's locks now: their work goes on meanwhile.
        them.execute(text("SET LOCAL lock_timeout = '1s'"))
        them.execute(text("SELECT count(*) FROM enterprises"))
        them.execute(text("SELECT count(*) FROM tax_records"))
        them.rollback()
    db.session.commit()
    assert len(records(db)) == 2


@pytest.mark.parametrize("moved", [False, True], ids=["buildings as checked", "an enterprise moved meanwhile"])
def test_bulk_load_building_tax_equals_a_full_recount(db, make_enterprise, make_building, tmp_path, bulk,
                                                     monkeypatch, moved, fast_path):
    """The bulk load stores the building tax it summed (the rows are all their months hold): copy_csv
    while checking the file, unless an enterprise moved since, when it counts again from tax_records;
    copy_plain after writing the rows."""
    from app.services import summaries

    towers = [make_building(), make_building()]
    enterprises = [make_enterprise(building=towers[0]), make_enterprise(building=towers[0]),
                   make_enterprise(building=towers[1]), make_enterprise()]
    if moved:
        original = tax_staging._lock_for_bulk

        def move_then_lock(connection):
            enterprises[0].building_id = towers[1].id  # as a concurrent move would, committed before the locks
            db.session.flush()
            return original(connection)

        monkeypatch.setattr(tax_staging, "_lock_for_bulk", move_then_lock)
    calls = []

    def recorded(name):
        real = getattr(summaries, name)
        return lambda *args: calls.append(name) or real(*args)

    for name in ("store_tax_months", "refresh_tax_months"):
        monkeypatch.setattr(summaries, name, recorded(name))
    assert import_tax(str(file_of(tmp_path, enterprises, ["2026-01", "2026-02", "2026-03"]))).inserted == 12
    assert bulk == [12]
    # copy_plain sums the rows once they are written, under the load's locks: nobody can have moved since.
    assert calls == (["refresh_tax_months"] if moved and fast_path == CSV else ["store_tax_months"])
    stored = building_tax(db)
    summaries.rebuild_tax_summary()
    assert building_tax(db) == stored
    by_building = {(month, building): records for month, building, _, _, records in stored}
    assert by_building[("2026-02", towers[1].id)] == (2 if moved else 1)
    assert by_building[("2026-02", None)] == 1


def test_temporary_staging_where_tables_may_not_be_created(db, make_enterprise, make_tax, tmp_path, monkeypatch,
                                                            fast_path):
    monkeypatch.setattr(tax_staging, "_staging_kind", lambda connection: "TEMPORARY")
    enterprises = [make_enterprise() for _ in range(2)]
    make_tax(enterprises[0], "2026-01", "10.00", "0.00")  # copy_plain stages the rows of months stored
    taken = taken_by(monkeypatch)
    result = import_tax(str(file_of(tmp_path, enterprises, ["2026-01", "2026-02"])))
    assert result.ok and (result.inserted, result.updated, result.unchanged) == (3, 0, 1)
    assert taken == [fast_path] and staging_tables(db) == []


@pytest.mark.parametrize("text_, found", [
    ("a,2026-01,0x1A,1\n", True), ("a,2026-01, -0o17,1\n", True), ("a,2026-01,1,+0B101\n", True),
    ("a,2026-01,10,1\n", False), ("a0x1,2026-01,1,1\n", False), ("91310106MA0B2C3D4X,2026-01,0.5,0\n", False),
])
def test_non_decimal_numbers_are_found_for_postgresql_16(text_, found):
    """PostgreSQL 16 reads 0x1A, 0o17 and 0b101 as numbers in COPY; Decimal does not: such a file is
    declined there. (PostgreSQL 15, the CI's, refuses them in COPY anyway.)"""
    assert bool(tax_staging._NOT_DECIMAL.search(b"uscc,month,total_tax,district_tax\n" + text_.encode())) is found


def test_a_corrected_file_updates_in_place(db, make_enterprise, tmp_path):
    """tax_records keeps room on its pages (fillfactor 90, migration 0009), so a re-issue that
    corrects amounts updates the rows in place (HOT) instead of adding index entries."""
    assert db.session.execute(text(
        "SELECT reloptions FROM pg_class WHERE oid = 'tax_records'::regclass")).scalar() == ["fillfactor=90"]
    enterprises = [make_enterprise() for _ in range(20)]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    assert import_tax(str(file_of(tmp_path, enterprises, months))).inserted == 240
    db.session.commit()
    path = tmp_path / "corrected.csv"
    # Every tenth total corrected, as in a re-issue (the room is a tenth of a page).
    path.write_text(HEAD + "".join(f"{e.uscc},{m},{i + 10 + (n % 10 == 0)},{i}\r\n"
                                   for n, (e, (i, m)) in enumerate((e, im) for e in enterprises
                                                                   for im in enumerate(months))))
    before = db.session.execute(text("SELECT pg_stat_get_xact_tuples_hot_updated('tax_records'::regclass)")).scalar()
    result = import_tax(str(path))
    assert (result.inserted, result.updated) == (0, 24)
    hot = db.session.execute(text("SELECT pg_stat_get_xact_tuples_hot_updated('tax_records'::regclass)")).scalar()
    assert hot - before == 24


def test_the_upserts_settings_end_with_it(db, make_enterprise, tmp_path):
    """The upsert raises work_mem and lowers parallel_tuple_cost for its join only: the transaction
    it runs in has its own settings back afterwards (the caller may go on with other statements)."""
    enterprises = [make_enterprise() for _ in range(3)]
    path = file_of(tmp_path, enterprises, ["2025-01", "2025-02"])
    assert import_tax(str(path)).inserted == 6
    db.session.commit()
    db.session.execute(text("SET LOCAL work_mem = '5MB'"))
    db.session.execute(text("SET LOCAL parallel_tuple_cost = 0.2"))
    path.write_text(path.read_text().replace(",2025-02,11,1", ",2025-02,12,1"))
    assert import_tax(str(path)).updated == 3
    assert db.session.execute(text(
        "SELECT current_setting('work_mem'), current_setting('parallel_tuple_cost')")).one() == ("5MB", "0.2")


def test_stored_rows_are_written_in_key_order(app, db, make_enterprise, tmp_path, fast_path):
    """Two imports changing the same stored rows must lock them in one order (the key's), so that
    one waits for the other instead of deadlocking: the join that finds the changed rows may run in
    parallel and hand them over in any order. Here another transaction holds the first row in key
    order, and once the import waits for it, changes the last row: an import that had taken the
    last row first (the file's order here) would deadlock with it."""
    import threading

    first, last = sorted((make_enterprise(), make_enterprise()), key=lambda e: e.id)
    path = tmp_path / "tax.csv"
    path.write_text(HEAD + f"{last.uscc},2026-01,10,1\r\n{first.uscc},2026-01,10,1\r\n")
    assert import_tax(str(path)).inserted == 2
    db.session.commit()
    path.write_text(HEAD + f"{last.uscc},2026-01,20,2\r\n{first.uscc},2026-01,20,2\r\n")
    importer = db.session.connection().connection.driver_connection.info.backend_pid
    engine, holding, errors = db.engine, threading.Event(), []

    def other() -> None:
        try:
            with engine.connect() as them:
                them.execute(text("SET LOCAL lock_timeout = '10s'"))
                them.execute(text("UPDATE tax_records SET total_tax = 30 WHERE enterprise_id = :e"), {"e": first.id})
                holding.set()
                deadline = time.monotonic() + 10
                while not them.execute(text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :p"),
                                       {"p": importer}).scalar():
                    assert time.monotonic() < deadline, "the import never waited for the held row"
                    time.sleep(0.02)
                them.execute(text("UPDATE tax_records SET total_tax = 30 WHERE enterprise_id = :e"), {"e": last.id})
                them.commit()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)
            holding.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert holding.wait(10)
    result = import_tax(str(path))
    db.session.commit()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    assert (result.inserted, result.updated) == (0, 2)
    assert set(records(db).values()) == {(Decimal("20.00"), Decimal("2.00"))}  # the import wrote after them


def test_the_cycle_collector_rests_while_a_fast_path_holds_the_file(db, make_enterprise, tmp_path, monkeypatch):
    """The fast paths hold a file's lines at once: Python's cycle collector is off while they run (it
    would walk them all again and again) and on again afterwards, whatever the outcome."""
    import gc

    enterprises = [make_enterprise() for _ in range(2)]
    seen = []
    for name in ("copy_plain", "copy_csv"):
        monkeypatch.setattr(tax_staging, name, lambda *args, _real=getattr(tax_staging, name), **kwargs: (
            seen.append(gc.isenabled()) or _real(*args, **kwargs)))
    assert gc.isenabled()
    assert import_tax(str(file_of(tmp_path, enterprises, ["2026-01"]))).inserted == 2
    assert seen == [False] and gc.isenabled()
    seen.clear()
    path = tmp_path / "lower.csv"  # declined by both: checked row by row
    path.write_text(HEAD + f"{enterprises[0].uscc.lower()},2026-02,1,1\r\n")
    assert import_tax(str(path)).inserted == 1
    assert seen == [False, False] and gc.isenabled()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tax_staging, "copy_plain", broken)
    with pytest.raises(RuntimeError):
        import_tax(str(file_of(tmp_path, enterprises, ["2026-03"])))
    assert gc.isenabled()
