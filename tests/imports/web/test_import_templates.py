"""The downloadable import templates: the right header row, notes on every column, and they import cleanly once filled."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db as _db
from app.imports.spreadsheets import COLUMNS
from app.models import Enterprise, ImportKind, RunStatus, TaxRecord
from app.services.imports import ENTERPRISE_COLUMNS, TAX_COLUMNS
from tests.imports.web.conftest import fresh_run, run_id_of, work

HEADERS = {ImportKind.tax: TAX_COLUMNS, ImportKind.enterprises: ENTERPRISE_COLUMNS}


def download(browser, kind: str, suffix: str) -> bytes:
    response = browser.get(f"/imports/templates/{kind}.{suffix}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=butler-import-{kind}-template.{suffix}"
    data = response.data
    response.close()
    return data


def test_the_templates_name_exactly_the_columns_the_import_reads():
    for kind, names in HEADERS.items():
        assert tuple(c.name for c in COLUMNS[kind]) == names


@pytest.mark.parametrize("kind", list(ImportKind))
def test_the_xlsx_template_has_the_header_row_and_a_notes_sheet(browser, officer, kind):
    book = load_workbook(io.BytesIO(download(browser, kind.value, "xlsx")))

    first, notes = book.worksheets
    assert [tuple(r) for r in first.iter_rows(values_only=True)] == [HEADERS[kind]]
    assert first.column_dimensions["A"].number_format == "@"  # an all-digit USCC stays text in Excel
    assert notes.title == "Notes"
    rows = list(notes.iter_rows(values_only=True))
    assert rows[0] == ("Column", "Required", "Format", "Example")
    described = {r[0]: r for r in rows[1:len(HEADERS[kind]) + 1]}
    assert list(described) == list(HEADERS[kind])
    assert all(r[1] in ("required", "optional") and r[2] and r[3] for r in described.values())
    if kind is ImportKind.tax:
        assert "YYYY-MM" in described["month"][2]
    assert any("nothing is imported" in (r[0] or "") for r in rows)


@pytest.mark.parametrize("kind", list(ImportKind))
def test_the_csv_template_is_the_header_row_in_utf8(browser, officer, kind):
    data = download(browser, kind.value, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == ",".join(HEADERS[kind]) + "\r\n"


def test_the_templates_are_for_editors_only(browser, login_as):
    from app.models import Role

    login_as(Role.leader)
    assert browser.get("/imports/templates/tax.xlsx").status_code == 403


def test_unknown_templates_are_not_found(browser, officer):
    assert browser.get("/imports/templates/users.xlsx").status_code == 404
    assert browser.get("/imports/templates/tax.xls").status_code == 404


def filled(browser, kind: ImportKind, suffix: str, rows: list[list]) -> bytes:
    """The downloaded template with rows added, as a user would fill it."""
    data = download(browser, kind.value, suffix)
    if suffix == "csv":
        return data + "".join(",".join(map(str, r)) + "\r\n" for r in rows).encode("utf-8")
    book = load_workbook(io.BytesIO(data))
    for row in rows:
        book.worksheets[0].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_filled_templates_import_cleanly(app, browser, officer, upload, make_building, make_enterprise, suffix):
    make_building(name="Plaza 66", name_zh="恒隆广场")
    new_code = "914403001922038216"
    enterprises = filled(browser, ImportKind.enterprises, suffix, [
        [new_code, "Shenzhen Example Co.", "深圳示例有限公司", "F", "regional-hq", "Plaza 66", "12-03", 250,
         "2021-06-01", "yes", "district-key"],
        ["91110000600037341L", "Beijing Example Co.", "", "J", "", "", "", "", "", "", ""],
    ])
    run_id = run_id_of(upload(enterprises, f"enterprises.{suffix}", kind="enterprises"))
    work(app)
    run = fresh_run(run_id)
    assert (run.status, run.error_count, run.inserted) == (RunStatus.done, 0, 2), run.error

    tax = filled(browser, ImportKind.tax, suffix, [
        [new_code, "2026-10", "1234567.89", "345678.90"],
        ["91110000600037341L", "2026-10", "100", "40"],
    ])
    run_id = run_id_of(upload(tax, f"tax.{suffix}"))
    work(app)
    run = fresh_run(run_id)
    assert (run.status, run.error_count, run.inserted) == (RunStatus.done, 0, 2), run.error
    assert _db.session.scalar(select(func.count()).select_from(TaxRecord)) == 2
    assert _db.session.scalar(select(Enterprise.unit).where(Enterprise.uscc == new_code)) == "12-03"
