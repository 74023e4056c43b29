"""What report and import jobs share: the run row's life cycle, progress in the job's meta, retries.

A job receives the id of its run row (ReportRun or ImportRun) and works inside ``tracked_run``:

    with tracked_run(ReportRun, run_id) as run:
        ...                      # set_progress(0.4) as it goes
        run.stored_name = name   # committed with status "done"

The run is marked running (and committed) before the work, done after it. On an exception the
work is rolled back and the error recorded: a *transient* failure (a lost database or Redis
connection, a locked SQLite database, a full disk: see ``is_transient``) is left "queued" for RQ's
``Retry`` while attempts remain; anything else fails at once, without retries, because repeating
it would fail the same way.

RQ's ``Retry`` (given at enqueue) also repeats a job whose work horse was killed (out of memory,
or with its worker), whatever ``is_transient`` says. Such a retry finds the run still "running"
from an attempt that never came back to ``tracked_run``, and fails it at once (``interrupted``)
rather than repeat work that may well kill the next work horse too.
"""
from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

import psycopg
from redis.exceptions import ConnectionError as RedisConnectionError, RedisError, TimeoutError as RedisTimeoutError
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeoutError
from xlsxwriter.exceptions import FileCreateError

from app import clock
from app.extensions import db
from app.models import RunStatus
from app.queue import get_redis

log = logging.getLogger(__name__)

#: Transient failures are retried three times, after 10 s, 1 min and 5 min.
RETRY = Retry(max=3, interval=[10, 60, 300])
#: A report at full scale takes well under a minute; a stuck job is killed after this.
JOB_TIMEOUT = 30 * 60
#: The failure recorded on a run whose previous attempt's work horse died (see the module doc).
INTERRUPTED = "The worker stopped while working on this run (it may have run out of memory or been restarted)."
#: How long RQ keeps a finished job's record (the run row keeps the history).
RESULT_TTL = 24 * 3600
#: A run (with its job id) is committed a moment before its job is enqueued: a younger run whose job
#: is not in Redis yet is not judged by reconcile().
ENQUEUE_GRACE = timedelta(seconds=30)

Run = TypeVar("Run")

#: The job's meta key holding the last attempt that ended inside tracked_run (even if it could not
#: record its failure in the database).
ENDED_ATTEMPT = "ended_attempt"


class JobFailure(Exception):
    """A failure whose message is meant for the user (shown on the run as it is)."""


#: I/O errors that may pass on their own: a full disk or quota, a failing or busy device, a network
#: (or network file system) hiccup. A missing folder, a file in the way or a refused permission
#: (ENOENT, EISDIR, ENOTDIR, EACCES...) is a misconfiguration: it would fail the same way again.
TRANSIENT_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ENOMEM, errno.ENOBUFS,
    errno.ENFILE, errno.EMFILE, errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED, errno.ECONNABORTED,
    errno.EPIPE, errno.ENETDOWN, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ESTALE,
})
#: SQLite's primary result codes that may pass: SQLITE_BUSY ("database is locked"), SQLITE_LOCKED,
#: SQLITE_IOERR, SQLITE_FULL. SQLITE_ERROR ("no such table", a syntax error) is not among them.
SQLITE_TRANSIENT = frozenset({5, 6, 10, 13})
#: PostgreSQL SQLSTATEs that may pass, besides class 08 (connection exception): the server shutting
#: down or starting (57P01-57P03), too many connections, a disk full, a serialization failure, a deadlock.
POSTGRES_TRANSIENT = frozenset({"57P01", "57P02", "57P03", "53300", "53100", "40001", "40P01"})


def _transient_database_error(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:  # SQLAlchemy recognised a lost connection and dropped it from the pool
        return True
    orig = exc.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in SQLITE_TRANSIENT  # an extended code keeps the primary one in its low byte
    if hasattr(orig, "sqlstate"):  # psycopg
        return _transient_psycopg_error(orig, client_failure=isinstance(exc, OperationalError))
    return False


def _transient_psycopg_error(exc, client_failure: bool) -> bool:
    if exc.sqlstate is None:  # raised by the client, not the server: connecting failed or the link broke
        return client_failure
    return exc.sqlstate.startswith("08") or exc.sqlstate in POSTGRES_TRANSIENT


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass on its own: a lost or refused database or Redis connection, a locked SQLite
    database, a full disk; not a missing table, folder or permission, nor a bug."""
    if isinstance(exc, FileCreateError):  # XlsxWriter wraps the OSError of saving the workbook
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__context__
        return cause is not None and is_transient(cause)
    if isinstance(exc, DBAPIError):
        return _transient_database_error(exc)
    if isinstance(exc, psycopg.Error):  # raised on the driver's own cursor (the tax import's COPY), not wrapped
        return _transient_psycopg_error(exc, client_failure=isinstance(exc, psycopg.OperationalError))
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError, PoolTimeoutError, ConnectionError, TimeoutError)):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def describe(exc: BaseException) -> str:
    """The error shown on a failed run: the message of a JobFailure, else only the exception's type (its
    text may name hosts, ports or paths; it goes to the log with the traceback)."""
    if isinstance(exc, JobFailure):
        return str(exc)
    return f"The job failed unexpectedly ({type(exc).__name__}); it has been logged."


def set_progress(fraction: float) -> None:
    """Record the current job's progress (0.0-1.0) in its meta, as a whole percentage; outside a job, nothing."""
    job = get_current_job()
    if job is None:
        return
    percent = max(0, min(100, int(fraction * 100)))
    if job.meta.get("progress") == percent:  # one Redis write per percent at most
        return
    job.meta["progress"] = percent
    job.save_meta()


def _previous_attempt_died(run, job: Job | None) -> bool:
    """Whether the job runs again after an attempt that never came back: its work horse was killed."""
    if job is None or run.status is not RunStatus.running or not run.attempts:
        return False
    # An attempt that failed but could not record it (the database was gone) also leaves the run
    # "running"; it marked the job's meta on its way out.
    return job.get_meta().get(ENDED_ATTEMPT) != run.attempts


def _mark_ended(job: Job | None, attempt: int) -> None:
    if job is None:
        return
    job.meta[ENDED_ATTEMPT] = attempt
    try:
        job.save_meta()
    except RedisError:
        log.warning("Could not mark attempt %s of job %s as ended", attempt, job.id)


@contextmanager
def tracked_run(model: type[Run], run_id: int, *, interrupted: str = INTERRUPTED,
                ended: Callable[[Run], object] | None = None) -> Iterator[Run]:
    """Mark the run running, yield it, then mark it done or record its failure (see the module doc).

    `interrupted` is the failure recorded when the previous attempt's work horse died. `ended(run)`
    is called once the run is committed as finished for good (done, or failed with no retry to
    come), e.g. to delete an input file a retry would still need.
    """
    run = db.session.get(model, run_id)
    if run is None:
        raise JobFailure(f"{model.__name__} {run_id} does not exist")
    job = get_current_job()
    died = _previous_attempt_died(run, job)
    run.status = RunStatus.running
    run.attempts += 1
    attempt = run.attempts
    run.started_at = clock.now()
    run.finished_at = None
    run.error = None
    if job is not None:
        run.job_id = job.id
    db.session.commit()
    try:
        if died:
            raise JobFailure(interrupted)
        yield run
        run.status = RunStatus.done
        run.finished_at = clock.now()
        db.session.commit()  # inside the try: a failing final commit is recorded like any failure
    except BaseException as exc:
        _mark_ended(job, attempt)
        db.session.rollback()
        retrying = job is not None and job.should_retry and is_transient(exc)
        if job is not None and not retrying:
            job.retries_left = 0  # a permanent failure: RQ must not repeat it
        run = db.session.get(model, run_id)
        run.error = describe(exc) + (" (will retry)" if retrying else "")
        run.status = RunStatus.queued if retrying else RunStatus.failed
        run.finished_at = None if retrying else clock.now()
        db.session.commit()
        if isinstance(exc, JobFailure):
            log.warning("%s %s failed: %s", model.__name__, run_id, exc)
        else:
            log.error("%s %s failed%s", model.__name__, run_id, " (retrying)" if retrying else "", exc_info=exc)
        if not retrying:
            _call_ended(ended, run)
        raise
    _call_ended(ended, run)  # outside the try: the run is done, whatever the clean-up does


@contextmanager
def files_kept_if_done() -> Iterator[list]:
    """Paths a job writes for its run (append them): deleted again if the run is not saved as done,
    since no run then names them (a retry writes its own). Wrap tracked_run in it, so that a failing
    final commit is seen too: ``with files_kept_if_done() as written, tracked_run(...) as run:``."""
    written: list = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _call_ended(ended, run) -> None:
    if ended is None:
        return
    try:
        ended(run)
    except Exception:
        log.exception("Clean-up after %s %s failed", type(run).__name__, run.id)


def progress_of(run) -> int:
    """The run's progress in percent: 100 when done, else what its job last reported."""
    if run.status is RunStatus.done:
        return 100
    if run.status is not RunStatus.running or not run.job_id:
        return 0
    try:
        job = Job.fetch(run.job_id, connection=get_redis())
    except NoSuchJobError:
        return 0
    return int(job.get_meta(refresh=False).get("progress", 0))


#: Why a run failed that no worker ever started (its job never reached the queue, or the queue lost it).
NEVER_STARTED = ("The run never started: its job was lost before a worker took it (the job queue was "
                 "restarted, or the page that started it stopped). Start it again.")


def reconcile(run, interrupted: str = INTERRUPTED) -> bool:
    """Mark a queued or running run failed when its job is gone, never appeared (the process that
    committed the run died before enqueueing it) or failed without us knowing (a killed worker, a
    timeout). True when the run changed; the caller commits.

    The reason says which: ``interrupted`` (the caller's words for its kind of run) when an attempt
    had started, NEVER_STARTED when none had — replacing the last attempt's "(will retry)", since
    no retry is coming."""
    if run.status.finished or not run.job_id:
        return False
    try:
        job = Job.fetch(run.job_id, connection=get_redis())
        status = job.get_status(refresh=False)
    except NoSuchJobError:
        if run.created_at > clock.now() - ENQUEUE_GRACE:
            return False  # maybe being enqueued right now
        status = None
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, None):
        run.error = interrupted if run.status is RunStatus.running else NEVER_STARTED
        run.status = RunStatus.failed
        run.finished_at = clock.now()
        return True
    return False


def status_payload(run) -> dict:
    """What a progress bar polls: status, percent done, and whether to stop polling."""
    return {
        "status": run.status.value,
        "label": run.status.label,
        "progress": progress_of(run),
        "finished": run.status.finished,
        "error": run.error if run.status is RunStatus.failed else None,
    }
