"""Services: the writes and the rules. They flush; the caller commits."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from app.extensions import db


def flush_unique(error: Exception) -> None:
    """Flush inside a savepoint; a unique violation (a concurrent duplicate) raises `error` instead.

    The forms check uniqueness first; this catches the duplicate that another user saved in between.
    """
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise error from exc
