"""Trivial jobs that prove the queue and the worker's app context work end to end."""
from rq import get_current_job
from sqlalchemy import func, select

from app.extensions import db
from app.models import User


def ping() -> dict:
    """Answer with the number of users, read through the app's database session."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = 100
        job.save_meta()
    return {"pong": True, "users": db.session.scalar(select(func.count()).select_from(User))}
