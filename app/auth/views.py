"""Login and logout."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth.forms import LoginForm
from app.extensions import db
from app.models import AuditKind, Role
from app.permissions import STAFF, ENTERPRISE, public, roles_required
from app.services.audit import record
from app.services.auth import authenticate

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative '//'."""
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # control characters: browsers drop some ('/\t/x' is '//x'); CR/LF break the header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def home_for(role: Role) -> str:
    return url_for("portal.home") if role is Role.enterprise else url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Log in with email and password (POSTs are rate-limited per address and per account: app/security.py)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data)
        db.session.commit()  # failures and lockouts are kept even when login fails
        if result.user is None:
            flash(result.error, "error")
            return render_template("auth/login.html", form=form), 401
        next_url = safe_next(request.args.get("next"))
        session.clear()  # a new session on login (no fixation)
        login_user(result.user)
        if result.user.role is Role.enterprise and next_url and not next_url.startswith("/portal"):
            next_url = None
        return redirect(next_url or home_for(result.user.role))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required(STAFF, ENTERPRISE)
def logout():
    """Log out (POST; CSRFProtect checks the token, so no other site can log a user out)."""
    record(AuditKind.logout, subject=current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
