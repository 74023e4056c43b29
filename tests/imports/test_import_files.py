"""Import files as a whole (type, emptiness, columns), the error sheet, and the CLI commands."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import TaxRecord
from app.services.imports import ImportFileError, RowError, import_enterprises, import_tax, write_error_sheet


@pytest.mark.parametrize(
    "rows, suffix, message",
    [
        ([], ".csv", "The file is empty"),
        ([], ".xlsx", "The file is empty"),
        ([["uscc", "month", "total_tax", "district_tax"]], ".csv", "no data rows"),
        ([["USCC", "Month", "amount"], ["x", "2026-01", "1"]], ".csv", "missing the columns total_tax, district_tax"),
        ([["uscc", "month", "total_tax"], ["x", "2026-01", "1"]], ".xlsx", "missing the column district_tax"),
    ],
)
def test_bad_files_name_what_is_wrong(db, write_file, rows, suffix, message):
    with pytest.raises(ImportFileError, match=message):
        import_tax(write_file(rows, suffix))


def test_wrong_file_type_and_corrupt_xlsx(db, tmp_path):
    (tmp_path / "tax.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(ImportFileError, match=r"tax\.pdf is not a supported file type"):
        import_tax(str(tmp_path / "tax.pdf"))
    (tmp_path / "tax.xlsx").write_text("uscc,month\n")
    with pytest.raises(ImportFileError, match="not a valid .xlsx"):
        import_tax(str(tmp_path / "tax.xlsx"))
    (tmp_path / "tax.csv").write_bytes("uscc,名称\n".encode("gbk"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_enterprises(str(tmp_path / "tax.csv"))


def test_upload_stream_with_filename(db, make_enterprise):
    a = make_enterprise()
    data = io.BytesIO(f"uscc,month,total_tax,district_tax\n{a.uscc},2026-01,1,1\n".encode())
    assert import_tax(data, filename="upload.csv").inserted == 1


def test_error_sheet_never_writes_formulas(tmp_path):
    errors = [
        RowError(2, "uscc", "=HYPERLINK(\"http://evil\",\"x\")"),
        RowError(3, "+name", "-2+3"),
        RowError(4, "@col", "@SUM(A1)"),
        RowError(5, "month", "plain\x07text"),
    ]
    buffer = io.BytesIO()
    write_error_sheet(errors, buffer)
    path = tmp_path / "errors.xlsx"
    write_error_sheet(errors, path)
    for source in (buffer, path):
        book = load_workbook(source)
        sheet = book.active
        assert [c.value for c in sheet[1]] == ["Row", "Column", "Reason"]
        assert sheet["C2"].data_type == "s" and sheet["C2"].value.startswith("=")
        assert sheet["C2"].value == "=HYPERLINK(\"http://evil\",\"x\")"
        for ref in ("B3", "C3", "B4", "C4"):
            assert sheet[ref].data_type == "s"
        assert sheet["A2"].value == 2 and sheet["C5"].value == "plaintext"
        book.close()


def test_cli_import_tax_errors_exit_non_zero(app, db, make_enterprise, write_file):
    a = make_enterprise()
    path = write_file([["uscc", "month", "total_tax", "district_tax"], [a.uscc, "2026-1x", "-1", "0"]])
    result = app.test_cli_runner().invoke(args=["import-tax", path])
    assert result.exit_code == 1
    assert "row 2, month: month must be a month as YYYY-MM, not '2026-1x'" in result.output
    assert "row 2, total_tax: total_tax must not be negative (-1)" in result.output
    assert "2 errors found; nothing was imported." in result.output
    assert db.session.scalar(select(func.count()).select_from(TaxRecord)) == 0


def test_cli_import_tax_success_commits_and_counts(app, db, make_enterprise, write_file):
    a = make_enterprise()
    path = write_file([["uscc", "month", "total_tax", "district_tax"], [a.uscc, "2026-01", "10", "4"]], ".xlsx")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-tax", path])
    assert result.exit_code == 0, result.output
    assert "1 inserted, 0 updated, 0 unchanged" in result.output
    db.session.remove()  # a fresh session: the row must have been committed
    assert db.session.scalar(select(func.count()).select_from(TaxRecord)) == 1
    result = runner.invoke(args=["import-tax", path])
    assert result.exit_code == 0 and "0 inserted, 0 updated, 1 unchanged" in result.output


def test_cli_import_enterprises(app, db, write_file, tmp_path):
    from app.services.imports import ENTERPRISE_COLUMNS
    from app.uscc import make

    runner = app.test_cli_runner()
    good = write_file([list(ENTERPRISE_COLUMNS), [make("91310106MA1FL0009"), "Acme", "", "L", "", "", "", "", "", "", ""]])
    result = runner.invoke(args=["import-enterprises", good])
    assert result.exit_code == 0 and "1 inserted" in result.output
    bad = write_file([list(ENTERPRISE_COLUMNS), ["nope", "Acme", "", "L", "", "", "", "", "", "", ""]], name="bad")
    result = runner.invoke(args=["import-enterprises", bad])
    assert result.exit_code == 1 and "row 2, uscc: bad USCC NOPE" in result.output
    (tmp_path / "x.txt").write_text("hi")
    result = runner.invoke(args=["import-enterprises", str(tmp_path / "x.txt")])
    assert result.exit_code == 1 and "not a supported file type" in result.output
