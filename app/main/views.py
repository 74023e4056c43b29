"""Home page and health check."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from app import clock
from app.extensions import db
from app.models import (OPEN_STATES, Building, Enterprise, EnterpriseStatus, Level, ReportKind, ReportRun, RunStatus,
                        ServiceRequest, TaxRecord)
from app.requests.queries import breached_condition
from app.permissions import REPORTERS, STAFF, public, roles_required
from app.queue import get_redis

bp = Blueprint("main", __name__)


@bp.route("/")
@roles_required(STAFF)
def index():
    """Back-office home: registry and request counts, each linking to the list behind it."""
    open_requests = select(func.count()).select_from(ServiceRequest).where(ServiceRequest.state.in_(OPEN_STATES))
    counts = db.session.execute(
        select(
            select(func.count()).select_from(Building).scalar_subquery().label("buildings"),
            select(func.count())
            .select_from(Enterprise)
            .where(Enterprise.status != EnterpriseStatus.moved_out)
            .scalar_subquery()
            .label("enterprises"),
            select(func.count())
            .select_from(Enterprise)
            .where(Enterprise.status == EnterpriseStatus.at_risk)
            .scalar_subquery()
            .label("at_risk"),
            open_requests.where(ServiceRequest.assigned_officer_id == current_user.id)
            .scalar_subquery().label("mine"),
            open_requests.scalar_subquery().label("open"),
            open_requests.where(breached_condition(clock.now())).scalar_subquery().label("breached"),
            open_requests.where(ServiceRequest.level != Level.officer).scalar_subquery().label("escalated"),
            select(func.max(TaxRecord.month)).scalar_subquery().label("tax_month"),
        )
    ).one()
    latest_pack = None
    if current_user.role in REPORTERS:
        latest_pack = db.session.scalar(
            select(ReportRun).where(ReportRun.kind == ReportKind.pack, ReportRun.status == RunStatus.done)
            .order_by(ReportRun.period.desc(), ReportRun.finished_at.desc()).limit(1)
        )
    return render_template("main/index.html", counts=counts, latest_pack=latest_pack)


@bp.route("/healthz")
@public
def healthz():
    """Liveness of the database and Redis: 200 when both answer, 503 naming the failing part."""
    status = {}
    try:
        db.session.execute(text("SELECT 1"))
        status["db"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not ok"; details stay in the log
        db.session.rollback()
        status["db"] = "error"
    try:
        get_redis().ping()
        status["redis"] = "ok"
    except Exception:  # noqa: BLE001
        status["redis"] = "error"
    healthy = all(v == "ok" for v in status.values())
    return status, 200 if healthy else 503
