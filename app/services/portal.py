"""What an enterprise contact does in the portal: file a request, update its contact details.

Services flush; the caller commits (and, for a filing, discards the written files if it cannot).
"""
from __future__ import annotations

from pathlib import Path

from app.extensions import db
from app.models import Category, Channel, Enterprise, HandlingMode, ServiceRequest, Topic, User
from app.services import attachments
from app.services.requests import WorkflowError, create_request

#: The sub-district decides how a portal request is handled; this is the starting point.
PORTAL_MODE = "on-site"


def portal_handling_mode() -> HandlingMode:
    """The 'on-site' mode when active, else the first active mode that is not staged."""
    modes = db.session.scalars(
        db.select(HandlingMode).where(HandlingMode.active.is_(True), HandlingMode.staged.is_(False))
        .order_by(HandlingMode.id)
    ).all()
    for mode in modes:
        if mode.code == PORTAL_MODE:
            return mode
    if not modes:
        raise WorkflowError("Requests cannot be filed online right now; please call your liaison officer.")
    return modes[0]


def file_request(*, enterprise: Enterprise, by: User, category: Category, topic: Topic, title: str,
                 description: str, uploads: list[attachments.Upload]) -> tuple[ServiceRequest, list[Path]]:
    """Register a request from the portal with its (already checked) attachments.

    Returns the request and the files written, which the caller discards if its commit fails.
    """
    if not topic.active:
        raise WorkflowError("That topic is no longer offered; choose another.")
    request = create_request(
        enterprise=enterprise, category=category, topic=topic, handling_mode=portal_handling_mode(),
        channel=Channel.portal, title=title, description=description, by=by,
    )
    written = attachments.store(request, uploads, by)
    return request, written


def update_contact_details(enterprise: Enterprise, *, name: str | None, phone: str | None, email: str | None) -> None:
    """Change the enterprise's contact person, phone and email (never its registry data)."""
    enterprise.contact_name = name or None
    enterprise.contact_phone = phone or None
    enterprise.contact_email = email.lower() if email else None
    db.session.flush()
