"""The SLA scan on the queue: the job runs in a worker, and every run leaves the next minute's scheduled."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from app import clock
from app.jobs import sla as sla_job
from app.jobs.sla import ensure_sla_schedule, scan_job_id, scan_sla
from app.jobs.worker import make_worker
from app.models import Level, Milestone
from app.queue import get_queue, get_redis
from app.services import sla as service

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def scheduled() -> dict[str, datetime]:
    registry = ScheduledJobRegistry(queue=get_queue())
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def work(app) -> bool:
    return make_worker(app, ["default"], get_redis(), simple=True).work(burst=True)


def test_job_ids_name_the_minute_in_utc():
    assert scan_job_id(datetime(2026, 11, 27, 8, 5, tzinfo=timezone.utc)) == "sla-scan-202611270805"
    assert sla_job.next_run(datetime(2026, 11, 27, 8, 5, 59, 999999, tzinfo=timezone.utc)) == datetime(
        2026, 11, 27, 8, 6, tzinfo=timezone.utc)


def test_scan_job_end_to_end_through_a_worker(app, db, make_request):
    request = make_request()
    clock.freeze(T0 + timedelta(minutes=31, seconds=20))
    job = get_queue().enqueue(scan_sla)

    assert work(app) is True

    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert job.return_value() == 3
    db.session.expire_all()
    assert request.level is Level.leadership
    assert all(m.breached_at == clock.now() for m in request.milestones)
    assert scheduled() == {"sla-scan-202603020132": T0 + timedelta(minutes=32)}


def test_the_scheduled_run_repeats_and_keeps_one_chain(app, make_request):
    """Several workers starting the chain, and the runs themselves, all name the same next minute."""
    make_request()
    queue = get_queue()
    assert ensure_sla_schedule(queue) == "sla-scan-202603020101"
    assert ensure_sla_schedule(queue) == "sla-scan-202603020101"  # a second worker starting
    assert list(scheduled()) == ["sla-scan-202603020101"]

    clock.freeze(T0 + timedelta(minutes=1))  # the scheduler hands the job to the queue at 09:01
    queue.enqueue_job(queue.fetch_job("sla-scan-202603020101"))
    ScheduledJobRegistry(queue=queue).remove("sla-scan-202603020101")
    assert work(app) is True
    assert queue.fetch_job("sla-scan-202603020101").get_status() == JobStatus.FINISHED
    assert ensure_sla_schedule(queue) == "sla-scan-202603020102"  # a worker starting now joins the chain
    assert list(scheduled()) == ["sla-scan-202603020102"]


def test_a_failing_scan_still_schedules_the_next(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(sla_job, "scan_breaches", broken)
    job = get_queue().enqueue(scan_sla)

    work(app)

    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "database unavailable" in job.latest_result().exc_string
    assert list(scheduled()) == ["sla-scan-202603020101"]


def test_a_failing_scan_changes_nothing(app, db, make_request, monkeypatch):
    """If a statement after the marking fails, the marks roll back with it: the next run tries again."""
    request = make_request()
    clock.freeze(T0 + timedelta(minutes=6))

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "_raise_levels", broken)
    job = get_queue().enqueue(scan_sla)
    work(app)
    assert job.get_status(refresh=True) == JobStatus.FAILED
    db.session.expire_all()
    assert all(m.breached_at is None for m in request.milestones) and request.level is Level.officer

    monkeypatch.undo()
    job = get_queue().enqueue(scan_sla)
    work(app)
    assert job.return_value() == 1


@pytest.mark.parametrize("queues, expect_chain", [([], True), (["--queue", "default"], True),
                                                  (["--queue", "reports"], False)])
def test_flask_worker_starts_the_chain(app, monkeypatch, queues, expect_chain):
    """`flask worker` schedules the next minute's scan before it starts working (if it serves its queue)."""
    import app.jobs.worker as worker_module

    started = []

    class Idle:
        def work(self, **kwargs):
            started.append(kwargs)

    monkeypatch.setattr(worker_module, "make_worker", lambda *args, **kwargs: Idle())
    result = app.test_cli_runner().invoke(args=["worker", "--burst", *queues])

    assert result.exit_code == 0, result.output
    assert started == [{"with_scheduler": True, "burst": True}]
    if expect_chain:
        assert "next: sla-scan-202603020101" in result.output
        assert [job_id for job_id in scheduled() if job_id.startswith("sla-scan")] == ["sla-scan-202603020101"]
    else:
        assert scheduled() == {}


def test_a_scan_with_nothing_due_marks_nothing(app, db, make_request):
    make_request()
    clock.freeze(T0 + timedelta(minutes=5))
    job = get_queue().enqueue(scan_sla)
    work(app)
    assert job.return_value() == 0
    assert db.session.scalar(select(func.count()).where(Milestone.breached_at.is_not(None))) == 0
