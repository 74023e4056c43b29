"""Account administration: create, change role, deactivate; the password policy."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

from app.extensions import db
from app.models import AuditKind, Enterprise, Role, User
from app.models.user import find_user_by_email, normalise_email
from app.services.audit import record

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


class UserError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


@cache
def common_passwords() -> frozenset[str]:
    """The lowercased list in app/data/common-passwords.txt (read once per process)."""
    return frozenset(line.strip() for line in COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def check_password_policy(password: str, email: str | None = None) -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH, a common one, or the account's email (or its local part)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(_("Password must be at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))
    folded = password.strip().casefold()
    if folded in common_passwords():
        raise UserError(_("This password is one of the most common passwords; choose one that is harder to guess."))
    if email:
        email = normalise_email(email)
        if folded in (email.casefold(), email.split("@")[0].casefold()):
            raise UserError(_("The password must not be your email address or the part of it before the @."))


def create_user(
    *, email: str, name: str, role: Role, password: str, phone: str | None = None, enterprise: Enterprise | None = None
) -> User:
    """Create an account; an enterprise contact must name its enterprise, staff must not."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise UserError(_("An account with the email %(email)s already exists.", email=email))
    if (role is Role.enterprise) != (enterprise is not None):
        raise UserError(_("An enterprise contact needs an enterprise; other roles have none."))
    check_password_policy(password, email=email)
    user = User(email=email, name=name.strip(), role=role, phone=phone, enterprise=enterprise)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(AuditKind.account_created, subject=user, detail=f"role {user.role.value}")
    return user


def change_role(user: User, role: Role, by: User) -> None:
    """Give a staff account another staff role (enterprise contacts keep theirs)."""
    if user.id == by.id:
        raise UserError(_("You cannot change your own role."))
    if Role.enterprise in (user.role, role) and user.role is not role:
        raise UserError(_("Enterprise contacts and staff accounts cannot be converted into each other."))
    old = user.role
    user.role = role
    db.session.flush()
    if old is not role:
        record(AuditKind.role_change, actor=by, subject=user, detail=f"{old.value} → {role.value}")


def set_active(user: User, active: bool, by: User) -> None:
    """Deactivate (or reactivate) an account; a deactivated user is logged out at the next request."""
    if user.id == by.id and not active:
        raise UserError(_("You cannot deactivate your own account."))
    changed = user.active != active
    user.active = active
    db.session.flush()
    if changed:
        record(AuditKind.account_reactivated if active else AuditKind.account_deactivated, actor=by, subject=user)
