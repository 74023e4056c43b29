"""Visits (走访) to enterprises: the list, logging a visit, and one visit with its requests."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app import clock
from app.extensions import db
from app.models import Enterprise, ServiceRequest, User, Visit
from app.pagination import paginate_rows
from app.params import id_arg
from app.permissions import EDITORS, STAFF, roles_required
from app.services.requests import STAFF_ACTORS
from app.services.visits import VISITORS, VisitError, log_visit
from app.visits.forms import VisitForm

bp = Blueprint("visits", __name__)


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@bp.route("/")
@roles_required(STAFF)
def index():
    """Recent visits, newest first: filter by officer or enterprise, search summaries and enterprise names."""
    q = request.args.get("q", "").strip()
    officer_id = id_arg("officer")
    enterprise_id = id_arg("enterprise")
    raised = (
        select(func.count(ServiceRequest.id)).where(ServiceRequest.visit_id == Visit.id)
        .correlate(Visit).scalar_subquery()
    )
    stmt = (
        select(Visit, raised.label("requests"))
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .options(contains_eager(Visit.enterprise), selectinload(Visit.officers))
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
    )
    if q:
        like = _like(q)
        stmt = stmt.where(or_(Visit.summary.ilike(like, escape="\\"), Enterprise.name.ilike(like, escape="\\"),
                              Enterprise.name_zh.ilike(like, escape="\\")))
    if officer_id:
        stmt = stmt.where(Visit.officers.any(User.id == officer_id))
    enterprise = None
    if enterprise_id:
        stmt = stmt.where(Visit.enterprise_id == enterprise_id)
        enterprise = db.session.get(Enterprise, enterprise_id)
    page = paginate_rows(stmt)
    officers = db.session.execute(
        select(User.id, User.name, User.active).where(User.role.in_(VISITORS))
        .order_by(User.active.desc(), User.name)
    ).all()
    return render_template(
        "visits/index.html", page=page, q=q, officer_id=officer_id, enterprise_id=enterprise_id,
        enterprise=enterprise, officers=officers,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(EDITORS)
def new():
    """Log a visit: enterprise, date, officers, summary (?enterprise= preselects the enterprise)."""
    form = VisitForm()
    if request.method == "GET":
        form.enterprise_id.data = id_arg("enterprise")
        form.visited_on.data = clock.today()
        if current_user.role in VISITORS:
            form.officer_ids.data = [str(current_user.id)]
    if form.validate_on_submit():
        try:
            visit = log_visit(enterprise=form.enterprise, visited_on=form.visited_on.data, officers=form.officers,
                              summary=form.summary.data, by=current_user._get_current_object())
        except VisitError as exc:
            (getattr(form, exc.field).errors if exc.field else form.form_errors).append(str(exc))
            return render_template("visits/form.html", form=form, back=_back()), 422
        db.session.commit()
        flash(_("Visit to %(name)s on %(date)s logged.", name=visit.enterprise.name, date=visit.visited_on.isoformat()),
              "success")
        return redirect(url_for("visits.detail", visit_id=visit.id))
    return render_template("visits/form.html", form=form, back=_back())


def _back() -> str:
    """Cancel returns to the enterprise the form was opened from, else to the list."""
    enterprise_id = id_arg("enterprise")
    if enterprise_id:
        return url_for("registry.enterprise_detail", enterprise_id=enterprise_id)
    return url_for("visits.index")


@bp.route("/<int:visit_id>")
@roles_required(STAFF)
def detail(visit_id: int):
    """One visit: enterprise, date, officers, summary and the requests raised from it."""
    visit = db.first_or_404(
        select(Visit)
        .options(joinedload(Visit.enterprise).joinedload(Enterprise.building), selectinload(Visit.officers),
                 joinedload(Visit.created_by), selectinload(Visit.requests))
        .where(Visit.id == visit_id)
    )
    return render_template("visits/detail.html", visit=visit, can_raise=current_user.role in STAFF_ACTORS)
