"""Account administration: create, change role, deactivate."""
from __future__ import annotations

from app.extensions import db
from app.models import Enterprise, Role, User
from app.models.user import find_user_by_email, normalise_email

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(
    *, email: str, name: str, role: Role, password: str, phone: str | None = None, enterprise: Enterprise | None = None
) -> User:
    """Create an account; an enterprise contact must name its enterprise, staff must not."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise UserError(f"An account with the email {email} already exists.")
    if (role is Role.enterprise) != (enterprise is not None):
        raise UserError("An enterprise contact needs an enterprise; other roles have none.")
    check_password_policy(password)
    user = User(email=email, name=name.strip(), role=role, phone=phone, enterprise=enterprise)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def change_role(user: User, role: Role, by: User) -> None:
    """Give a staff account another staff role (enterprise contacts keep theirs)."""
    if user.id == by.id:
        raise UserError("You cannot change your own role.")
    if Role.enterprise in (user.role, role) and user.role is not role:
        raise UserError("Enterprise contacts and staff accounts cannot be converted into each other.")
    user.role = role
    db.session.flush()


def set_active(user: User, active: bool, by: User) -> None:
    """Deactivate (or reactivate) an account; a deactivated user is logged out at the next request."""
    if user.id == by.id and not active:
        raise UserError("You cannot deactivate your own account.")
    user.active = active
    db.session.flush()
