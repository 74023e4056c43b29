"""Roles and per-object access checks, in one place.

Every view declares who may use it with @roles_required or @public; a view that declares
neither is refused to everybody (deny by default), enforced by `enforce_access` before
each request.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db, login_manager
from app.models import Attachment, Building, Enterprise, Role, ServiceRequest

F = TypeVar("F", bound=Callable)

#: Back-office staff: may read the registry.
STAFF = frozenset({Role.officer, Role.chief, Role.leader, Role.admin})
#: May change the registry (leadership is read-only).
EDITORS = frozenset({Role.officer, Role.chief, Role.admin})
ADMINS = frozenset({Role.admin})
#: May use the report centre: generate, follow and download the leadership reports.
REPORTERS = frozenset({Role.leader, Role.chief, Role.admin})
#: The leadership dashboard: leadership's, and the chief liaison's; admins too. Not officers.
LEADERSHIP = frozenset({Role.leader, Role.chief, Role.admin})
ENTERPRISE = frozenset({Role.enterprise})


def roles_required(*roles: Role | frozenset[Role]) -> Callable[[F], F]:
    """Declare the roles allowed to use a view."""
    allowed: set[Role] = set()
    for r in roles:
        allowed |= set(r) if isinstance(r, frozenset) else {r}

    def mark(view: F) -> F:
        view._roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to anonymous users (login page, health check)."""
    view._public = True  # type: ignore[attr-defined]
    return view


def view_access(view: Callable) -> tuple[bool, frozenset[Role] | None]:
    """(is public, allowed roles) as declared on a view function."""
    return getattr(view, "_public", False), getattr(view, "_roles", None)


def enforce_access():
    """before_request: login required unless public; the user's role must be declared on the view."""
    if request.endpoint is None:  # no route matched: let Flask answer 404/405
        return None
    if request.endpoint == "static":
        return None
    view = current_app.view_functions[request.endpoint]
    is_public, roles = view_access(view)
    if is_public:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if roles is None or current_user.role not in roles:
        abort(403)
    return None


def can_edit() -> bool:
    """Whether the current user may change the registry (used to show edit buttons)."""
    return current_user.is_authenticated and current_user.role in EDITORS


def enterprise_scope(stmt):
    """Restrict a select over Enterprise to what the current user may see."""
    if current_user.role is Role.enterprise:
        return stmt.where(Enterprise.id == current_user.enterprise_id)
    return stmt


def get_enterprise_or_404(enterprise_id: int) -> Enterprise:
    """Load an enterprise the current user may see, or 404 (never 403: ids are not confirmed)."""
    stmt = enterprise_scope(db.select(Enterprise).where(Enterprise.id == enterprise_id))
    return db.first_or_404(stmt)


def request_scope(stmt):
    """Restrict a select over ServiceRequest to what the current user may see.

    The one place an enterprise contact is confined to its own enterprise's requests; every
    portal query (lists, detail, attachments, actions) goes through it.
    """
    if current_user.role is Role.enterprise:
        return stmt.where(ServiceRequest.enterprise_id == current_user.enterprise_id)
    return stmt


def get_request_or_404(request_id: int) -> ServiceRequest:
    """Load a request the current user may see (with what its page shows), or 404.

    Another enterprise's request answers exactly as a request that does not exist.
    """
    stmt = request_scope(select_request(request_id))
    return db.first_or_404(stmt)


def select_request(request_id: int):
    """One request with everything its detail pages show, in a few statements (not scoped)."""
    return (
        db.select(ServiceRequest)
        .where(ServiceRequest.id == request_id)
        .options(
            joinedload(ServiceRequest.enterprise).joinedload(Enterprise.building),
            joinedload(ServiceRequest.enterprise).joinedload(Enterprise.officer),
            joinedload(ServiceRequest.topic),
            joinedload(ServiceRequest.handling_mode),
            joinedload(ServiceRequest.assigned_officer),
            joinedload(ServiceRequest.created_by),
            joinedload(ServiceRequest.visit),
            selectinload(ServiceRequest.departments),
            selectinload(ServiceRequest.milestones),
        )
    )


def get_attachment_or_404(request_id: int, attachment_id: int) -> Attachment:
    """An attachment of a request the current user may see, or 404 (same answer as a missing one)."""
    stmt = request_scope(
        db.select(Attachment)
        .join(ServiceRequest, ServiceRequest.id == Attachment.request_id)
        .where(Attachment.id == attachment_id, Attachment.request_id == request_id)
    )
    return db.first_or_404(stmt)


def get_building_or_404(building_id: int) -> Building:
    """Load a building (staff only reach this: the route is role-checked)."""
    return db.get_or_404(Building, building_id)
