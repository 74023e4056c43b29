"""Assemble a report workbook: cover, Summary, then each section's sheets.

The pack is the three reports in one workbook; its Summary lists every indicator. The tax and
retention reports share one scan of the tax table (queries.enterprise_tax). Runs in the locale
build_report() forces: every string is translated here, at build time.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO

from flask_babel import gettext as _

from app import clock
from app.models import ReportKind
from app.reports import queries, retention, service, tax
from app.reports.excel import SUMMARY, Book
from app.reports.period import Period


def title(kind: ReportKind, period: Period) -> str:
    """The cover's title, in the current locale."""
    return {
        ReportKind.tax: _("Tax revenue report — %(period)s", period=str(period)),
        ReportKind.retention: _("Enterprise retention report — %(period)s", period=str(period)),
        ReportKind.service: _("Service report (51530) — %(period)s", period=str(period)),
        ReportKind.pack: _("Monthly pack: tax, retention and service — %(period)s", period=str(period)),
    }[kind]


def build(kind: ReportKind, period: Period, out: str | os.PathLike | IO[bytes], *,
          progress: Callable[[float], None] | None = None, locale: str = "en") -> None:
    step = progress or (lambda fraction: None)
    step(0.0)
    wants_tax = kind in (ReportKind.tax, ReportKind.pack)
    wants_retention = kind in (ReportKind.retention, ReportKind.pack)
    wants_service = kind in (ReportKind.service, ReportKind.pack)

    months = enterprises = None
    if wants_tax or wants_retention:
        months = queries.tax_months(period)
        enterprises = queries.enterprise_tax(period, months)
    step(0.35)
    sections = []  # (module, section) in workbook order
    if wants_tax:
        sections.append((tax, tax.collect(period, enterprises, months)))
    step(0.5)
    if wants_retention:
        sections.append((retention, retention.collect(period, enterprises, months)))
    step(0.65)
    if wants_service:
        sections.append((service, service.collect(period)))
    step(0.8)

    indicators = [i for module, section in sections for i in module.indicators(section)]
    notes = [note for _module, section in sections for note in section.notes]
    sheets = [SUMMARY] + [name for module, _section in sections for name in module.sheets().values()]
    book = Book(out)
    try:
        book.cover(title(kind, period), period.month, clock.now(), indicators, notes, sheets)
        book.summary(indicators)
        for module, section in sections:
            module.write(book, section)
    finally:
        book.close()
    step(1.0)
