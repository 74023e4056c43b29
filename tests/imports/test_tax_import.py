"""Monthly tax import: validation of every row, all-or-nothing, idempotent upsert."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models import TaxRecord
from app.services.imports import RowError, import_tax
from app.uscc import make as make_uscc

HEADER = ["uscc", "month", "total_tax", "district_tax"]


def records(db):
    return {
        (r.enterprise.uscc, r.month): (r.total_tax, r.district_tax)
        for r in db.session.scalars(select(TaxRecord))
    }


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_clean_file_inserts_then_second_import_changes_nothing(db, make_enterprise, write_file, suffix):
    a, b = make_enterprise(), make_enterprise()
    path = write_file(
        [HEADER, [a.uscc, "2026-01", "1000.50", "400.20"], [a.uscc, "2026-02", 2000, 800], [b.uscc.lower(), "2026-01", "0", "0"]],
        suffix,
    )
    result = import_tax(path)
    assert result.ok and (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    db.session.commit()
    assert records(db) == {
        (a.uscc, "2026-01"): (Decimal("1000.50"), Decimal("400.20")),
        (a.uscc, "2026-02"): (Decimal("2000.00"), Decimal("800.00")),
        (b.uscc, "2026-01"): (Decimal("0.00"), Decimal("0.00")),
    }
    again = import_tax(path)
    assert again.ok and (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_changed_amounts_update_in_place(db, make_enterprise, make_tax, write_file):
    a = make_enterprise()
    make_tax(a, "2026-01", "100.00", "40.00")
    make_tax(a, "2026-02", "200.00", "80.00")
    path = write_file([HEADER, [a.uscc, "2026-01", "150", "60"], [a.uscc, "2026-02", "200.0", "80"], [a.uscc, "2026-03", "1", "1"]])
    result = import_tax(path)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TaxRecord)) == 3
    assert records(db)[(a.uscc, "2026-01")] == (Decimal("150.00"), Decimal("60.00"))


def test_excel_float_amounts_are_exact(db, make_enterprise, write_file):
    a = make_enterprise()
    path = write_file([HEADER, [a.uscc, "2026-01", 1234567.89, 0.1]], ".xlsx")
    assert import_tax(path).inserted == 1
    assert records(db)[(a.uscc, "2026-01")] == (Decimal("1234567.89"), Decimal("0.10"))


def test_every_error_is_reported_and_nothing_is_written(db, make_enterprise, make_tax, write_file):
    a = make_enterprise()
    make_tax(a, "2025-12", "10.00", "4.00")
    unknown = make_uscc("91310106999999999")
    bad_checksum = a.uscc[:17] + ("0" if a.uscc[17] != "0" else "1")
    path = write_file(
        [
            HEADER,
            [a.uscc, "2026-01", "100", "40"],  # row 2: fine
            [unknown, "2026-01", "100", "40"],  # 3: unknown
            [bad_checksum, "2026-01", "100", "40"],  # 4: checksum
            ["12345", "2026-01", "100", "40"],  # 5: length
            [a.uscc, "2026-13", "100", "40"],  # 6: bad month
            [a.uscc, "2026-02", "-5", "0"],  # 7: negative
            [a.uscc, "2026-03", "abc", "0"],  # 8: non-numeric
            [a.uscc, "2026-04", "1.005", "0"],  # 9: 3 decimal places
            [a.uscc, "2026-05", "10", "20"],  # 10: district > total
            [a.uscc, "2026-01", "100", "40"],  # 11: duplicate of row 2
            [],  # 12: blank, skipped
            [a.uscc, "", "", ""],  # 13: missing values
        ]
    )
    result = import_tax(path)
    assert result.inserted == result.updated == result.unchanged == 0
    by_row = {}
    for error in result.errors:
        assert isinstance(error, RowError)
        by_row.setdefault(error.row, []).append((error.column, error.reason))
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 13}
    assert by_row[3] == [("uscc", f"unknown USCC {unknown}: no enterprise is registered with it")]
    assert by_row[4][0][0] == "uscc" and "check character" in by_row[4][0][1]
    assert "18 characters" in by_row[5][0][1]
    assert by_row[6] == [("month", "month must be a month as YYYY-MM, not '2026-13'")]
    assert by_row[7] == [("total_tax", "total_tax must not be negative (-5)")]
    assert by_row[8] == [("total_tax", "total_tax is not a number: 'abc'")]
    assert by_row[9] == [("total_tax", "total_tax has more than 2 decimal places (1.005)")]
    assert by_row[10] == [("district_tax", "district_tax 20.00 is more than total_tax 10.00")]
    assert by_row[11] == [("uscc", f"duplicate row: {a.uscc} 2026-01 already appears in row 2")]
    assert {c for c, _ in by_row[13]} == {"month", "total_tax", "district_tax"}
    db.session.commit()
    assert records(db) == {(a.uscc, "2025-12"): (Decimal("10.00"), Decimal("4.00"))}


def test_quoted_grouped_and_multiline_cells_read_as_csv_reads_them(db, make_enterprise, tmp_path):
    """Lines that are not plain (quotes, grouped amounts, a field over two lines, extra columns) are read by csv."""
    a, b = make_enterprise(), make_enterprise()
    path = tmp_path / "tax.csv"
    path.write_text(
        "note,district_tax,uscc,total_tax,month\r\n"
        f"plain,40,{a.uscc},100,2026-01\r\n"
        f'"two\nlines",\"1,000.5\",{a.uscc},"2,000",2026-02\r\n'
        f'x, 7 ,{b.uscc.lower()}, 8 ,2026-1\r\n'
        "\r\n"
        f"after,1,{a.uscc},1.001,2026-03\r\n",
        encoding="utf-8",
    )
    result = import_tax(str(path))
    assert result.errors == [RowError(6, "total_tax", "total_tax has more than 2 decimal places (1.001)")]
    path.write_text(path.read_text(encoding="utf-8").replace("1.001", "1.00"), encoding="utf-8")
    result = import_tax(str(path))
    assert result.ok and (result.inserted, result.updated, result.unchanged) == (4, 0, 0)
    db.session.commit()
    assert records(db) == {
        (a.uscc, "2026-01"): (Decimal("100.00"), Decimal("40.00")),
        (a.uscc, "2026-02"): (Decimal("2000.00"), Decimal("1000.50")),
        (b.uscc, "2026-01"): (Decimal("8.00"), Decimal("7.00")),
        (a.uscc, "2026-03"): (Decimal("1.00"), Decimal("1.00")),
    }


def test_a_code_written_two_ways_is_still_a_duplicate(db, make_enterprise, write_file):
    a = make_enterprise()
    path = write_file([HEADER, [a.uscc, "2026-01", "1", "1"], [a.uscc, "2026-02", "1", "1"],
                       [a.uscc.lower(), "2026-1", "1", "1"], [a.uscc, "2026-02", "2", "1"]])
    result = import_tax(path)
    assert result.errors == [
        RowError(4, "uscc", f"duplicate row: {a.uscc} 2026-01 already appears in row 2"),
        RowError(5, "uscc", f"duplicate row: {a.uscc} 2026-02 already appears in row 3"),
    ]
    assert db.session.scalar(select(func.count()).select_from(TaxRecord)) == 0


def test_district_equal_to_total_and_large_amounts_are_exact(db, make_enterprise, write_file):
    a = make_enterprise()
    big = "9999999999999999.99"
    path = write_file([HEADER, [a.uscc, "2026-01", big, big], [a.uscc, "2026-02", "1234567890123456.78",
                                                               "1234567890123456.79"]])
    result = import_tax(path)
    assert result.errors == [
        RowError(3, "district_tax", "district_tax 1234567890123456.79 is more than total_tax 1234567890123456.78")
    ]
    path = write_file([HEADER, [a.uscc, "2026-01", big, big], [a.uscc, "2026-02", "0.1", "0.10"]])
    assert import_tax(path).inserted == 2
    if db.engine.dialect.name == "postgresql":  # SQLite keeps NUMERIC as a float: 16 digits do not survive
        assert records(db)[(a.uscc, "2026-01")] == (Decimal(big), Decimal(big))
    assert records(db)[(a.uscc, "2026-02")] == (Decimal("0.10"), Decimal("0.10"))


def test_other_scripts_digits_are_read_as_numbers(db, make_enterprise, write_file):
    """Decimal reads Arabic-Indic digits; they must reach the database as the number, not as text."""
    a = make_enterprise()
    assert import_tax(write_file([HEADER, [a.uscc, "2026-01", "١٢٣", "٤"]])).inserted == 1
    assert records(db)[(a.uscc, "2026-01")] == (Decimal("123.00"), Decimal("4.00"))


def test_progress_rises_to_one_over_a_larger_file(db, make_enterprise, write_file):
    enterprises = [make_enterprise() for _ in range(3)]
    rows = [[e.uscc, f"{y}-{m:02d}", "10", "5"] for e in enterprises for y in range(1950, 2010) for m in range(1, 13)]
    seen = []
    result = import_tax(write_file([HEADER, *rows]), progress=seen.append)
    assert result.ok and result.inserted == len(rows) == 2160
    assert seen == sorted(seen) and seen[-1] == 1.0 and 0.5 in seen and all(0 <= f <= 1 for f in seen)


def test_rows_inserted_meanwhile_by_another_import_are_upserted(db, make_enterprise, make_tax, write_file,
                                                                  monkeypatch):
    """On PostgreSQL a file whose months are not stored yet is written with a plain INSERT; if another
    transaction stored some of its rows meanwhile, the import falls back to the upsert."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the staged write is PostgreSQL's")
    from app.services import tax_staging

    a = make_enterprise()
    make_tax(a, "2026-01", "1.00", "1.00")
    make_tax(a, "2026-02", "5.00", "1.00")
    monkeypatch.setattr(tax_staging, "_ANY_STORED", "SELECT cardinality(%(months)s::text[]) = 0")  # as if they had not been there when it looked
    path = write_file([HEADER, [a.uscc, "2026-01", "1", "1"], [a.uscc, "2026-02", "6", "1"], [a.uscc, "2026-03", "2", "1"]])
    result = import_tax(path)
    assert result.ok and (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    db.session.commit()
    assert records(db) == {
        (a.uscc, "2026-01"): (Decimal("1.00"), Decimal("1.00")),
        (a.uscc, "2026-02"): (Decimal("6.00"), Decimal("1.00")),
        (a.uscc, "2026-03"): (Decimal("2.00"), Decimal("1.00")),
    }


def test_a_huge_amount_with_decimals_is_too_large_not_a_crash(db, make_enterprise, write_file):
    a = make_enterprise()
    result = import_tax(write_file([HEADER, [a.uscc, "2026-01", "100000000000000000000000000.001", "1"]]))
    assert result.errors == [RowError(2, "total_tax", "total_tax is too large (100000000000000000000000000.001)")]


def test_a_huge_cell_makes_a_short_reason(db, make_enterprise, write_file):
    a = make_enterprise()
    result = import_tax(write_file([HEADER, [a.uscc, "2026-" + "1" * 200_000, "1", "1"]]))
    [error] = result.errors
    assert error.column == "month" and error.reason.startswith("month must be a month as YYYY-MM, not '2026-111")
    assert len(error.reason) == 300 and error.reason.endswith("…")


def test_the_copy_paths_codes_are_those_the_row_checks_take_as_written():
    """_exact_codes (the codes the COPY paths accept, written exactly so) checks codes on its own:
    it must take exactly those that _known_code takes and leaves as they are."""
    from app.services import imports

    valid = make_uscc("91310106MA1FL0000")
    bad_sum = valid[:17] + ("0" if valid[17] != "0" else "1")
    codes = [valid, bad_sum, bad_sum[:16] + "2" + bad_sum[17], valid.lower(), f" {valid}", f"{valid[:6]} {valid[6:]}",
             valid[:17], valid + "1", valid[:5] + "I" + valid[6:], valid[:17] + "\u3000", "", "９" + valid[1:]]
    ids = {code: n for n, code in enumerate(codes)}
    overridden = {bad_sum}
    expected = {code: n for code, n in ids.items()
                if (known := imports._known_code(code, ids, overridden)) is not None and known[0] == code}
    assert set(expected) == {valid, bad_sum}
    assert imports._exact_codes(ids, overridden) == expected
