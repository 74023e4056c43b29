"""The SQL behind the reports: every aggregate is computed by the database, one statement each.

Each function returns a pandas DataFrame (money as exact ``Decimal``) for the report modules to
shape. Figures are "as of the end of the month" (``Period.as_of``): a milestone met after the
month ended counts as unmet then, and a request's state is the one its events gave it by then.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from app import clock
from app.extensions import db
from app.models import (
    OPEN_STATES, Building, Enterprise, Grid, Milestone, RequestEvent, ServiceRequest, TaxRecord, Topic, Visit,
)
from app.models.types import ZERO
from app.models.workflow import EventKind
from app.reports.period import Period, shift
from app.services.tax import tier_case


def _frame(stmt) -> pd.DataFrame:
    result = db.session.execute(stmt)
    # Plain tuples: pandas probes each Row object's attributes otherwise (a third of the time).
    return pd.DataFrame(list(map(tuple, result)), columns=list(result.keys()))


def _sum_if(condition, column):
    """SUM(CASE WHEN condition THEN column ELSE 0 END), keeping the column's exact type."""
    return func.coalesce(func.sum(case((condition, column), else_=literal(0, column.type))), literal(0, column.type))


# --------------------------------------------------------------------------- tax


@dataclass(frozen=True)
class TaxMonths:
    """Which months around the period have any tax record: tax arrives a month or more late, so
    the report for last month may have none yet. Comparisons use months that have data."""

    period: Period
    with_data: tuple[str, ...]  # ascending, at most two years back, none after the period

    @property
    def ytd_through(self) -> str | None:
        """The latest month of the period's year (up to the period) that has data."""
        months = [m for m in self.with_data if m >= self.period.year_start]
        return months[-1] if months else None

    @property
    def recent(self) -> list[str]:
        """The last three months with data within the twelve months to the period, newest first."""
        first = shift(self.period.month, -11)
        return [m for m in reversed(self.with_data) if m >= first][:3]

    @property
    def has_month(self) -> bool:
        return self.period.month in self.with_data


def tax_months(period: Period) -> TaxMonths:
    stmt = (
        select(TaxRecord.month).distinct()
        .where(TaxRecord.month.between(shift(period.month, -23), period.month))
        .order_by(TaxRecord.month)
    )
    return TaxMonths(period, tuple(db.session.scalars(stmt)))


def enterprise_tax(period: Period, months: TaxMonths | None = None) -> pd.DataFrame:
    """Every enterprise with its tax for the month, the year to date and the same months last year
    (January to the last month with data this year), and for each of the last three months with
    data, that month and the same month a year earlier (one scan of the tax table)."""
    months = months or tax_months(period)
    t = TaxRecord
    m, ys, lys = period.month, period.year_start, period.last_year_start
    through = months.ytd_through
    last_ytd = t.month.between(lys, shift(through, -12)) if through else literal(False)
    recent = months.recent
    first = min([lys, *(shift(mon, -12) for mon in recent)])
    columns = [
        _sum_if(t.month == m, t.total_tax).label("month_tax"),
        _sum_if(t.month == m, t.district_tax).label("month_district"),
        _sum_if(t.month.between(ys, m), t.total_tax).label("ytd_tax"),
        _sum_if(t.month.between(ys, m), t.district_tax).label("ytd_district"),
        _sum_if(last_ytd, t.total_tax).label("last_ytd_tax"),
        _sum_if(last_ytd, t.district_tax).label("last_ytd_district"),
        *[_sum_if(t.month == mon, t.total_tax).label(f"tax_m{k}") for k, mon in enumerate(recent)],
        *[_sum_if(t.month == shift(mon, -12), t.total_tax).label(f"tax_ly{k}") for k, mon in enumerate(recent)],
    ]
    agg = select(t.enterprise_id, *columns).where(t.month.between(first, m)).group_by(t.enterprise_id).subquery()
    e = Enterprise
    stmt = (
        select(
            e.id, e.name, e.name_zh, e.uscc, e.industry, e.hq_type, e.key_tier, e.building_id, e.unit,
            e.registered_in_district, e.moved_in_on, e.moved_out_on, e.move_out_reason,
            e.relocation_intent_on, e.relocation_intent_note,
            Building.name.label("building"),
            *[agg.c[c.key] for c in columns],
        )
        .outerjoin(agg, agg.c.enterprise_id == e.id)
        .outerjoin(Building, Building.id == e.building_id)
        .order_by(e.id)
    )
    frame = _frame(stmt)
    for column in [c.key for c in columns]:  # enterprises without a record in the window: zero, not missing
        frame[column] = frame[column].map(lambda v: v if v is not None else ZERO)
    for column in ("hq_type", "key_tier"):
        frame[column] = frame[column].map(lambda v: getattr(v, "value", v))
    return frame


def buildings(period: Period) -> pd.DataFrame:
    """Every building with its grid and office area, and its derived tier for the year to date."""
    ytd = (
        select(Enterprise.building_id, func.sum(TaxRecord.total_tax).label("ytd"))
        .join(Enterprise, Enterprise.id == TaxRecord.enterprise_id)
        .where(TaxRecord.month.between(period.year_start, period.month), Enterprise.building_id.is_not(None))
        .group_by(Enterprise.building_id)
        .subquery()
    )
    stmt = (
        select(
            Building.id, Building.name, Building.name_zh, Grid.name.label("grid"), Building.office_area,
            tier_case(func.coalesce(ytd.c.ytd, 0), period.month).label("tier"),
        )
        .join(Grid, Grid.id == Building.grid_id)
        .outerjoin(ytd, ytd.c.building_id == Building.id)
        .order_by(Building.name)
    )
    return _frame(stmt)


def monthly_tax(period: Period, months: int = 24) -> pd.DataFrame:
    """Total and district tax per month for the `months` months ending with the period's month."""
    first = shift(period.month, -(months - 1))
    stmt = (
        select(
            TaxRecord.month,
            func.sum(TaxRecord.total_tax).label("total_tax"),
            func.sum(TaxRecord.district_tax).label("district_tax"),
            func.count().label("records"),
        )
        .where(TaxRecord.month.between(first, period.month))
        .group_by(TaxRecord.month)
        .order_by(TaxRecord.month)
    )
    return _frame(stmt)


# --------------------------------------------------------------------------- requests


def cutoff(period: Period) -> datetime:
    """The instant a report's figures are taken at: the end of the month, or now while the month
    is still running (a milestone due later today is not yet missed)."""
    return min(period.as_of, clock.now())


def state_as_of(request_id_column, as_of):
    """A request's state at `as_of`: the target of its last state-changing event before then."""
    ev = aliased(RequestEvent)
    return (
        select(ev.to_state)
        .where(ev.request_id == request_id_column, ev.to_state.is_not(None), ev.at < as_of)
        .order_by(ev.at.desc(), ev.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def missed_as_of(milestone, as_of):
    """Missed by the end of the period: due before then, and met late or not met at all."""
    return and_(milestone.due_at < as_of, or_(milestone.met_at.is_(None), milestone.met_at > milestone.due_at))


def outcome_as_of(milestone, as_of):
    """'missed', 'on_time' or 'pending' (not yet due at `as_of`): a milestone's standing at the end of the period."""
    return case(
        (missed_as_of(milestone, as_of), literal("missed")),
        (and_(milestone.met_at.is_not(None), milestone.met_at <= milestone.due_at, milestone.met_at < as_of),
         literal("on_time")),
        else_=literal("pending"),
    )


def overdue_as_of(milestone, as_of):
    """Unmet at the end of the period although due before it."""
    return and_(milestone.due_at < as_of, or_(milestone.met_at.is_(None), milestone.met_at >= as_of))


_OPEN = [s.value for s in OPEN_STATES]


def open_breached_by_enterprise(period: Period) -> pd.DataFrame:
    """Per enterprise: requests open at the end of the period that have a missed milestone."""
    r, as_of = ServiceRequest, cutoff(period)
    m = aliased(Milestone)
    stmt = (
        select(
            r.enterprise_id,
            func.count().label("open_breached"),
            func.min(r.reference).label("first_reference"),
        )
        .where(
            r.received_at < as_of,
            exists().where(m.request_id == r.id, missed_as_of(m, as_of)),
            state_as_of(r.id, as_of).in_(_OPEN),
        )
        .group_by(r.enterprise_id)
    )
    return _frame(stmt)


def last_visits(period: Period) -> pd.DataFrame:
    """Per enterprise: the date of its last visit up to the end of the period."""
    stmt = (
        select(Visit.enterprise_id, func.max(Visit.visited_on).label("last_visit"))
        .where(Visit.visited_on <= period.last_day)
        .group_by(Visit.enterprise_id)
    )
    return _frame(stmt)


def received_requests(period: Period) -> pd.DataFrame:
    """The requests received in the month, with their breakdown columns and their state at its end."""
    r = ServiceRequest
    stmt = (
        select(
            r.id, r.reference, r.category, r.channel, r.title,
            Topic.name.label("topic"),
            Enterprise.name.label("enterprise"),
            func.coalesce(Building.name, "(no building)").label("building"),
            r.received_at,
            state_as_of(r.id, cutoff(period)).label("state"),
        )
        .join(Topic, Topic.id == r.topic_id)
        .join(Enterprise, Enterprise.id == r.enterprise_id)
        .outerjoin(Building, Building.id == Enterprise.building_id)
        .where(r.received_at >= period.start, r.received_at < cutoff(period))
        .order_by(r.received_at, r.id)
    )
    frame = _frame(stmt)
    for column in ("category", "channel", "state"):
        frame[column] = frame[column].map(lambda v: getattr(v, "value", v))
    return frame


def milestones_of_received(period: Period) -> pd.DataFrame:
    """Every milestone of the requests received in the month, classified as of its end:
    on_time, missed, or pending (not yet due then)."""
    r, m, as_of = ServiceRequest, Milestone, cutoff(period)
    outcome = outcome_as_of(m, as_of)
    stmt = (
        select(
            m.request_id, r.reference, Enterprise.name.label("enterprise"), Topic.name.label("topic"),
            m.kind, m.cycle, m.due_at,
            case((m.met_at < as_of, m.met_at), else_=None).label("met_at"),
            outcome.label("outcome"),
            overdue_as_of(m, as_of).label("overdue"),
        )
        .join(r, r.id == m.request_id)
        .join(Enterprise, Enterprise.id == r.enterprise_id)
        .join(Topic, Topic.id == r.topic_id)
        .where(r.received_at >= period.start, r.received_at < as_of, m.started_at < as_of)
        .order_by(r.received_at, r.id, m.cycle, m.due_at)
    )
    frame = _frame(stmt)
    frame["kind"] = frame["kind"].map(lambda v: getattr(v, "value", v))
    frame["overdue"] = frame["overdue"].astype(bool) if len(frame) else frame["overdue"]
    return frame


def breached_milestones(period: Period) -> pd.DataFrame:
    """The milestones due in the month that were missed as of its end (met late or still unmet),
    whatever month their request was received in: every breach is reported in the month it fell due."""
    r, m, as_of = ServiceRequest, Milestone, cutoff(period)
    stmt = (
        select(
            m.request_id, r.reference, Enterprise.name.label("enterprise"), Topic.name.label("topic"),
            r.received_at, m.kind, m.cycle, m.due_at,
            case((m.met_at < as_of, m.met_at), else_=None).label("met_at"),
        )
        .join(r, r.id == m.request_id)
        .join(Enterprise, Enterprise.id == r.enterprise_id)
        .join(Topic, Topic.id == r.topic_id)
        .where(m.due_at >= period.start, missed_as_of(m, as_of))
        .order_by(m.due_at, r.id, m.cycle)
    )
    frame = _frame(stmt)
    frame["kind"] = frame["kind"].map(lambda v: getattr(v, "value", v))
    return frame


def open_and_overdue(period: Period) -> pd.DataFrame:
    """Requests open at the end of the month (received in it or before) with a milestone unmet past
    its due time then: one row per overdue milestone. Only requests with such a milestone have their
    state at the end of the month looked up."""
    r, m, as_of = ServiceRequest, Milestone, cutoff(period)
    state = state_as_of(r.id, as_of)
    stmt = (
        select(
            r.id.label("request_id"), r.reference, Enterprise.name.label("enterprise"), Topic.name.label("topic"),
            r.title, r.received_at, state.label("state"), m.kind, m.due_at,
        )
        .join(r, r.id == m.request_id)
        .join(Enterprise, Enterprise.id == r.enterprise_id)
        .join(Topic, Topic.id == r.topic_id)
        .where(r.received_at < as_of, overdue_as_of(m, as_of), state.in_(_OPEN))
        .order_by(r.received_at, r.id, m.due_at)
    )
    frame = _frame(stmt)
    for column in ("kind", "state"):
        frame[column] = frame[column].map(lambda v: getattr(v, "value", v))
    return frame


def ratings(period: Period) -> pd.DataFrame:
    """The ratings given in the month: how many of each score, 1 to 5."""
    stmt = (
        select(RequestEvent.rating, func.count().label("count"))
        .where(
            RequestEvent.kind == EventKind.rating, RequestEvent.rating.is_not(None),
            RequestEvent.at >= period.start, RequestEvent.at < cutoff(period),
        )
        .group_by(RequestEvent.rating)
        .order_by(RequestEvent.rating)
    )
    return _frame(stmt)

