"""Inviting enterprise contacts to the portal, accepting an invitation, revoking access.

A token is shown once (on screen, and by mail when configured); only its SHA-256 is stored,
so the database alone cannot be used to accept an invitation. Services flush; the caller commits.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from app import clock
from sqlalchemy import update

from app.extensions import db
from app.models import AuditKind, Enterprise, EnterpriseStatus, Invitation, Role, User
from app.models.user import find_user_by_email, normalise_email
from app.services import audit
from app.services.users import UserError, create_user

log = logging.getLogger(__name__)

PENDING, USED, REVOKED, EXPIRED = "pending", "used", "revoked", "expired"


class InvitationError(ValueError):
    """An invitation refused; the message is for the user."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def status(invitation: Invitation) -> str:
    """pending, used, revoked or expired (used and revoked win over expired)."""
    if invitation.used_at is not None:
        return USED
    if invitation.revoked_at is not None:
        return REVOKED
    if invitation.expires_at <= clock.now():
        return EXPIRED
    return PENDING


def create_invitation(enterprise: Enterprise, *, name: str, email: str, phone: str | None, by: User) -> tuple[Invitation, str]:
    """Invite a contact of the enterprise; returns the invitation and the one-time token (never stored)."""
    email = normalise_email(email)
    if enterprise.status is EnterpriseStatus.moved_out:
        raise InvitationError(_("%(name)s has moved out; it cannot be given portal access.", name=enterprise.name))
    if find_user_by_email(email) is not None:
        raise InvitationError(_("An account with the email %(email)s already exists; invite another address.", email=email))
    token = secrets.token_urlsafe(32)
    now = clock.now()
    invitation = Invitation(
        token_hash=hash_token(token), email=email, name=name.strip(), phone=(phone or "").strip() or None,
        enterprise=enterprise, invited_by=by, created_at=now,
        expires_at=now + timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(AuditKind.invitation, actor=by, enterprise_id=enterprise.id,
                 detail=f"Invitation {invitation.id} for {email}")
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link's token belongs to, whatever its status."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(db.select(Invitation).where(Invitation.token_hash == hash_token(token)))


def accept_invitation(invitation: Invitation, password: str) -> User:
    """Create the contact's portal account with the chosen password; the link is used up."""
    state = status(invitation)
    if state != PENDING:
        raise InvitationError(status_message(state))
    if find_user_by_email(invitation.email) is not None:
        raise InvitationError(registered_message(invitation))
    _claim(invitation)
    try:
        user = create_user(email=invitation.email, name=invitation.name, role=Role.enterprise, password=password,
                           phone=invitation.phone, enterprise=invitation.enterprise)
    except UserError as exc:
        raise InvitationError(str(exc)) from exc
    invitation.user = user
    db.session.flush()
    audit.record(AuditKind.invitation_accepted, actor=user, subject=user,
                 detail=f"Invitation {invitation.id} accepted")
    return user


def _claim(invitation: Invitation) -> None:
    """Mark the invitation used by one conditional UPDATE, so that of two concurrent accepts only one goes on.

    The status checked before was read a moment earlier: another request may have used the link (or
    an officer revoked it) since. The row changes only if it is still pending in the database, and
    the UPDATE holds it until the commit, so a concurrent accept waits and then finds it used. On
    any later failure the caller rolls back, which gives the link back.
    """
    now = clock.now()
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
               Invitation.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(invitation, ["used_at", "revoked_at", "expires_at"])
    if claimed != 1:
        state = status(invitation)
        raise InvitationError(status_message(USED if state == PENDING else state))


def registered_message(invitation: Invitation) -> str:
    return _("An account with the email %(email)s is already registered. Log in with it, "
             "or ask your liaison officer for help.", email=invitation.email)


def revoke_invitation(invitation: Invitation, by: User) -> None:
    """Withdraw a pending invitation: its link stops working."""
    if status(invitation) != PENDING:
        raise InvitationError(_("The invitation for %(email)s is %(status)s; only a pending one can be revoked.",
                                email=invitation.email, status=STATUS_NAMES[status(invitation)]))
    invitation.revoked_at = clock.now()
    db.session.flush()
    audit.record(AuditKind.invitation_revoked, actor=by, enterprise_id=invitation.enterprise_id,
                 detail=f"Invitation {invitation.id} for {invitation.email} revoked")


def revoke_contact(contact: User, by: User) -> None:
    """Deactivate an enterprise contact's portal account (logged out at its next request)."""
    if contact.role is not Role.enterprise:
        raise InvitationError(_("Only enterprise contacts are revoked here; staff accounts are managed by an administrator."))
    if not contact.active:
        raise InvitationError(_("%(name)s's access is already revoked.", name=contact.name))
    contact.active = False
    db.session.flush()
    audit.record(AuditKind.contact_revoked, actor=by, subject=contact, detail=f"Portal access of {contact.email} revoked")


def pending_invitations(enterprise: Enterprise) -> list[Invitation]:
    """Invitations of the enterprise not yet used or revoked (expired ones included, marked so)."""
    return list(db.session.scalars(
        db.select(Invitation)
        .where(Invitation.enterprise_id == enterprise.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ))


STATUS_MESSAGES = {
    USED: _l("This invitation link has already been used. Log in with the password you set, "
             "or ask your liaison officer for a new invitation."),
    REVOKED: _l("This invitation has been withdrawn. Ask your liaison officer if you need access."),
    EXPIRED: _l("This invitation link has expired. Ask your liaison officer for a new invitation."),
}
#: An invitation's status in a sentence ("The invitation for … is used").
STATUS_NAMES = {PENDING: _l("pending"), USED: _l("used"), REVOKED: _l("revoked"), EXPIRED: _l("expired")}


def status_message(state: str) -> str:
    """Why a used, revoked or expired link cannot be used, in the reader's language."""
    return str(STATUS_MESSAGES[state])


def send_invitation_mail(invitation: Invitation, link: str) -> bool:
    """Mail the link when MAIL_SERVER is configured; False when not configured or sending failed."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return False
    message = EmailMessage()
    # In the language of the officer sending it (this runs in their request).
    message["Subject"] = _("Your invitation to the Business District Butler portal")
    message["From"] = config["MAIL_SENDER"]
    message["To"] = invitation.email
    message.set_content(
        _("Dear %(name)s,", name=invitation.name) + "\n\n"
        + _("%(officer)s of the Jing'an Temple Sub-district Office has invited you to the Business District Butler "
            "portal for %(enterprise)s.", officer=invitation.invited_by.name, enterprise=invitation.enterprise.name)
        + "\n\n"
        + _("Set your password here (the link works once, until %(until)s Asia/Shanghai):",
            until=invitation.expires_at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"))
        + f"\n{link}\n"
    )
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError):
        log.exception("Could not mail invitation %s", invitation.id)
        return False
    return True
