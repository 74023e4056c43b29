"""Report jobs on the queue: a run's workbook is built under a temporary name and renamed when complete;
transient failures are retried; the monthly pack is scheduled at 06:00 Shanghai on the 1st and made once."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app import clock
from app.jobs import reports as report_jobs
from app.jobs.reports import (build_monthly_pack, enqueue_report, ensure_pack_schedule, last_due_period, pack_due,
                              pack_job_id)
from app.jobs.runs import JOB_TIMEOUT, reconcile
from app.models import ReportKind, ReportRun, Role, RunStatus
from app.queue import get_queue
from app.reports import Period
from app.services import reports as service

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 on 2 March in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def scheduled() -> dict[str, datetime]:
    registry = ScheduledJobRegistry(queue=get_queue())
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def release_scheduled(job_id: str) -> None:
    """Do what RQ's scheduler does when a scheduled job's time comes: move it to its queue."""
    queue = get_queue()
    queue.enqueue_job(queue.fetch_job(job_id))
    ScheduledJobRegistry(queue=queue).remove(job_id)


def queued_run(db, make_user, kind=ReportKind.tax, period="2026-02") -> ReportRun:
    run = service.request_report(kind, Period.parse(period), make_user(Role.leader))
    db.session.commit()
    enqueue_report(run)
    return run


def test_a_run_is_built_renamed_and_recorded(app, db, make_user, report_folder, work):
    run = queued_run(db, make_user, ReportKind.pack)

    assert work() is True

    db.session.expire_all()
    assert run.status is RunStatus.done and run.attempts == 1 and run.error is None
    assert run.stored_name.endswith(".xlsx") and ".part" not in run.stored_name
    assert os.listdir(report_folder) == [run.stored_name]  # nothing temporary left behind
    path = report_folder / run.stored_name
    assert run.size == path.stat().st_size > 0
    book = openpyxl.load_workbook(path, read_only=True)
    assert "Summary" in book.sheetnames
    book.close()
    job = get_queue().fetch_job(run.job_id)
    assert job.get_status() == JobStatus.FINISHED and job.get_meta()["progress"] == 100
    assert service.report_path(run) == path


def test_the_workbook_is_written_under_a_temporary_name_first(app, db, make_user, report_folder, monkeypatch, work):
    """While the builder works, the folder holds only a .part file, which no run ever names."""
    seen = []
    real = service.build_report

    def watching(kind, period, out, **kw):
        seen.append((Path(out).name, sorted(os.listdir(report_folder))))
        real(kind, period, out, **kw)

    monkeypatch.setattr(service, "build_report", watching)
    run = queued_run(db, make_user)
    work()

    (temp, listing), = seen
    assert temp.endswith(".part") and listing == [temp]
    db.session.expire_all()
    assert run.status is RunStatus.done and run.stored_name != temp
    assert os.listdir(report_folder) == [run.stored_name]


def test_a_failing_build_fails_the_run_once_and_leaves_no_file(app, db, make_user, report_folder, monkeypatch, work,
                                                               caplog):
    def broken(kind, period, out, **kw):
        Path(out).write_bytes(b"PK half a workbook")
        raise ValueError("the tax table has no rows for 2026-02")

    monkeypatch.setattr(service, "build_report", broken)
    run = queued_run(db, make_user)

    work()

    db.session.expire_all()
    assert run.status is RunStatus.failed and run.attempts == 1
    assert run.error == "The job failed unexpectedly (ValueError); it has been logged."
    assert "Traceback" in caplog.text and "ValueError: the tax table has no rows for 2026-02" in caplog.text
    assert run.stored_name is None and run.size is None and run.finished_at == T0
    assert os.listdir(report_folder) == []  # the partial temporary file is gone
    job = get_queue().fetch_job(run.job_id)
    assert job.get_status() == JobStatus.FAILED and scheduled() == {}  # a permanent failure is not retried


def test_a_transient_failure_is_retried_by_rq(app, db, make_user, report_folder, monkeypatch, work):
    calls = []
    real = service.build_report

    def flaky(kind, period, out, **kw):
        calls.append(out)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                                   connection_invalidated=True)
        real(kind, period, out, **kw)

    monkeypatch.setattr(service, "build_report", flaky)
    run = queued_run(db, make_user)

    work()
    db.session.expire_all()
    assert run.status is RunStatus.queued and run.attempts == 1
    assert run.error == "The job failed unexpectedly (OperationalError); it has been logged. (will retry)"
    assert list(scheduled()) == [run.job_id]  # RQ's Retry: back in 10 seconds
    assert os.listdir(report_folder) == []

    release_scheduled(run.job_id)
    work()
    db.session.expire_all()
    assert run.status is RunStatus.done and run.attempts == 2 and run.error is None
    assert os.listdir(report_folder) == [run.stored_name]


def test_a_run_whose_job_vanished_is_reconciled_to_failed(app, db, make_user):
    run = service.request_report(ReportKind.tax, Period.parse("2026-02"), make_user(Role.leader))
    db.session.commit()  # never enqueued, as if Redis lost it

    assert reconcile(run) is False and run.status is RunStatus.queued  # committed a moment before its enqueueing?
    clock.freeze(T0 + timedelta(seconds=31))
    assert reconcile(run) is True
    assert run.status is RunStatus.failed and run.error.startswith("The run never started")  # no attempt had begun


# --- the monthly pack -------------------------------------------------------------------------

@pytest.mark.parametrize("period, due", [
    ("2026-10", datetime(2026, 10, 31, 22, 0, tzinfo=timezone.utc)),  # 1 Nov 06:00 Shanghai
    ("2026-11", datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc)),
    ("2026-12", datetime(2026, 12, 31, 22, 0, tzinfo=timezone.utc)),  # over the year's end
    ("2028-01", datetime(2028, 1, 31, 22, 0, tzinfo=timezone.utc)),
    ("2028-02", datetime(2028, 2, 29, 22, 0, tzinfo=timezone.utc)),   # a leap year's February
])
def test_the_pack_is_due_at_six_in_shanghai_on_the_first(period, due):
    assert pack_due(period) == due
    assert due.astimezone(report_jobs.SHANGHAI).strftime("%d %H:%M") == "01 06:00"
    assert pack_job_id(period) == f"monthly-pack-{period}"


def test_the_last_due_month_turns_over_at_six():
    six = datetime(2026, 10, 31, 22, 0, tzinfo=timezone.utc)
    assert last_due_period(six - timedelta(seconds=1)) == "2026-09"
    assert last_due_period(six) == "2026-10"
    assert last_due_period(datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)) == "2026-10"


def test_the_worker_schedules_the_next_pack_and_catches_up_a_missed_one(app, db):
    queue = get_queue()
    assert ensure_pack_schedule(queue) == "monthly-pack-2026-03"
    assert ensure_pack_schedule(queue) == "monthly-pack-2026-03"  # a second worker starting
    assert scheduled() == {
        "monthly-pack-2026-02": datetime(2026, 2, 28, 22, 0, tzinfo=timezone.utc),  # never made: due already
        "monthly-pack-2026-03": datetime(2026, 3, 31, 22, 0, tzinfo=timezone.utc),
    }


def test_no_catch_up_when_last_month_was_made(app, db):
    db.session.add(ReportRun(kind=ReportKind.pack, period="2026-02", schedule_key="pack:2026-02",
                             status=RunStatus.done))
    db.session.commit()
    ensure_pack_schedule(get_queue())
    assert list(scheduled()) == ["monthly-pack-2026-03"]


def test_the_monthly_job_makes_one_pack_and_schedules_the_next(app, db, report_folder, work):
    clock.freeze(pack_due("2026-02"))
    queue = get_queue()
    report_jobs.schedule_pack(queue, "2026-02")
    release_scheduled("monthly-pack-2026-02")

    assert work() is True  # the monthly job, then the generation job it enqueued

    runs = list(db.session.scalars(select(ReportRun)))
    assert len(runs) == 1
    run = runs[0]
    assert (run.kind, run.period, run.schedule_key, run.requested_by_id) == (ReportKind.pack, "2026-02", "pack:2026-02", None)
    assert run.status is RunStatus.done and (report_folder / run.stored_name).is_file()
    assert queue.fetch_job("monthly-pack-2026-02").return_value() == run.id
    assert scheduled() == {"monthly-pack-2026-03": datetime(2026, 3, 31, 22, 0, tzinfo=timezone.utc)}


def test_the_pack_is_made_once_however_often_the_schedule_fires(app, db, report_folder, work):
    """Two workers, or a schedule re-created after Redis lost it: one run for the month, whatever fires."""
    clock.freeze(pack_due("2026-02"))
    queue = get_queue()
    for n in range(3):  # the same month's job under three ids, as separate schedulers might make
        queue.enqueue(build_monthly_pack, "2026-02", job_id=f"pack-2026-02-fired-{n}")

    work()

    run = db.session.scalars(select(ReportRun)).one()
    assert run.schedule_key == "pack:2026-02" and run.status is RunStatus.done
    results = [queue.fetch_job(f"pack-2026-02-fired-{n}").return_value() for n in range(3)]
    assert results == [run.id, None, None]  # the first made it; the others found it made
    assert list(scheduled()) == ["monthly-pack-2026-03"]


def test_the_monthly_job_run_directly_twice(app, db):
    clock.freeze(pack_due("2026-02"))
    first = build_monthly_pack("2026-02")
    second = build_monthly_pack("2026-02")
    assert first is not None and second is None
    assert db.session.scalar(select(func.count()).select_from(ReportRun)) == 1


def test_a_failing_final_commit_is_recorded_and_leaves_no_file(app, db, make_user, report_folder, monkeypatch, work):
    """The run is committed as done after the rename: if that commit fails, the failure is recorded like any
    other (here a lost connection: retried) and the renamed workbook is removed, so the retry writes the only one."""
    real = service.build_report

    def lose_the_connection_at_the_end(kind, period, out, **kw):
        real(kind, period, out, **kw)
        real_commit = db.session.commit

        def broken_commit():
            monkeypatch.setattr(db.session, "commit", real_commit)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"),
                                   connection_invalidated=True)

        monkeypatch.setattr(db.session, "commit", broken_commit)

    monkeypatch.setattr(service, "build_report", lose_the_connection_at_the_end)
    run = queued_run(db, make_user)

    work()
    db.session.expire_all()
    assert run.status is RunStatus.queued and run.error.endswith("(will retry)") and run.stored_name is None
    assert os.listdir(report_folder) == []
    assert list(scheduled()) == [run.job_id]

    monkeypatch.setattr(service, "build_report", real)
    release_scheduled(run.job_id)
    work()
    db.session.expire_all()
    assert run.status is RunStatus.done and run.attempts == 2
    assert os.listdir(report_folder) == [run.stored_name]


def test_a_transient_failure_of_the_monthly_job_is_retried(app, db, report_folder, monkeypatch, work):
    clock.freeze(pack_due("2026-02"))
    real = report_jobs.start_scheduled_pack

    def lost_connection(period):
        monkeypatch.setattr(report_jobs, "start_scheduled_pack", real)
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setattr(report_jobs, "start_scheduled_pack", lost_connection)
    report_jobs.schedule_pack(get_queue(), "2026-02")
    release_scheduled("monthly-pack-2026-02")
    work()
    assert db.session.scalar(select(func.count()).select_from(ReportRun)) == 0
    assert sorted(scheduled()) == ["monthly-pack-2026-02", "monthly-pack-2026-03"]  # retried in 10 s

    release_scheduled("monthly-pack-2026-02")
    work()
    run = db.session.scalars(select(ReportRun)).one()
    assert run.schedule_key == "pack:2026-02" and run.status is RunStatus.done


def test_a_worker_starting_reschedules_a_pack_job_that_failed_for_good(app, db, monkeypatch, work):
    """The failed job keeps its id for 30 days: without a run for the month, it is deleted and scheduled again."""
    queue = get_queue()

    def broken(period):
        raise ValueError("no pack today")

    monkeypatch.setattr(report_jobs, "start_scheduled_pack", broken)
    queue.enqueue(build_monthly_pack, "2026-02", job_id=pack_job_id("2026-02"))  # as if its retries ran out
    work()
    assert queue.fetch_job("monthly-pack-2026-02").get_status() == JobStatus.FAILED
    monkeypatch.undo()

    assert ensure_pack_schedule(queue) == "monthly-pack-2026-03"
    assert scheduled() == {
        "monthly-pack-2026-02": datetime(2026, 2, 28, 22, 0, tzinfo=timezone.utc),
        "monthly-pack-2026-03": datetime(2026, 3, 31, 22, 0, tzinfo=timezone.utc),
    }
    assert queue.fetch_job("monthly-pack-2026-02").get_status() == JobStatus.SCHEDULED


def test_flask_worker_removes_partial_workbooks_a_killed_worker_left(app, report_folder, upload_folder, monkeypatch):
    """A .part older than JOB_TIMEOUT belongs to no running job; a younger one may (another worker's).
    Reports and import error sheets alike."""
    from app.services.import_files import import_folder

    import app.jobs.worker as worker_module

    class Idle:
        def work(self, **kwargs):
            pass

    monkeypatch.setattr(worker_module, "make_worker", lambda *args, **kwargs: Idle())
    report_folder.mkdir()
    long_ago = time.time() - JOB_TIMEOUT - 60
    for name, mtime in [("a1.xlsx.0f0f0f.part", long_ago), ("b2.xlsx.1e1e1e.part", None), ("c3.xlsx", long_ago)]:
        (report_folder / name).write_bytes(b"PK")
        if mtime:
            os.utime(report_folder / name, (mtime, mtime))

    with app.app_context():
        sheets = import_folder()
    for name, mtime in [("d4.xlsx.part", long_ago), ("e5.xlsx.part", None), ("f6.xlsx", long_ago)]:
        (sheets / name).write_bytes(b"PK")
        if mtime:
            os.utime(sheets / name, (mtime, mtime))

    result = app.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(report_folder)) == ["b2.xlsx.1e1e1e.part", "c3.xlsx"]
    assert sorted(os.listdir(sheets)) == ["e5.xlsx.part", "f6.xlsx"]
    assert "Removed 2 unfinished files of a stopped worker" in result.output


def test_a_report_whose_work_horse_was_killed_is_failed_on_the_retry(app, db, make_user, report_folder, monkeypatch,
                                                                     work):
    import signal

    from app.jobs.worker import make_worker
    from app.queue import get_redis

    real = service.build_report

    def out_of_memory(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(service, "build_report", out_of_memory)
    run = queued_run(db, make_user)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        make_worker(app, ["default"], get_redis()).work(burst=True)  # forks a work horse, which is killed
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    db.session.expire_all()
    assert run.status is RunStatus.running and list(scheduled()) == [run.job_id]  # RQ retries it

    monkeypatch.setattr(service, "build_report", real)
    release_scheduled(run.job_id)
    work()

    db.session.expire_all()
    assert run.status is RunStatus.failed and run.attempts == 2 and run.stored_name is None
    assert run.error == "The worker stopped while making this report (it may have run out of memory or been restarted)."
    assert get_queue().fetch_job(run.job_id).get_status() == JobStatus.FAILED and scheduled() == {}
