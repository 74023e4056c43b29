"""Report runs: asking for a report, retrying a failed one, the monthly pack's once-only run, and
writing a workbook so that a half-written file is never seen under its final name."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app

from app import clock
from app.extensions import db
from app.models import ReportKind, ReportRun, RunStatus, User
from app.reports import Period, PeriodError, build_report
from app.reports.period import SHANGHAI
from app.services import flush_unique


class ReportRunError(Exception):
    """A report run that cannot be made as asked (the message is for the user)."""


class AlreadyMade(Exception):
    """The scheduled run for that month exists already."""


def current_month() -> str:
    """The month it is now in Shanghai, 'YYYY-MM'."""
    local = clock.now().astimezone(SHANGHAI)
    return f"{local.year:04d}-{local.month:02d}"


def check_period(text: str) -> Period:
    """A month a report can be made for: YYYY-MM, and not after the current month (Shanghai time)."""
    period = Period.parse(text)
    if period.month > current_month():
        raise PeriodError(f"{period} has not begun yet: choose {current_month()} or an earlier month.")
    return period


def _locale_for(by: User | None, locale: str | None) -> str:
    """The language of a run's workbook: `locale` if it is one of the interface's, else the requester's."""
    from app.i18n import supported, user_locale

    return supported(locale) or user_locale(by)


def _new_run(kind: ReportKind, period: str, *, by: User | None, **kw) -> ReportRun:
    run = ReportRun(kind=kind, period=period, locale=kw.pop("locale", "en"), requested_by=by,
                    status=RunStatus.queued, attempts=0, **kw)
    db.session.add(run)
    return run


def _name_job(run: ReportRun) -> ReportRun:
    # The job id is known (and committed with the run) before the job is enqueued, so a run whose
    # enqueueing never happened is found out by reconcile() instead of staying queued for ever.
    run.job_id = f"report-{run.id}-{secrets.token_hex(4)}"
    return run


def request_report(kind: ReportKind, period: Period, by: User, *, locale: str | None = None) -> ReportRun:
    """A new queued run of `kind` for `period`, asked for by `by` (enqueue it after committing).

    The workbook is made in `locale` (the report centre passes the language of the page it was asked
    on), else in `by`'s saved language, else in English."""
    run = _new_run(kind, str(period), by=by, locale=_locale_for(by, locale))
    db.session.flush()
    return _name_job(run)


def retry_report(failed: ReportRun, by: User, *, locale: str | None = None) -> ReportRun:
    """A new queued run repeating a failed one (the failed run stays in the history), in the language of
    whoever asks for it again (`locale`, as for request_report)."""
    if failed.status is not RunStatus.failed:
        raise ReportRunError("Only a failed run can be retried.")
    run = _new_run(failed.kind, failed.period, by=by, locale=_locale_for(by, locale), retry_of_id=failed.id)
    db.session.flush()
    return _name_job(run)


def schedule_key(period: str) -> str:
    return f"pack:{period}"


def start_scheduled_pack(period: str) -> ReportRun:
    """The automatic monthly pack's run for `period`; AlreadyMade when it exists (made once, ever). It is
    in English: nobody asked for it.

    The unique schedule key decides, not a prior look-up: two workers (or a re-fired schedule)
    racing for the same month insert the same key, and the database lets one of them win.
    """
    run = _new_run(ReportKind.pack, period, by=None, schedule_key=schedule_key(period))
    flush_unique(AlreadyMade(period))
    return _name_job(run)


def report_path(run: ReportRun) -> Path | None:
    """Where a done run's workbook is, if it is there (never a temporary file)."""
    if run.status is not RunStatus.done or not run.stored_name:
        return None
    path = Path(current_app.config["REPORT_FOLDER"]) / os.path.basename(run.stored_name)
    return path if path.is_file() else None


def write_workbook(kind: ReportKind | str, period: Period | str, path: str | os.PathLike, *,
                   progress=None, locale: str = "en") -> int:
    """Build a report into a temporary file next to `path`, then rename it to `path`; its size in bytes.

    The rename is atomic on one file system, so `path` is either absent or complete; the
    temporary file is removed when the build fails.
    """
    path = Path(path)
    temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.part")
    temp.touch(exist_ok=False)  # an unwritable folder fails here, as an OSError, before any work
    try:
        build_report(kind, period, str(temp), progress=progress, locale=locale)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path.stat().st_size
