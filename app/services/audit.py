"""The audit log: one call per security-relevant event (flush only; the caller commits)."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent, AuditKind, User


def client_ip() -> str | None:
    """The client's address as this process sees it (behind a proxy, configure ProxyFix)."""
    return request.remote_addr if has_request_context() else None


def record(kind: AuditKind, *, actor: User | None = None, subject: User | None = None,
           enterprise_id: int | None = None, detail: str | None = None) -> AuditEvent:
    """Append an audit event; the actor defaults to the logged-in user."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        kind=kind, actor=actor, subject_user=subject,
        enterprise_id=enterprise_id if enterprise_id is not None else (subject.enterprise_id if subject else None),
        ip=client_ip(), detail=detail,
    )
    db.session.add(event)
    db.session.flush()
    return event
