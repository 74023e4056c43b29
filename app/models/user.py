"""Accounts and roles."""
from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Role(str, enum.Enum):
    officer = "officer"
    chief = "chief"
    leader = "leader"
    admin = "admin"
    enterprise = "enterprise"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


# Lazy: translated when shown, in the language of whoever is looking.
ROLE_LABELS = {
    Role.officer: _l("Liaison officer"),
    Role.chief: _l("Chief liaison"),
    Role.leader: _l("Leadership"),
    Role.admin: _l("Administrator"),
    Role.enterprise: _l("Enterprise contact"),
}


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing the enum's values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise_role_has_enterprise"
        ),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Interface language chosen with the top bar's switch (app/i18n.py LANGUAGES); None: not chosen.
    locale: Mapped[str | None] = mapped_column(String(16))

    enterprise: Mapped["Enterprise | None"] = relationship(  # noqa: F821
        foreign_keys=[enterprise_id], back_populates="contacts"
    )

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of the password (never the password)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user's session stops working
        return self.active

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_staff(self) -> bool:
        return self.role is not Role.enterprise

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class UnknownLogin(db.Model):
    """Failed logins for an email that has no account, counted as an account's are (the same two
    columns as User, the same steps: app/services/auth.py), so that the login page answers both
    alike. Keyed by email_digest: the table holds no addresses."""

    __tablename__ = "unknown_logins"
    __table_args__ = (CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),)

    email_digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_digest(email: str) -> str:
    """A keyed hash (HMAC with the app's secret key) of the normalised email, for the login rate
    limit's keys in Redis and unknown_logins: neither holds an address, nor a hash anyone could
    match against a list of addresses without the key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(func.lower(User.email) == normalise_email(email)))
