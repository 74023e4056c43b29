"""Enterprise self-service portal: file requests, follow them against the clock, rate them, update contacts.

Every query here goes through app.permissions (request_scope, get_request_or_404,
get_attachment_or_404), which confine an enterprise contact to its own enterprise: another
enterprise's id answers exactly as an id that does not exist.
"""
from __future__ import annotations

from flask import Blueprint, after_this_request, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.models import OPEN_STATES, AuditKind, Category, MilestoneKind, ServiceRequest, State, Topic
from app.models.user import find_user_by_email
from app.pagination import paginate_rows
from app.permissions import (
    ENTERPRISE, get_attachment_or_404, get_enterprise_or_404, get_request_or_404, public, request_scope,
    roles_required,
)
from app.portal.forms import CommentForm, ContactDetailsForm, PortalRequestForm, RateForm, SetPasswordForm
from app.requests.countdown import countdown
from app.requests.queries import breached_condition, next_due_column, next_start_column
from app.services import attachments, audit, invitations
from app.services import portal as portal_service
from app.services import requests as wf

bp = Blueprint("portal", __name__)

#: How the enterprise sees each kind of public timeline entry.
EVENT_TITLES = {"created": _l("Received"), "note": _l("Note from the sub-district"), "comment": _l("Your comment"),
                "dispatch": _l("Passed to a department"), "escalation": _l("Escalated"),
                "breach": _l("Time limit missed"), "rating": _l("Rated")}
#: Transitions as the enterprise reads them (what happened, not the button the officer pressed).
ACTION_TITLES = {"respond": _l("Responded"), "arrive": _l("Officer on site"), "give_plan": _l("Plan given"),
                 "resolve": _l("Resolved"), "confirm": _l("Confirmed"), "return": _l("Returned"),
                 "reopen": _l("Reopened")}


def _enterprise():
    return get_enterprise_or_404(current_user.enterprise_id)


# --- my requests ---------------------------------------------------------------------


@bp.route("/")
@roles_required(ENTERPRISE)
def home():
    """My requests: the enterprise's requests with their state and a live countdown; the liaison officer."""
    now = clock.now()
    next_due = next_due_column()
    stmt = request_scope(
        select(ServiceRequest, next_due.label("next_due"), next_start_column().label("next_start"),
               breached_condition(now).label("breached"))
        .options(joinedload(ServiceRequest.topic))
    ).order_by(ServiceRequest.received_at.desc(), ServiceRequest.id.desc())
    page = paginate_rows(stmt)
    return render_template("portal/home.html", enterprise=_enterprise(), page=page, now=now,
                           open_states=OPEN_STATES)


# --- filing --------------------------------------------------------------------------


@bp.route("/requests/new", methods=["GET", "POST"])
@roles_required(ENTERPRISE)
def new_request():
    """File a request: category, topic, title, description and optional attachments."""
    form = PortalRequestForm()
    enterprise = _enterprise()
    if form.validate_on_submit():
        written = []
        try:
            uploads = attachments.check_uploads(request.files.getlist(form.attachments.name))
            created, written = portal_service.file_request(
                enterprise=enterprise, by=current_user, category=Category(form.category.data),
                topic=db.session.get(Topic, form.topic_id.data), title=form.title.data,
                description=form.description.data, uploads=uploads,
            )
            db.session.commit()
        except attachments.AttachmentError as exc:
            db.session.rollback()
            form.attachments.errors = [str(exc), _("Nothing was filed; choose the files again.")]
        except wf.WorkflowError as exc:
            db.session.rollback()
            attachments.discard(written)
            form.form_errors.append(str(exc))
        except BaseException:
            db.session.rollback()
            attachments.discard(written)
            raise
        else:
            return redirect(url_for("portal.filed", request_id=created.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("portal/new_request.html", form=form, enterprise=enterprise,
                           max_files=_limits()), status


def _limits() -> dict:
    from flask import current_app

    return {"count": current_app.config["MAX_ATTACHMENTS"],
            "mb": f"{current_app.config['MAX_ATTACHMENT_BYTES'] / (1024 * 1024):g}",
            "types": attachments.ALLOWED_TEXT}


@bp.route("/requests/<int:request_id>/filed")
@roles_required(ENTERPRISE)
def filed(request_id: int):
    """Confirmation of a filed request: its reference and the three due times."""
    sr = get_request_or_404(request_id)
    milestones = sorted(sr.current_milestones(), key=lambda m: list(MilestoneKind).index(m.kind))
    return render_template("portal/filed.html", sr=sr, milestones=milestones,
                           attachments=attachments.attachments_of(sr))


# --- following -----------------------------------------------------------------------


def _render_detail(sr: ServiceRequest, comment_form: CommentForm | None = None, rate_form: RateForm | None = None,
                   status: int = 200):
    now = clock.now()
    is_open = sr.state in OPEN_STATES
    milestones = [
        (m, countdown(m.due_at, m.started_at, now, m.breached_at is not None) if is_open and m.met_at is None else None)
        for m in sorted(sr.current_milestones(), key=lambda m: list(MilestoneKind).index(m.kind))
    ]
    can_rate = any(t.name == "confirm" for t in wf.allowed_actions(sr, current_user))
    return render_template(
        "portal/detail.html", sr=sr, is_open=is_open, milestones=milestones, now=now,
        events=wf.timeline(sr, include_internal=False), attachments=attachments.attachments_of(sr),
        comment_form=comment_form or CommentForm(formdata=None),
        rate_form=(rate_form or RateForm(formdata=None, version=sr.version)) if can_rate else None,
        event_titles=EVENT_TITLES,
        action_labels=ACTION_TITLES, officer=sr.enterprise.officer,
    ), status


@bp.route("/requests/<int:request_id>")
@roles_required(ENTERPRISE)
def detail(request_id: int):
    """One of our requests: state, countdowns, attachments, the public timeline, comment and rating."""
    return _render_detail(get_request_or_404(request_id))


@bp.route("/requests/<int:request_id>/comment", methods=["POST"])
@roles_required(ENTERPRISE)
def comment(request_id: int):
    """Add a comment to the request's timeline."""
    sr = get_request_or_404(request_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_detail(sr, comment_form=form, status=422)
    try:
        wf.add_note(sr, current_user, form.text.data, internal=False)
        db.session.commit()
    except wf.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Your comment was added; your liaison officer sees it on the request."), "success")
    return redirect(url_for("portal.detail", request_id=sr.id, _anchor="timeline"))


@bp.route("/requests/<int:request_id>/rate", methods=["POST"])
@roles_required(ENTERPRISE)
def rate(request_id: int):
    """Confirm the resolution and rate it 1–5 (1 or 2 reopens the request)."""
    sr = get_request_or_404(request_id)
    form = RateForm()
    can_rate = any(t.name == "confirm" for t in wf.allowed_actions(sr, current_user))
    if not form.validate_on_submit():
        if can_rate:
            return _render_detail(sr, rate_form=form, status=422)
        flash(_("This request cannot be rated now."), "error")
        return redirect(url_for("portal.detail", request_id=sr.id))
    try:
        wf.transition(sr, "confirm", current_user, text=form.comment.data, version=form.version.data,
                      rating=form.rating.data)
        db.session.commit()
    except wf.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        if sr.state is State.reopened:
            flash(_("Thank you. We are sorry it was not resolved well: the request is reopened and your "
                    "liaison officer will contact you."), "warning")
        else:
            flash(_("Thank you for your rating. The request is closed."), "success")
    return redirect(url_for("portal.detail", request_id=sr.id))


@bp.route("/requests/<int:request_id>/attachments/<int:attachment_id>")
@roles_required(ENTERPRISE)
def attachment(request_id: int, attachment_id: int):
    """Download an attachment of one of our requests."""
    found = get_attachment_or_404(request_id, attachment_id)
    audit.record(AuditKind.download, enterprise_id=current_user.enterprise_id,
                 detail=f"Attachment {found.id} of request {found.request_id}")
    db.session.commit()
    return attachments.send(found)


# --- our details ---------------------------------------------------------------------


@bp.route("/details", methods=["GET", "POST"])
@roles_required(ENTERPRISE)
def details():
    """Our details: the enterprise's contact person, phone and email (registry data stays with the office)."""
    enterprise = _enterprise()
    form = ContactDetailsForm(obj=enterprise)
    if form.validate_on_submit():
        portal_service.update_contact_details(enterprise, name=form.contact_name.data, phone=form.contact_phone.data,
                                              email=form.contact_email.data)
        db.session.commit()
        flash(_("Your contact details are updated."), "success")
        return redirect(url_for("portal.details"))
    return render_template("portal/details.html", form=form, enterprise=enterprise), 422 if form.errors else 200


# --- invitations (public) ------------------------------------------------------------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def invitation(token: str):
    """Accept an invitation: set a password, and land in the portal. Used, expired or revoked links say so."""

    @after_this_request
    def keep_the_token_private(response):
        # The token is in this page's address: never sent on in a Referer (not even to our own static
        # files, whose access logs would keep it), and the page is never cached.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    found = invitations.find_invitation(token)
    if found is None:
        return render_template("portal/invitation_invalid.html",
                               message=_("This invitation link is not valid. Check that you copied the whole link, "
                                         "or ask your liaison officer for a new invitation.")), 404
    state = invitations.status(found)
    if state != invitations.PENDING:
        return render_template("portal/invitation_invalid.html", message=invitations.status_message(state)), 410
    if find_user_by_email(found.email) is not None:
        return render_template("portal/invitation_invalid.html", message=invitations.registered_message(found)), 409
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = invitations.accept_invitation(found, form.password.data)
            db.session.commit()
        except invitations.InvitationError as exc:
            db.session.rollback()
            error = str(exc)
            if (state := invitations.status(found)) != invitations.PENDING:  # used or revoked meanwhile
                return render_template("portal/invitation_invalid.html",
                                       message=invitations.status_message(state)), 410
        except IntegrityError:
            # The same email registered at this very moment (another invitation accepted at once).
            db.session.rollback()
            return render_template("portal/invitation_invalid.html",
                                   message=invitations.registered_message(found)), 409
        else:
            session.clear()  # a new session for the new account
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready; this is your enterprise's portal.", name=user.name), "success")
            return redirect(url_for("portal.home"))
    status = 422 if form.errors or error else 200
    return render_template("portal/invitation.html", form=form, invitation=found, error=error), status
