"""Reference lists and SLA policies, edited by admins (being built)."""
from flask import Blueprint, render_template

from app.permissions import ADMINS, roles_required

bp = Blueprint("reference", __name__)


@bp.route("/")
@roles_required(ADMINS)
def index():
    """Reference lists (placeholder until the screens land)."""
    return render_template("placeholder.html", title="Reference lists")
