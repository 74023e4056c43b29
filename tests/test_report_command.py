"""`flask report KIND YYYY-MM --out FILE`: the same workbook as the queue job, built synchronously."""
from __future__ import annotations

import os

import openpyxl
import pytest

from app.services import reports as service


@pytest.fixture
def run(app):
    return lambda *args: app.test_cli_runner().invoke(args=["report", *args])


def test_builds_the_workbook_and_prints_its_path(run, tmp_path, db):
    out = tmp_path / "tax.xlsx"
    result = run("tax", "2026-02", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out.resolve())
    assert os.listdir(tmp_path) == ["tax.xlsx"]  # no temporary file left
    book = openpyxl.load_workbook(out, read_only=True)
    assert "Summary" in book.sheetnames
    book.close()


def test_the_default_name_says_kind_and_month(run, tmp_path, monkeypatch, db):
    monkeypatch.chdir(tmp_path)
    result = run("pack", "2026-01")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "butler-pack-2026-01.xlsx").is_file()


def test_a_bad_kind_is_refused(run, tmp_path):
    result = run("salaries", "2026-02", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and "Invalid value for 'KIND'" in result.output
    assert "'salaries' is not one of 'tax', 'retention', 'service', 'pack'" in result.output
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("month, message", [("2026-13", "is not a month as YYYY-MM"), ("26-02", "is not a month"),
                                            ("2999-01", "has not begun yet")])
def test_a_bad_month_is_refused(run, tmp_path, month, message):
    result = run("tax", month, "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and message in result.output
    assert os.listdir(tmp_path) == []


def test_an_unwritable_path_is_refused(run, tmp_path, db):
    result = run("service", "2026-02", "--out", str(tmp_path / "missing" / "x.xlsx"))
    assert result.exit_code == 1
    assert f"Cannot write {tmp_path / 'missing' / 'x.xlsx'}: No such file or directory" in result.output
    result = run("service", "2026-02", "--out", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output


def test_a_failing_build_leaves_no_file(run, tmp_path, monkeypatch, db):
    out = tmp_path / "x.xlsx"
    out.write_bytes(b"last month's good file")

    def broken(kind, period, path, **kw):
        with open(path, "wb") as partial:
            partial.write(b"PK partial")
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "build_report", broken)
    result = run("tax", "2026-02", "--out", str(out))
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
    assert os.listdir(tmp_path) == ["x.xlsx"] and out.read_bytes() == b"last month's good file"
