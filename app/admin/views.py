"""Administration: user accounts and the audit log (admins only)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.admin.forms import RoleForm, UserForm
from app.auth.forms import ConfirmForm
from app.extensions import db
from app.models import AuditEvent, AuditKind, Role, User
from app.params import page_arg
from app.permissions import ADMINS, roles_required
from app.services.users import UserError, change_role, create_user, set_active

bp = Blueprint("admin", __name__)


@bp.route("/users")
@roles_required(ADMINS)
def users():
    """All accounts, filterable by role and searchable by name or email."""
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    stmt = select(User).options(joinedload(User.enterprise)).order_by(User.active.desc(), User.name, User.id)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(User.name.ilike(like, escape="\\"), User.email.ilike(like, escape="\\")))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config["PER_PAGE"])
    return render_template("admin/users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ADMINS)
def user_new():
    """Create an account."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                email=form.email.data, name=form.name.data, role=Role(form.role.data), password=form.password.data,
                phone=form.phone.data, enterprise=form.enterprise,
            )
        except UserError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Created %(email)s (%(role)s).", email=user.email, role=user.role.label), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<int:user_id>")
@roles_required(ADMINS)
def user_detail(user_id: int):
    """One account: change its role, deactivate or reactivate it."""
    user = db.get_or_404(User, user_id)
    role_form = RoleForm(role=user.role.value)
    return render_template("admin/user_detail.html", user=user, role_form=role_form, confirm=ConfirmForm())


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(ADMINS)
def user_role(user_id: int):
    """Change a staff account's role."""
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            change_role(user, Role(form.role.data), by=current_user)
        except UserError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("%(email)s is now %(role)s.", email=user.email, role=user.role.label), "success")
    else:
        flash(_("Choose one of the listed roles."), "error")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(ADMINS)
def user_active(user_id: int):
    """Deactivate an account (its sessions stop at the next request) or reactivate it."""
    user = db.get_or_404(User, user_id)
    # The form says which state it wants, so a double submit or a stale page cannot undo itself.
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        flash(_("Use the Deactivate or Reactivate button."), "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    if (wanted == "1") == user.active:
        flash(_("%(email)s is already active.", email=user.email) if user.active
              else _("%(email)s is already deactivated.", email=user.email), "info")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    try:
        set_active(user, wanted == "1", by=current_user)
    except UserError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(email)s is reactivated.", email=user.email) if user.active
              else _("%(email)s is deactivated.", email=user.email), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/audit")
@roles_required(ADMINS)
def audit():
    """The audit log, newest first, filterable by kind of event."""
    kind = request.args.get("kind", "")
    stmt = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.subject_user))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if kind in {k.value for k in AuditKind}:
        stmt = stmt.where(AuditEvent.kind == AuditKind(kind))
    else:
        kind = ""
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config["PER_PAGE"])
    return render_template("admin/audit.html", page=page, kind=kind, kinds=list(AuditKind))
