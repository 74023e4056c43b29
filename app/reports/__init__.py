"""The monthly Excel reports: tax revenue, enterprise retention, service (51530) and the pack.

``build_report(kind, period, out)`` is the one entry point, used by the queue job, the
``flask report`` command and the tests. SQL computes the aggregates, pandas shapes them, and
XlsxWriter writes the workbook.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO

from app.models import ReportKind
from app.reports.period import Period, PeriodError

Progress = Callable[[float], None]

__all__ = ["ReportKind", "Period", "PeriodError", "build_report"]


def build_report(kind: ReportKind | str, period: Period | str, out: str | os.PathLike | IO[bytes], *,
                 progress: Progress | None = None, locale: str = "en") -> None:
    """Write the `kind` report for `period` (a Period or 'YYYY-MM') as .xlsx to `out` (a path or a binary file).

    Reads the database in the current app context; raises PeriodError for a bad month and
    ValueError for an unknown kind. `progress` is called with fractions from 0.0 to 1.0.
    `locale` is the workbook's language (one of app.i18n.LANGUAGES; anything else is English):
    every sheet, header and note is in it, except the Summary sheet's name, header row and
    indicator names, which stay English keys in every language. Numbers are formatted alike.
    """
    from flask_babel import force_locale

    from app.i18n import DEFAULT_LOCALE, supported
    from app.reports.builder import build

    kind = ReportKind(kind)
    period = period if isinstance(period, Period) else Period.parse(period)
    locale = supported(locale) or DEFAULT_LOCALE
    with force_locale(locale):  # works outside a request too: the job's and the CLI's app context
        build(kind, period, out, progress=progress, locale=locale)
