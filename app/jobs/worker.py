"""The RQ worker, run as `flask --app wsgi worker`: every job runs inside an app context."""
from __future__ import annotations

from flask import Flask
from rq import SimpleWorker, Worker

from app.extensions import db


class AppContextMixin:
    """Run each job inside a fresh Flask app context, with a database pool of its own."""

    flask_app: Flask
    forks = True

    def perform_job(self, job, queue, *args, **kwargs):  # RQ 3 also passes the execution
        with self.flask_app.app_context():
            if self.forks:  # a forked work horse must not reuse the parent's pooled connections
                db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


class AppWorker(AppContextMixin, Worker):
    """Forking worker for production: one work horse process per job."""


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """In-process worker, for tests and for platforms without fork."""

    forks = False


def make_worker(app: Flask, queues: list[str], connection, simple: bool = False) -> Worker:
    cls = AppSimpleWorker if simple else AppWorker
    worker = cls(queues, connection=connection)
    worker.flask_app = app
    return worker
