"""The queue end to end: a job put on the app's queue runs in a worker, inside the app context."""
from __future__ import annotations

import signal

from rq.job import JobStatus

from app.jobs.system import ping
from app.jobs.worker import make_worker
from app.queue import get_queue, get_redis


def test_ping_runs_in_app_context_with_in_process_worker(app, make_user):
    """SimpleWorker answers the ping with the user count read through the app's database session."""
    make_user()
    make_user()
    job = get_queue().enqueue(ping)

    worked = make_worker(app, ["default"], get_redis(), simple=True).work(burst=True)

    assert worked is True
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert job.return_value() == {"pong": True, "users": 2}
    assert job.get_meta(refresh=True)["progress"] == 100


def test_flask_worker_command_processes_queued_job(app, make_user, monkeypatch):
    """`flask worker --burst`, the real CLI path (forking worker, scheduler), answers a queued ping."""
    import app.jobs.worker as worker_module

    real_make_worker, started = worker_module.make_worker, []

    def make_and_keep(*args, **kwargs):
        started.append(real_make_worker(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(worker_module, "make_worker", make_and_keep)
    make_user()
    job = get_queue().enqueue(ping)
    # The worker installs its own SIGINT/SIGTERM handlers and leaves them in place; put pytest's back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        # RQ's scheduler opens a connection pool of its own and never closes it.
        for worker in started:
            if worker.scheduler is not None and worker.scheduler._connection is not None:
                worker.scheduler._connection.connection_pool.disconnect()

    assert result.exit_code == 0, result.output
    assert [type(w) for w in started] == [worker_module.AppWorker]  # forks a work horse per job
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert job.return_value() == {"pong": True, "users": 1}


def test_failed_job_is_recorded_not_swallowed(app):
    """A job that raises ends as failed with its traceback kept (jobs let exceptions propagate)."""
    job = get_queue().enqueue("builtins.int", "not a number")

    make_worker(app, ["default"], get_redis(), simple=True).work(burst=True)

    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "ValueError" in job.latest_result().exc_string
