"""The back office's side of the portal: inviting enterprise contacts, revoking access, attachment downloads."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.forms import ConfirmForm
from app.contacts.forms import InvitationForm
from app.extensions import db
from app.models import AuditKind, Invitation, Role, User
from app.permissions import EDITORS, STAFF, get_attachment_or_404, get_enterprise_or_404, roles_required
from app.services import attachments, audit, invitations

bp = Blueprint("contacts", __name__)
#: The request detail page lists a request's attachments with this.
bp.add_app_template_global(attachments.attachments_of, "attachments_of")


def portal_section(enterprise) -> dict:
    """What the enterprise page shows about portal access: accounts, pending invitations, the forms."""
    return {
        "accounts": list(db.session.scalars(
            db.select(User).where(User.enterprise_id == enterprise.id, User.role == Role.enterprise).order_by(User.name)
        )),
        "invitations": [(i, invitations.status(i)) for i in invitations.pending_invitations(enterprise)],
        "form": InvitationForm(formdata=None),
        "button": ConfirmForm(formdata=None),
    }


def _back(enterprise_id: int):
    return redirect(url_for("registry.enterprise_detail", enterprise_id=enterprise_id, _anchor="portal"))


@bp.route("/enterprises/<int:enterprise_id>/invitations", methods=["POST"])
@roles_required(EDITORS)
def invite(enterprise_id: int):
    """Invite a contact of the enterprise: the one-time link is shown here (and mailed when mail is set up)."""
    enterprise = get_enterprise_or_404(enterprise_id)
    form = InvitationForm()
    error = None
    if form.validate_on_submit():
        try:
            invitation, token = invitations.create_invitation(
                enterprise, name=form.name.data, email=form.email.data, phone=form.phone.data, by=current_user,
            )
            db.session.commit()
        except invitations.InvitationError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            link = url_for("portal.invitation", token=token, _external=True)
            mailed = invitations.send_invitation_mail(invitation, link)
            # Rendered, not flashed: the link must not travel in the (signed, not encrypted) session cookie.
            response = make_response(render_template("contacts/invited.html", enterprise=enterprise,
                                                     invitation=invitation, link=link, mailed=mailed))
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("contacts/invite.html", enterprise=enterprise, form=form, error=error), 422


@bp.route("/enterprises/<int:enterprise_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@roles_required(EDITORS)
def revoke_invitation(enterprise_id: int, invitation_id: int):
    """Withdraw a pending invitation: its link stops working."""
    enterprise = get_enterprise_or_404(enterprise_id)
    invitation = db.first_or_404(db.select(Invitation).where(
        Invitation.id == invitation_id, Invitation.enterprise_id == enterprise.id))
    if ConfirmForm().validate_on_submit():
        try:
            invitations.revoke_invitation(invitation, current_user)
            db.session.commit()
        except invitations.InvitationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("The invitation for %(email)s is revoked; its link no longer works.", email=invitation.email), "success")
    return _back(enterprise.id)


@bp.route("/enterprises/<int:enterprise_id>/contacts/<int:user_id>/revoke", methods=["POST"])
@roles_required(EDITORS)
def revoke_contact(enterprise_id: int, user_id: int):
    """Revoke a contact's portal access (the account is deactivated, never deleted)."""
    enterprise = get_enterprise_or_404(enterprise_id)
    contact = db.first_or_404(db.select(User).where(
        User.id == user_id, User.enterprise_id == enterprise.id, User.role == Role.enterprise))
    if ConfirmForm().validate_on_submit():
        try:
            invitations.revoke_contact(contact, current_user)
            db.session.commit()
        except invitations.InvitationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("%(name)s can no longer use the portal.", name=contact.name), "success")
    return _back(enterprise.id)


@bp.route("/requests/<int:request_id>/attachments/<int:attachment_id>")
@roles_required(STAFF)
def attachment(request_id: int, attachment_id: int):
    """Download an attachment of a request (staff)."""
    found = get_attachment_or_404(request_id, attachment_id)
    audit.record(AuditKind.download, enterprise_id=found.request.enterprise_id,
                 detail=f"Attachment {found.id} of request {found.request_id}")
    db.session.commit()
    return attachments.send(found)
