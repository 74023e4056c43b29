"""Authentication: password check with a lockout stored in the database; every attempt is audited."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, ngettext
from redis.exceptions import RedisError
from sqlalchemy import case, or_, select, update
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models.portal import AuditKind
from app.models.types import utcnow
from app.models.user import User, email_digest, find_user_by_email, normalise_email
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
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))  # a lock of 15 minutes says 15, not 16
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
    """
    now = now or utcnow()
    user = find_user_by_email(email)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        record(AuditKind.login_failed, detail=f"no account for {normalise_email(email)[:254]}")
        return LoginResult(None, _unknown_email_failed(email, now))
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    attempt = _claim_attempt(user, now)
    if attempt is None:  # locked
        until = db.session.scalar(select(User.locked_until).where(User.id == user.id))
        record(AuditKind.login_failed, subject=user, detail="account locked")
        return LoginResult(None, _lock_message(until or now, now))
    if attempt > limit:  # more attempts under way than allowed: this one is not even checked
        record(AuditKind.login_failed, subject=user, detail="too many attempts at once")
        return LoginResult(None, _lock(user, now))
    password_ok = user.check_password(password)
    if not password_ok or not user.active:
        record(AuditKind.login_failed, subject=user, detail="account deactivated" if password_ok else "wrong password")
        return LoginResult(None, _lock(user, now) if attempt >= limit else _wrong_credentials())
    _write(user, failed_logins=0, locked_until=None, last_login_at=now)
    record(AuditKind.login, actor=user, subject=user)
    return LoginResult(user)


#: How long Redis keeps the count of an email without an account after its last attempt (an
#: account's count never lapses; a month makes telling them apart by waiting impractical, and the
#: login rate limit bounds how many such counts anyone can make).
UNKNOWN_EMAIL_MEMORY = timedelta(days=30)


def _unknown_email_failed(email: str, now: datetime) -> str:
    """The answer to a failed attempt for an email that has no account: the one an account would
    get, lock included (LOGIN_MAX_FAILURES failures in a row lock it for LOGIN_LOCK_MINUTES), so
    that the answers do not tell which emails have accounts. Counted in Redis, under a hash of the
    email (as the login rate limit keeps it); with Redis unreachable, the plain answer."""
    redis = current_app.extensions.get("redis")
    if redis is None:
        return _wrong_credentials()
    key = "butler-login:unknown:" + email_digest(email)
    try:
        stored = redis.hgetall(key)
        locked_until = stored.get(b"locked_until")
        if locked_until:
            until = datetime.fromisoformat(locked_until.decode())
            if until > now:
                return _lock_message(until, now)
        failures = (0 if locked_until else int(stored.get(b"failures", 0))) + 1  # an expired lock starts afresh
        if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
            until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            redis.hset(key, mapping={"failures": 0, "locked_until": until.isoformat()})
            answer = _lock_message(until, now)
        else:
            redis.hset(key, mapping={"failures": failures, "locked_until": ""})
            answer = _wrong_credentials()
        redis.expire(key, UNKNOWN_EMAIL_MEMORY + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"]))
        return answer
    except RedisError:
        return _wrong_credentials()


def _write(user: User, **values) -> None:
    """Update the user's row in SQL, then drop the (now stale) loaded values of those columns."""
    db.session.execute(
        update(User).where(User.id == user.id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.expire(user, list(values))


def _claim_attempt(user: User, now: datetime) -> int | None:
    """Count one attempt unless the account is locked: its number since the last success or lock, or None."""
    attempt = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(
            # An expired lock starts a fresh count.
            failed_logins=case((User.locked_until.is_(None), User.failed_logins + 1), else_=1),
            locked_until=None,
        )
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.expire(user, ["failed_logins", "locked_until"])
    return attempt


def _lock(user: User, now: datetime) -> str:
    """Lock the account for LOGIN_LOCK_MINUTES; the count starts again when the lock ends."""
    until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    _write(user, failed_logins=0, locked_until=until)
    record(AuditKind.lockout, subject=user, detail=f"locked for {current_app.config['LOGIN_LOCK_MINUTES']} minutes")
    return _lock_message(until, now)
