"""Registry: buildings and enterprises (officers, chiefs and admins edit; leadership reads)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.contacts.views import portal_section
from app.extensions import db
from app.models import (
    INDUSTRIES, OPEN_STATES, Building, Enterprise, EnterpriseStatus, Grid, HQType, KeyTier, ServiceRequest, TaxTier,
    Visit,
)
from app.pagination import paginate_rows
from app.params import id_arg, page_arg
from app.permissions import EDITORS, STAFF, get_building_or_404, get_enterprise_or_404, roles_required
from app.registry.forms import BuildingForm, EnterpriseForm, MoveOutForm
from app.reports.period import Period, PeriodError
from app.services import tax
from app.services.registry import RegistryError, move_out, save_building, save_enterprise

bp = Blueprint("registry", __name__)


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _apply_sort(stmt, sort: str, columns: dict, default: str):
    key = sort.lstrip("-") if sort.lstrip("-") in columns else default
    desc = sort.startswith("-") and key == sort.lstrip("-")
    col = columns[key]
    return stmt.order_by(col.desc() if desc else col.asc(), columns["_tiebreak"]), ("-" if desc else "") + key


# --- buildings -----------------------------------------------------------------------


@bp.route("/buildings")
@roles_required(STAFF)
def buildings():
    """Buildings with their year-to-date tax and derived tier; filter by grid and tier, search by name.

    Figures are for ?month=YYYY-MM (the dashboard's tiles link here with theirs), by default the
    latest month with tax data.
    """
    chosen = _month_arg()
    month = chosen or tax.latest_month()
    q = request.args.get("q", "").strip()
    grid_id = id_arg("grid")
    tier = request.args.get("tier", "")
    sort = request.args.get("sort", "-ytd")

    enterprises = (
        select(Enterprise.building_id, func.count().label("n"))
        .where(Enterprise.status != EnterpriseStatus.moved_out)
        .group_by(Enterprise.building_id)
        .subquery()
    )
    stmt = select(Building, Grid.name.label("grid_name"), func.coalesce(enterprises.c.n, 0).label("enterprises"))
    stmt = stmt.join(Grid, Grid.id == Building.grid_id).outerjoin(enterprises, enterprises.c.building_id == Building.id)
    if month:
        t = tax.building_tax(month).subquery()
        ytd = func.coalesce(t.c.ytd_tax, 0)
        month_tax = func.coalesce(t.c.month_tax, 0)
        tier_col = tax.tier_case(ytd, month)
        stmt = stmt.outerjoin(t, t.c.building_id == Building.id)
    else:
        ytd = month_tax = literal(0)
        tier_col = literal(TaxTier.none.value)
    stmt = stmt.add_columns(month_tax.label("month_tax"), ytd.label("ytd"), tier_col.label("tier"))
    if q:
        like = _like(q)
        stmt = stmt.where(
            or_(Building.name.ilike(like, escape="\\"), Building.name_zh.ilike(like, escape="\\"),
                Building.address.ilike(like, escape="\\"))
        )
    if grid_id:
        stmt = stmt.where(Building.grid_id == grid_id)
    if tier in {t.value for t in TaxTier}:
        stmt = stmt.where(tier_col == tier)
    stmt, sort = _apply_sort(
        stmt,
        sort,
        {"name": Building.name, "grid": Grid.name, "ytd": ytd, "month": month_tax,
         "enterprises": func.coalesce(enterprises.c.n, 0), "office_area": Building.office_area,
         "_tiebreak": Building.id},
        "ytd",
    )
    page = paginate_rows(stmt)
    grids = db.session.execute(select(Grid.id, Grid.name).order_by(Grid.name)).all()
    return render_template(
        "registry/buildings.html", page=page, month=month, grids=grids, tiers=list(TaxTier),
        q=q, grid_id=grid_id, tier=tier, sort=sort, chosen=chosen,
    )


def _month_arg() -> str | None:
    """?month= when it is a month as YYYY-MM, else None (ignored, like any filter that is not valid)."""
    try:
        return Period.parse(request.args["month"]).month if request.args.get("month") else None
    except PeriodError:
        return None


@bp.route("/buildings/new", methods=["GET", "POST"])
@roles_required(EDITORS)
def building_new():
    """Register a building."""
    form = BuildingForm()
    if form.validate_on_submit():
        return _save_building(None, form)
    return render_template("registry/building_form.html", form=form, building=None)


@bp.route("/buildings/<int:building_id>/edit", methods=["GET", "POST"])
@roles_required(EDITORS)
def building_edit(building_id: int):
    """Edit a building's details and its liaison officers."""
    building = get_building_or_404(building_id)
    form = BuildingForm(obj=building, building=building)
    if request.method == "GET":
        form.officer_ids.data = [u.id for u in building.officers]
    if form.validate_on_submit():
        return _save_building(building, form)
    return render_template("registry/building_form.html", form=form, building=building)


def _save_building(building: Building | None, form: BuildingForm):
    try:
        building = save_building(building, form.data, form.officer_ids.data or [])
    except RegistryError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return render_template("registry/building_form.html", form=form, building=building), 422
    db.session.commit()
    flash(_("Saved %(name)s.", name=building.name), "success")
    return redirect(url_for("registry.building_detail", building_id=building.id))


@bp.route("/buildings/<int:building_id>")
@roles_required(STAFF)
def building_detail(building_id: int):
    """A building: details, officers, tax over the last 12 months, its enterprises and their open requests."""
    building = db.first_or_404(
        select(Building).options(selectinload(Building.officers), joinedload(Building.grid)).where(Building.id == building_id)
    )
    month = tax.latest_month()
    summary = None
    if month:
        row = db.session.execute(tax.building_tax(month).where(Enterprise.building_id == building.id)).first()
        ytd = row.ytd_tax if row else 0
        summary = {"month": month, "month_tax": row.month_tax if row else 0, "ytd": ytd,
                   "tier": tax.tier_for(ytd, month)}
    trend = list(reversed(db.session.execute(tax.monthly_totals(12, building_id=building.id)).all()))
    enterprises = db.paginate(
        select(Enterprise)
        .options(joinedload(Enterprise.officer))
        .where(Enterprise.building_id == building.id)
        .order_by(Enterprise.status == EnterpriseStatus.moved_out, Enterprise.name),
        page=page_arg(),
        per_page=current_app.config["PER_PAGE"],
    )
    # One query; the row past `shown` only tells the page that the queue has more.
    shown = 50
    open_requests = db.session.scalars(
        select(ServiceRequest)
        .join(ServiceRequest.enterprise)
        .options(contains_eager(ServiceRequest.enterprise))
        .where(Enterprise.building_id == building.id, ServiceRequest.state.in_(OPEN_STATES))
        .order_by(ServiceRequest.received_at.desc(), ServiceRequest.id.desc())
        .limit(shown + 1)
    ).all()
    return render_template(
        "registry/building_detail.html", building=building, summary=summary, trend=trend,
        trend_max=max((r.total_tax for r in trend), default=0), enterprises=enterprises,
        open_requests=open_requests[:shown], more_open_requests=len(open_requests) > shown,
    )


# --- enterprises ---------------------------------------------------------------------


@bp.route("/enterprises")
@roles_required(STAFF)
def enterprises():
    """Enterprises: filter (also by a recorded relocation intent), search over names and USCC, sort, page."""
    args = request.args
    q = args.get("q", "").strip()
    sort = args.get("sort", "name")
    stmt = (
        select(Enterprise)
        .outerjoin(Building, Building.id == Enterprise.building_id)
        .options(joinedload(Enterprise.building), joinedload(Enterprise.officer))
    )
    if q:
        like = _like(q)
        stmt = stmt.where(
            or_(Enterprise.name.ilike(like, escape="\\"), Enterprise.name_zh.ilike(like, escape="\\"),
                Enterprise.uscc.ilike(like, escape="\\"))
        )
    filters = {
        "building": id_arg("building"),
        "industry": args.get("industry", "") if args.get("industry", "") in INDUSTRIES else "",
        "hq_type": args.get("hq_type", "") if args.get("hq_type", "") in {t.value for t in HQType} else "",
        "key_tier": args.get("key_tier", "") if args.get("key_tier", "") in {t.value for t in KeyTier} else "",
        "status": args.get("status", "") if args.get("status", "") in {s.value for s in EnterpriseStatus} else "",
        "relocation": args.get("relocation") == "1",
    }
    if filters["building"]:
        stmt = stmt.where(Enterprise.building_id == filters["building"])
    if filters["industry"]:
        stmt = stmt.where(Enterprise.industry == filters["industry"])
    if filters["hq_type"]:
        stmt = stmt.where(Enterprise.hq_type == HQType(filters["hq_type"]))
    if filters["key_tier"]:
        stmt = stmt.where(Enterprise.key_tier == KeyTier(filters["key_tier"]))
    if filters["status"]:
        stmt = stmt.where(Enterprise.status == EnterpriseStatus(filters["status"]))
    if filters["relocation"]:
        stmt = stmt.where(Enterprise.relocation_intent_on.is_not(None))
    stmt, sort = _apply_sort(
        stmt,
        sort,
        {"name": Enterprise.name, "uscc": Enterprise.uscc, "industry": Enterprise.industry,
         "building": Building.name, "employees": Enterprise.employees, "moved_in": Enterprise.moved_in_on,
         "status": Enterprise.status, "key_tier": Enterprise.key_tier, "_tiebreak": Enterprise.id},
        "name",
    )
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config["PER_PAGE"], max_per_page=100)
    buildings = db.session.execute(select(Building.id, Building.name).order_by(Building.name)).all()
    return render_template(
        "registry/enterprises.html", page=page, q=q, sort=sort, filters=filters, buildings=buildings,
        industries=INDUSTRIES, hq_types=list(HQType), key_tiers=list(KeyTier), statuses=list(EnterpriseStatus),
    )


@bp.route("/enterprises/new", methods=["GET", "POST"])
@roles_required(EDITORS)
def enterprise_new():
    """Register an enterprise."""
    form = EnterpriseForm()
    if form.validate_on_submit():
        return _save_enterprise(None, form)
    return render_template("registry/enterprise_form.html", form=form, enterprise=None)


@bp.route("/enterprises/<int:enterprise_id>/edit", methods=["GET", "POST"])
@roles_required(EDITORS)
def enterprise_edit(enterprise_id: int):
    """Edit an enterprise's registry data."""
    enterprise = get_enterprise_or_404(enterprise_id)
    form = EnterpriseForm(obj=enterprise, enterprise=enterprise)
    if request.method == "GET":
        form.hq_type.data = enterprise.hq_type.value
        form.key_tier.data = enterprise.key_tier.value
        form.status.data = enterprise.status.value
    if form.validate_on_submit():
        return _save_enterprise(enterprise, form)
    return render_template("registry/enterprise_form.html", form=form, enterprise=enterprise)


def _save_enterprise(enterprise: Enterprise | None, form: EnterpriseForm):
    try:
        enterprise = save_enterprise(enterprise, form.data, uscc_override=form.uscc_flagged)
    except RegistryError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return render_template("registry/enterprise_form.html", form=form, enterprise=enterprise), 422
    db.session.commit()
    if form.uscc_flagged:
        flash(_("Saved %(name)s. Its USCC fails the check character and is flagged as an override.",
                name=enterprise.name), "warning")
    else:
        flash(_("Saved %(name)s.", name=enterprise.name), "success")
    return redirect(url_for("registry.enterprise_detail", enterprise_id=enterprise.id))


@bp.route("/enterprises/<int:enterprise_id>")
@roles_required(STAFF)
def enterprise_detail(enterprise_id: int):
    """An enterprise: profile, building, officer, its requests, its latest visits, tax of the last 12 months."""
    enterprise = get_enterprise_or_404(enterprise_id)
    months = list(reversed(db.session.execute(tax.monthly_totals(12, enterprise_id=enterprise.id)).all()))
    enterprise_requests = db.paginate(
        select(ServiceRequest)
        .where(ServiceRequest.enterprise_id == enterprise.id)
        .order_by(ServiceRequest.received_at.desc(), ServiceRequest.id.desc()),
        page=page_arg(),
        per_page=20,
    )
    latest_visits = 10
    visits = db.session.scalars(
        select(Visit)
        .options(selectinload(Visit.officers))
        .where(Visit.enterprise_id == enterprise.id)
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(latest_visits)
    ).all()
    visit_count = len(visits) if len(visits) < latest_visits else db.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.enterprise_id == enterprise.id)
    )
    return render_template(
        "registry/enterprise_detail.html", enterprise=enterprise, months=months,
        months_max=max((m.total_tax for m in months), default=0),
        months_total=sum((m.total_tax for m in months), 0), portal=portal_section(enterprise),
        enterprise_requests=enterprise_requests, visits=visits, visit_count=visit_count,
    )


@bp.route("/enterprises/<int:enterprise_id>/move-out", methods=["GET", "POST"])
@roles_required(EDITORS)
def enterprise_move_out(enterprise_id: int):
    """Mark an enterprise moved out, with the date and the reason."""
    enterprise = get_enterprise_or_404(enterprise_id)
    if enterprise.status is EnterpriseStatus.moved_out:
        flash(_("%(name)s is already marked moved out.", name=enterprise.name), "info")
        return redirect(url_for("registry.enterprise_detail", enterprise_id=enterprise.id))
    form = MoveOutForm(enterprise=enterprise)
    if form.validate_on_submit():
        move_out(enterprise, form.moved_out_on.data, form.reason.data)
        db.session.commit()
        flash(_("%(name)s is marked moved out; its history is kept.", name=enterprise.name), "success")
        return redirect(url_for("registry.enterprise_detail", enterprise_id=enterprise.id))
    return render_template("registry/move_out.html", form=form, enterprise=enterprise)
