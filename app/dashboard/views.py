"""The leadership dashboard (leader, chief, admin): tiles and charts for a month, from SQL aggregates."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user

from app import clock
from app.dashboard import figures as fig
from app.extensions import db
from app.formatting import money
from app.models import MilestoneKind, TaxTier
from app.permissions import LEADERSHIP, roles_required
from app.reports.period import Period, PeriodError
from app.reports.tax import growth
from app.services.reports import check_period, current_month

bp = Blueprint("dashboard", __name__)

#: (unit, name, decimals), largest first.
SHORT_UNITS = {
    "en": ((Decimal(1_000_000_000), "bn", 2), (Decimal(1_000_000), "m", 1)),
    "zh": ((Decimal(100_000_000), "亿", 2), (Decimal(10_000), "万", 1)),
}

RATE_LABELS = {
    MilestoneKind.respond: _l("Responded on time"),
    MilestoneKind.on_site: _l("On site on time"),
    MilestoneKind.solve: _l("Solved or plan on time"),
}


@bp.app_template_global()
def can_use_dashboard() -> bool:
    """Whether the current user may open the dashboard (for the navigation and the home page)."""
    return current_user.is_authenticated and current_user.role in LEADERSHIP


def _units() -> tuple[tuple[Decimal, str, int], ...]:
    """Large amounts in the user's language: billions and millions, or 亿 and 万 in Chinese."""
    locale = get_locale()
    return SHORT_UNITS.get(locale.language if locale else "en", SHORT_UNITS["en"])


@bp.app_template_filter("money_short")
def money_short(value: Decimal | None) -> str:
    """RMB for a tile: ¥14.52 bn, ¥123.4 m (¥1.45 亿, ¥123.4 万 in Chinese), or ¥8,250 when smaller."""
    if value is None:
        return "—"
    value = Decimal(value)
    for unit, name, places in _units():
        if abs(value) >= unit:
            return f"{money(value / unit, places)} {name}"
    return money(value, 0)


@bp.route("/")
@roles_required(LEADERSHIP)
def index():
    """The dashboard for ?month=YYYY-MM; by default tax for the latest month with tax data, the rest for this month."""
    now = clock.now()
    chosen, error = None, None
    if request.args.get("month"):
        try:
            chosen = check_period(request.args["month"])
        except PeriodError as exc:
            error = str(exc)
    service_period = chosen or Period(current_month())
    head = fig.headline(service_period, now)  # the single figures, in one statement
    latest = head.latest_tax_month
    tax_period = chosen or (Period(latest) if latest else None)

    tax_figures = fig.tax_figures(tax_period) if tax_period else None
    trend, stored = fig.service_trend(service_period, now, head)
    if stored:
        db.session.commit()  # the figures of ended months, computed on this first view of them
    service = trend[-1]
    locale = get_locale()
    topics = fig.topics(service_period, now, chinese=locale is not None and locale.language == "zh")
    return render_template(
        "dashboard/index.html", now=now, chosen=chosen, error=error, current=current_month(),
        tax=tax_figures, stability=head.stability, service=service, trend=trend, topics=topics, live=head.live,
        kinds=list(MilestoneKind), rate_labels=RATE_LABELS, growth=growth,
        tiers=(TaxTier.monthly_100m, TaxTier.annual_100m),
        charts=_charts(tax_figures, service, trend, topics),
    )


def _charts(tax_figures: fig.TaxFigures | None, service: fig.ServiceFigures, trend: list[fig.ServiceFigures],
            topics: list[tuple[str, int]]) -> dict[str, dict]:
    """What each chart draws, for static/js/dashboard.js (read from a data attribute: no inline script)."""
    charts = {}
    units = [[float(unit), name] for unit, name, _ in _units()]  # the axes' large amounts, as the tiles
    locale = get_locale()
    chinese = locale is not None and locale.language == "zh"  # buildings by their Chinese names then
    if tax_figures is not None:
        m = tax_figures.period.month
        charts["tax_trend"] = {
            "type": "line", "format": "rmb", "units": units,
            "labels": [p.month for p in tax_figures.trend],
            "series": [
                {"label": _("12 months to %(month)s", month=m), "data": [float(p.total_tax) for p in tax_figures.trend],
                 "color": "brand"},
                {"label": _("Same month a year earlier"), "data": [float(p.last_year) for p in tax_figures.trend],
                 "color": "grey", "dashed": True},
            ],
        }
        charts["top_buildings"] = {
            "type": "hbar", "format": "rmb", "units": units,
            "labels": [(b.name_zh or b.name) if chinese else b.name for b in tax_figures.top],
            "links": [url_for("registry.building_detail", building_id=b.id) for b in tax_figures.top],
            "series": [{"label": _("Tax, year to date %(month)s", month=m), "data": [float(b.ytd_tax) for b in tax_figures.top],
                        "color": "brand"}],
        }
    charts["topics"] = {
        "type": "hbar", "format": "int",
        "labels": [name for name, _ in topics],
        "series": [{"label": _("Requests received in %(month)s", month=service.period), "data": [n for _, n in topics],
                    "color": "blue"}],
    }
    charts["on_time"] = {
        "type": "line", "format": "pct",
        "labels": [f.period.month for f in trend],
        "series": [
            {"label": str(RATE_LABELS[kind]), "data": [_fraction(f.rate(kind)) for f in trend], "color": color}
            for kind, color in zip(MilestoneKind, ("blue", "amber", "brand"), strict=True)
        ],
    }
    return charts


def _fraction(value) -> float | None:
    return None if value is None else round(float(value), 4)
