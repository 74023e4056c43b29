"""Helpers for the import tests: write rows to a .csv or .xlsx file."""
from __future__ import annotations

import csv

import pytest


@pytest.fixture
def write_file(tmp_path):
    """write_file(rows, suffix) -> path; the first row is the header."""

    def write(rows: list[list], suffix: str = ".csv", name: str = "upload") -> str:
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".xlsx":
            from openpyxl import Workbook

            book = Workbook()
            for row in rows:
                book.active.append(row)
            book.save(path)
        else:
            with open(path, "w", newline="", encoding="utf-8-sig") as fh:
                csv.writer(fh).writerows(rows)
        return str(path)

    return write
