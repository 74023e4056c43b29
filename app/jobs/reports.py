"""Report jobs: generating a run's workbook, and the monthly pack at 06:00 Shanghai time on the 1st.

``generate_report(run_id)`` builds the workbook into REPORT_FOLDER under a temporary name and
renames it to a random final name only when complete (a half-written file is never served).

The monthly pack is a chain like the SLA scan's: the job for a month is scheduled with
``enqueue_at`` under an id fixed by the month reported on (``monthly-pack-2026-10``, due
2026-11-01 06:00 Shanghai = 2026-10-31 22:00 UTC) and ``unique=True``; when it runs it first
schedules the next month's, then makes its own run. Its run carries the schedule key
``pack:2026-10``, unique in the database, so the pack is made once even when the schedule fires
twice (two workers, a lost and re-created Redis schedule). The job is retried like a run's
(``RETRY``). A job whose time passed while no worker ran is enqueued by the next scheduler;
``flask worker`` also re-creates a lost schedule and catches up the last month's pack if it was
never made, replacing its job if that failed for good.
"""
from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, time, timezone
from pathlib import Path

from flask import current_app
from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from app import clock
from app.extensions import db
from app.jobs.runs import JOB_TIMEOUT, RESULT_TTL, RETRY, files_kept_if_done, set_progress, tracked_run
from app.models import ReportRun, RunStatus
from app.queue import get_queue
from app.reports.period import SHANGHAI, Period, shift
from app.services.reports import AlreadyMade, schedule_key, start_scheduled_pack, write_workbook

REPORT_QUEUE = "default"
#: Local hour (Asia/Shanghai) on the 1st at which the previous month's pack is made.
PACK_HOUR = 6
FAILURE_TTL = 30 * 24 * 3600  # a failed report job's traceback, for whoever looks into it
#: Why a run fails when the work horse of its previous attempt died.
INTERRUPTED = "The worker stopped while making this report (it may have run out of memory or been restarted)."


def generate_report(run_id: int) -> str:
    """Build a report run's workbook into REPORT_FOLDER; the file's stored name."""
    with files_kept_if_done() as written, tracked_run(ReportRun, run_id, interrupted=INTERRUPTED) as run:
        folder = Path(current_app.config["REPORT_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.xlsx"
        written.append(folder / name)
        run.size = write_workbook(run.kind, run.period, written[-1], progress=set_progress, locale=run.locale)
        run.stored_name = name
    return name


def sweep_partial_files(older_than: float = JOB_TIMEOUT) -> int:
    """Delete the temporary workbooks (*.part: reports in REPORT_FOLDER, import error sheets in the
    imports folder) that no job can still be writing (a killed worker leaves them: no job runs longer
    than JOB_TIMEOUT); how many were deleted."""
    from app.services.import_files import import_folder

    cutoff = datetime.now(timezone.utc).timestamp() - older_than  # file times are the wall clock's, not the app's
    removed = 0
    partial = itertools.chain(Path(current_app.config["REPORT_FOLDER"]).glob("*.part"), import_folder().glob("*.part"))
    for path in partial:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker starting swept it first
            continue
    return removed


def enqueue_report(run: ReportRun, queue: Queue | None = None) -> Job:
    """Put a committed run's generation on the queue, under the job id its row already has."""
    return (queue or get_queue(REPORT_QUEUE)).enqueue(
        generate_report, run.id, job_id=run.job_id, retry=RETRY, job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        description=f"{run.kind.label} {run.period} (report run {run.id})",
    )


def pack_due(period: str) -> datetime:
    """When the pack for `period` is made: 06:00 Shanghai on the 1st of the month after (as UTC)."""
    first = date.fromisoformat(shift(str(period), 1) + "-01")
    return datetime.combine(first, time(PACK_HOUR), SHANGHAI).astimezone(timezone.utc)


def pack_job_id(period: str) -> str:
    return f"monthly-pack-{period}"


def last_due_period(now: datetime) -> str:
    """The latest month whose pack is due at or before `now`."""
    period = Period.previous(now).month
    return period if pack_due(period) <= now else shift(period, -1)


def schedule_pack(queue: Queue, period: str) -> Job | None:
    """Schedule the pack for `period` at its due time, unless its job exists already (then None)."""
    try:
        return queue.enqueue_at(
            pack_due(period), build_monthly_pack, period, job_id=pack_job_id(period), unique=True, retry=RETRY,
            description=f"Monthly pack {period}", result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        )
    except DuplicateJobError:
        return None


def _delete_dead_job(queue: Queue, job_id: str) -> None:
    """Delete the job if it ended without success: it keeps its id for FAILURE_TTL, and `unique` would refuse it."""
    job = queue.fetch_job(job_id)
    if job is not None and job.get_status(refresh=False) in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        job.delete()


def ensure_pack_schedule(queue: Queue) -> str:
    """Start (or join) the monthly chain; catch up the last due pack if it was never made. The next job's id."""
    due = last_due_period(clock.now())
    if db.session.scalar(db.select(ReportRun.id).where(ReportRun.schedule_key == schedule_key(due))) is None:
        _delete_dead_job(queue, pack_job_id(due))  # its job failed for good: schedule it again
        schedule_pack(queue, due)  # due in the past: the scheduler enqueues it at once
    db.session.rollback()  # end the read transaction before the worker starts waiting
    upcoming = shift(due, 1)
    schedule_pack(queue, upcoming)
    return pack_job_id(upcoming)


def build_monthly_pack(period: str) -> int | None:
    """Schedule next month's pack, then make this month's once; the id of its run (None if it was made already)."""
    job = get_current_job()
    queue = Queue(job.origin, connection=job.connection) if job is not None else get_queue(REPORT_QUEUE)
    schedule_pack(queue, shift(period, 1))
    try:
        run = start_scheduled_pack(period)
    except AlreadyMade:
        db.session.rollback()
        return None
    db.session.commit()
    try:
        enqueue_report(run, queue)
    except Exception as exc:
        run.status, run.finished_at = RunStatus.failed, clock.now()
        run.error = f"Could not be put on the queue ({type(exc).__name__}); retry it."
        db.session.commit()
        raise
    return run.id
