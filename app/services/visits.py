"""Visits (走访): logging a liaison visit to an enterprise. Services flush, the caller commits."""
from __future__ import annotations

from datetime import date

from flask_babel import format_number, gettext as _

from app import clock, formatting
from app.extensions import db
from app.models import Enterprise, EnterpriseStatus, Role, User, Visit

#: Who may log a visit (leadership reads only).
LOGGERS = frozenset({Role.officer, Role.chief, Role.admin})
#: Who may be recorded as one of the visiting officers.
VISITORS = frozenset({Role.officer, Role.chief})
SUMMARY_MAX = 5000


class VisitError(ValueError):
    """A visit refused; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def log_visit(*, enterprise: Enterprise, visited_on: date, officers: list[User], summary: str, by: User) -> Visit:
    """Record a visit to an enterprise by one or more officers."""
    if by.role not in LOGGERS:
        raise VisitError(_("Your role (%(role)s) cannot log visits.", role=by.role.label))
    if enterprise.status is EnterpriseStatus.moved_out:
        raise VisitError(_("%(name)s has moved out; visits are logged only for enterprises in the district.",
                           name=enterprise.name), "enterprise_id")
    if visited_on > clock.today():
        raise VisitError(_("The visit date cannot be in the future."), "visited_on")
    if not officers:
        raise VisitError(_("Choose at least one officer who made the visit."), "officer_ids")
    unfit = [u.name for u in officers if u.role not in VISITORS or not u.active]
    if unfit:
        raise VisitError(_("Not an active liaison officer: %(names)s.", names=formatting.names(unfit)), "officer_ids")
    summary = (summary or "").strip()
    if not summary:
        raise VisitError(_("Write a summary of the visit."), "summary")
    if len(summary) > SUMMARY_MAX:
        raise VisitError(_("The summary is limited to %(max)s characters.", max=format_number(SUMMARY_MAX)), "summary")
    visit = Visit(enterprise=enterprise, visited_on=visited_on, summary=summary, created_by=by,
                  officers=sorted(set(officers), key=lambda u: (u.name, u.id)))
    db.session.add(visit)
    db.session.flush()
    return visit
