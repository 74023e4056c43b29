"""Service requests: queues, detail with timeline, actions (being built)."""
from flask import Blueprint, render_template

from app.permissions import STAFF, roles_required

bp = Blueprint("requests", __name__)


@bp.route("/")
@roles_required(STAFF)
def queue():
    """My queue (placeholder until the screens land)."""
    return render_template("placeholder.html", title="Requests")
