"""Authentication: password check with a lockout stored in the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models.types import utcnow
from app.models.user import User, find_user_by_email

WRONG_CREDENTIALS = "Wrong email or password."
# Checked against when the email is unknown, so both paths cost one scrypt verification.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def _lock_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return (
        "Too many failed attempts: this account is locked. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def authenticate(email: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check credentials; count failures and lock the account after too many."""
    now = now or utcnow()
    user = find_user_by_email(email)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return LoginResult(None, WRONG_CREDENTIALS)
    if user.is_locked(now):
        return LoginResult(None, _lock_message(user.locked_until, now))
    if not user.check_password(password) or not user.active:
        return LoginResult(None, _record_failure(user, now))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return LoginResult(user)


def _record_failure(user: User, now: datetime) -> str:
    """Count one failure atomically (several web processes may race) and lock at the limit."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    failures = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    if failures >= limit:
        until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        db.session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until))
        db.session.flush()
        return _lock_message(until, now)
    return WRONG_CREDENTIALS
