"""Authentication: password check with a lockout stored in the database; every attempt is audited."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, ngettext
from sqlalchemy import case, or_, select, update
from werkzeug.security import generate_password_hash

from app.extensions import db, dialect_insert
from app.models.portal import AuditKind
from app.models.types import utcnow
from app.models.user import UnknownLogin, User, email_digest, find_user_by_email, normalise_email
from app.services.audit import record

# Checked against when the email is unknown, so both paths cost one scrypt verification.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None  # in the user's language, for the login page


def _wrong_credentials() -> str:
    return _("Wrong email or password.")


def _lock_message(until: datetime, now: datetime) -> str:
    # Rounded up (a lock of 15 minutes says 15, not 16), and never more than a lock lasts: `now` may
    # have been read before a concurrent attempt set the lock.
    minutes = min(max(1, math.ceil((until - now).total_seconds() / 60)), current_app.config["LOGIN_LOCK_MINUTES"])
    return ngettext(
        "Too many failed attempts: this account is locked. Try again in %(num)d minute.",
        "Too many failed attempts: this account is locked. Try again in %(num)d minutes.",
        minutes,
    )


def authenticate(email: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check credentials; count failures and lock the account after too many.

    Whether an attempt may go ahead is decided by one conditional UPDATE in the database, before
    the password is checked, never from the row read a moment earlier: concurrent attempts
    (several threads or processes) would otherwise all pass the lock check during the slow
    scrypt and get far more than LOGIN_MAX_FAILURES guesses, and one of them could log in
    after the account was locked. The UPDATE also holds the user's row until the caller
    commits, so attempts on one account take turns.

    An email without an account goes through the same steps on its own row (_Counter), with a
    password check against a dummy hash: the same answers, the same lock, the same turns and the
    same work, so that nothing in the answer tells whether the email has an account.
    """
    now = now or utcnow()
    user = find_user_by_email(email)
    counter = _Counter(email, user)
    unknown = f"no account for {counter.email}"
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    attempt = counter.claim(now)
    if attempt is None:  # locked
        record(AuditKind.login_failed, subject=user, detail="account locked" if user else f"{unknown} (locked)")
        return LoginResult(None, _lock_message(counter.locked_until() or now, now))
    if attempt > limit:  # more attempts under way than allowed: this one is not even checked
        record(AuditKind.login_failed, subject=user,
               detail="too many attempts at once" if user else f"{unknown} (too many attempts at once)")
        return LoginResult(None, counter.lock(now))
    password_ok = (user or User(password_hash=_DUMMY_HASH)).check_password(password)
    if user is None or not password_ok or not user.active:
        detail = unknown if user is None else "account deactivated" if password_ok else "wrong password"
        record(AuditKind.login_failed, subject=user, detail=detail)
        return LoginResult(None, counter.lock(now) if attempt >= limit else _wrong_credentials())
    _write(user, failed_logins=0, locked_until=None, last_login_at=now)
    record(AuditKind.login, actor=user, subject=user)
    return LoginResult(user)


class _Counter:
    """Where an email's failed attempts are counted: its account's row in users, or, for an email
    without an account, its row in unknown_logins (made by its first attempt). Both rows have
    failed_logins and locked_until and go through the same steps, a statement each."""

    def __init__(self, email: str, user: User | None):
        self.user, self.email = user, normalise_email(email)[:254]
        if user is not None:
            self.model, self.row = User, User.id == user.id
        else:
            self.digest = email_digest(email)
            self.model, self.row = UnknownLogin, UnknownLogin.email_digest == self.digest

    def claim(self, now: datetime) -> int | None:
        """Count one attempt unless locked: its number since the last success or lock, or None.
        One statement either way (an account's row is there; an unknown email's is made by its
        first attempt), which also holds the row until the caller commits."""
        model = self.model
        unlocked = or_(model.locked_until.is_(None), model.locked_until <= now)
        # An expired lock starts a fresh count.
        counted = {"failed_logins": case((model.locked_until.is_(None), model.failed_logins + 1), else_=1),
                   "locked_until": None}
        if self.user is not None:
            statement = update(model).where(self.row, unlocked).values(**counted)
        else:
            statement = (dialect_insert(model.__table__).values(email_digest=self.digest, failed_logins=1)
                         .on_conflict_do_update(index_elements=["email_digest"], set_=counted, where=unlocked))
        attempt = db.session.execute(
            statement.returning(model.failed_logins).execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if self.user is not None:
            db.session.expire(self.user, ["failed_logins", "locked_until"])
        return attempt

    def locked_until(self) -> datetime | None:
        return db.session.scalar(select(self.model.locked_until).where(self.row))

    def lock(self, now: datetime) -> str:
        """Lock for LOGIN_LOCK_MINUTES; the count starts again when the lock ends."""
        minutes = current_app.config["LOGIN_LOCK_MINUTES"]
        until = now + timedelta(minutes=minutes)
        db.session.execute(update(self.model).where(self.row).values(failed_logins=0, locked_until=until)
                           .execution_options(synchronize_session=False))
        if self.user is not None:
            db.session.expire(self.user, ["failed_logins", "locked_until"])
            record(AuditKind.lockout, subject=self.user, detail=f"locked for {minutes} minutes")
        else:
            record(AuditKind.lockout, detail=f"no account for {self.email}: locked for {minutes} minutes")
        return _lock_message(until, now)


def _write(user: User, **values) -> None:
    """Update the user's row in SQL, then drop the (now stale) loaded values of those columns."""
    db.session.execute(
        update(User).where(User.id == user.id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.expire(user, list(values))
