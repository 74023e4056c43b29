"""Enterprise self-service portal (the full portal comes with its own issue)."""
from flask import Blueprint, render_template
from flask_login import current_user

from app.permissions import ENTERPRISE, get_enterprise_or_404, roles_required

bp = Blueprint("portal", __name__)


@bp.route("/")
@roles_required(ENTERPRISE)
def home():
    """The enterprise's own page: its registry entry and its liaison officer."""
    enterprise = get_enterprise_or_404(current_user.enterprise_id)
    return render_template("portal/home.html", enterprise=enterprise)
