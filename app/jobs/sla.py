"""The SLA breach scan on the queue: a job that runs every minute by scheduling its own next run.

Each run schedules the next one *before* scanning, under a job id fixed by the minute it is due
(``sla-scan-YYYYMMDDHHMM``, UTC) and with RQ's ``unique=True``: however many workers start the
chain or run a scan, each minute has at most one scheduled scan, and a scan that fails does not
break the chain. Scheduled jobs are moved to the queue by a worker running ``with_scheduler=True``
(``flask worker`` does).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError
from rq.job import Job

from app import clock
from app.extensions import db
from app.queue import get_queue
from app.services.sla import scan_breaches

SLA_QUEUE = "default"
INTERVAL = timedelta(minutes=1)
RESULT_TTL = 600  # seconds: the last few runs' counts stay visible
FAILURE_TTL = 24 * 3600  # a failing scan every minute must not pile up a year of failed jobs


def next_run(after: datetime) -> datetime:
    """The start of the minute after `after`."""
    return after.replace(second=0, microsecond=0) + INTERVAL


def scan_job_id(at: datetime) -> str:
    """The id of the scan due at `at`: one per minute, e.g. sla-scan-202611270805 (UTC)."""
    return f"sla-scan-{at.astimezone(timezone.utc):%Y%m%d%H%M}"


def schedule_scan(queue: Queue, at: datetime) -> Job | None:
    """Schedule the scan for `at`, unless a scan with that minute's id exists already (then None)."""
    try:
        return queue.enqueue_at(
            at, scan_sla, job_id=scan_job_id(at), unique=True, description="SLA breach scan",
            result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        )
    except DuplicateJobError:
        return None


def ensure_sla_schedule(queue: Queue) -> str:
    """Start (or join) the every-minute chain: make sure next minute's scan is scheduled; its id."""
    at = next_run(clock.now())
    schedule_scan(queue, at)
    return scan_job_id(at)


def scan_sla() -> int:
    """Mark breached milestones and escalate their requests; the next minute's run is scheduled first."""
    job = get_current_job()
    queue = Queue(job.origin, connection=job.connection) if job is not None else get_queue(SLA_QUEUE)
    schedule_scan(queue, next_run(clock.now()))
    try:
        count = scan_breaches()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count
