"""Portal and security records: invitations, request attachments, the audit log."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import enum_column


class Invitation(db.Model):
    """A one-time link inviting an enterprise contact to set a password. Only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The account created when the invitation was accepted.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    invited_by: Mapped["User"] = relationship(foreign_keys=[invited_by_id])  # noqa: F821
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])  # noqa: F821


class Attachment(db.Model):
    """A file attached to a request, stored outside the web root under a random name."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size >= 0", name="size_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True)
    #: The name the uploader's file had (display only, never used as a path).
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped["ServiceRequest"] = relationship()  # noqa: F821
    uploaded_by: Mapped["User | None"] = relationship()  # noqa: F821


class AuditKind(str, enum.Enum):
    login = "login"
    login_failed = "login_failed"
    lockout = "lockout"
    logout = "logout"
    role_change = "role_change"
    account_created = "account_created"
    account_deactivated = "account_deactivated"
    account_reactivated = "account_reactivated"
    invitation = "invitation"
    invitation_accepted = "invitation_accepted"
    invitation_revoked = "invitation_revoked"
    contact_revoked = "contact_revoked"
    download = "download"

    @property
    def label(self):
        """The kind as the audit log's filter and table show it (the stored value stays English)."""
        return AUDIT_LABELS[self]


AUDIT_LABELS = {
    AuditKind.login: _l("Login"),
    AuditKind.login_failed: _l("Login failed"),
    AuditKind.lockout: _l("Lockout"),
    AuditKind.logout: _l("Logout"),
    AuditKind.role_change: _l("Role change"),
    AuditKind.account_created: _l("Account created"),
    AuditKind.account_deactivated: _l("Account deactivated"),
    AuditKind.account_reactivated: _l("Account reactivated"),
    AuditKind.invitation: _l("Invitation"),
    AuditKind.invitation_accepted: _l("Invitation accepted"),
    AuditKind.invitation_revoked: _l("Invitation revoked"),
    AuditKind.contact_revoked: _l("Contact revoked"),
    AuditKind.download: _l("Download"),
}


class AuditEvent(db.Model):
    """Who did what security-relevant thing, when, from where. Append-only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[AuditKind] = mapped_column(enum_column(AuditKind, "audit_kind"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The account acted upon (for a failed login: the account tried, when it exists).
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str | None] = mapped_column(Text)

    actor: Mapped["User | None"] = relationship(foreign_keys=[actor_id])  # noqa: F821
    subject_user: Mapped["User | None"] = relationship(foreign_keys=[subject_user_id])  # noqa: F821


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target) -> None:
    raise ValueError("Audit events are append-only.")
