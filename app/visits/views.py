"""Visits (走访) to enterprises (being built)."""
from flask import Blueprint, render_template

from app.permissions import STAFF, roles_required

bp = Blueprint("visits", __name__)


@bp.route("/")
@roles_required(STAFF)
def index():
    """Recent visits (placeholder until the screens land)."""
    return render_template("placeholder.html", title="Visits")
