"""The dashboard's figures: the monthly reports' indicators, each from a few SQL aggregates.

Every figure is defined as in the reports (app/reports, DESIGN.md "Reports") and built from the
same pieces: the tiers from app.services.tax.tier_for, growth from app.reports.tax.growth, a
milestone's standing from app.reports.queries.outcome_as_of. Tests hold each figure equal to the
report's for the same month.

What keeps it fast at scale (720,000 tax rows, 50,000 requests):
- tax comes from ``building_tax_months`` (a few thousand rows), not from the tax records;
- the service figures of a month that has ended are computed once and kept (``service_months``):
  the 12-month on-time chart would otherwise classify some 60,000 milestones on every view. Only
  the current month is computed each time, "as of" now: a month that has not ended is counted up
  to now, not to its end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, func, literal, select, true

from app.extensions import db
from app.models import (
    OPEN_STATES, Building, BuildingTaxMonth, Enterprise, EventKind, Milestone, MilestoneKind, RequestEvent,
    ServiceMonth, ServiceRequest, TaxRecord, TaxTier, Topic,
)
from app.models.types import ZERO
from app.reports.period import Period, shift
from app.reports.queries import outcome_as_of
from app.reports.tax import growth
from app.requests.queries import breached_condition
from app.services import summaries
from app.services.tax import tier_for

TOP_BUILDINGS = 10
TREND_MONTHS = 12
#: A milestone's standing at the end of a month (app.reports.queries.outcome_as_of).
OUTCOMES = ("on_time", "missed", "pending")


def _rate(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


# --------------------------------------------------------------------------- tax


@dataclass
class BuildingTax:
    id: int
    name: str
    name_zh: str | None
    ytd_tax: Decimal
    tier: TaxTier


@dataclass
class TrendPoint:
    month: str
    total_tax: Decimal
    last_year: Decimal


@dataclass
class TaxFigures:
    """The tax report's summary for a month (Total tax (month), (YTD), YoY growth, tier counts).

    A month has data when it has a tax record (building_tax_months holds a row for exactly those)."""

    period: Period
    month_tax: Decimal = ZERO
    month_district: Decimal = ZERO
    ytd_tax: Decimal = ZERO
    ytd_district: Decimal = ZERO
    last_ytd_tax: Decimal = ZERO
    #: Tax records of the month itself (0: none imported for it).
    records: int = 0
    #: The last month of the year to date with tax data: growth compares January to it with the
    #: same months a year earlier (tax arrives late; the report does the same). None: no data.
    ytd_through: str | None = None
    tiers: dict[TaxTier, int] = field(default_factory=dict)
    top: list[BuildingTax] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def yoy(self) -> Decimal | None:
        return growth(self.ytd_tax, self.last_ytd_tax)


def tax_figures(period: Period) -> TaxFigures:
    """Month, year to date, same period last year, 12-month trend, tiers and top buildings: two statements."""
    t = BuildingTaxMonth
    first = shift(period.month, -(2 * TREND_MONTHS - 1))  # reaches back to last year's January
    months = {
        row.month: row
        for row in db.session.execute(
            select(t.month, func.sum(t.total_tax).label("total_tax"), func.sum(t.district_tax).label("district_tax"),
                   func.sum(t.records).label("records"))
            .where(t.month.between(first, period.month))
            .group_by(t.month)
        )
    }

    def total(start: str, end: str, column: str = "total_tax") -> Decimal:
        return sum((getattr(r, column) for m, r in months.items() if start <= m <= end), ZERO)

    m = period.month
    through = max((mon for mon in months if mon >= period.year_start), default=None)
    figures = TaxFigures(
        period=period,
        month_tax=total(m, m), month_district=total(m, m, "district_tax"),
        ytd_tax=total(period.year_start, m), ytd_district=total(period.year_start, m, "district_tax"),
        last_ytd_tax=total(period.last_year_start, shift(through, -12)) if through else ZERO,
        records=int(months[m].records) if m in months else 0, ytd_through=through,
        trend=[TrendPoint(mon, total(mon, mon), total(shift(mon, -12), shift(mon, -12)))
               for mon in period.trailing(TREND_MONTHS)],
    )
    ytd = (
        select(t.building_id, func.sum(t.total_tax).label("ytd_tax"))
        .where(t.month.between(period.year_start, m), t.building_id.is_not(None))
        .group_by(t.building_id)
        .subquery()
    )
    paying = [
        BuildingTax(row.id, row.name, row.name_zh, row.ytd_tax, tier_for(row.ytd_tax, m))
        for row in db.session.execute(
            select(Building.id, Building.name, Building.name_zh, ytd.c.ytd_tax)
            .join(ytd, ytd.c.building_id == Building.id)
            .where(ytd.c.ytd_tax > 0)
        )
    ]
    figures.tiers = {tier: sum(1 for b in paying if b.tier is tier)
                     for tier in (TaxTier.monthly_100m, TaxTier.annual_100m)}
    # As the report ranks them: by tax, then by name.
    figures.top = sorted(paying, key=lambda b: (-b.ytd_tax, b.name.lower()))[:TOP_BUILDINGS]
    return figures


# --------------------------------------------------------------------------- retention


@dataclass
class Stability:
    period: Period
    base: int  # active on 1 January
    stayed: int  # of those, still active and registered in the district at the end of the month

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.stayed, self.base)


def _stability_query(period: Period):
    """One row: base, stayed — the retention report's stability rate (app.reports.retention.classify)."""
    e, jan1, end = Enterprise, period.year_first_day, period.last_day
    # No date: in the district since before records go, and not moved out.
    in_base = ((e.moved_in_on.is_(None) | (e.moved_in_on < jan1))
               & (e.moved_out_on.is_(None) | (e.moved_out_on >= jan1)))
    active_end = ((e.moved_in_on.is_(None) | (e.moved_in_on <= end))
                  & (e.moved_out_on.is_(None) | (e.moved_out_on > end)))
    stayed = in_base & active_end & e.registered_in_district.is_(True)
    return select(func.count(case((in_base, 1))).label("base"), func.count(case((stayed, 1))).label("stayed"))


def stability(period: Period) -> Stability:
    """The stability rate at the end of the month (one count over the enterprises, index only)."""
    row = db.session.execute(_stability_query(period)).one()
    return Stability(period, base=row.base, stayed=row.stayed)


# --------------------------------------------------------------------------- service


@dataclass
class ServiceFigures:
    """The service report's rates for the requests received in a month, as of `as_of`."""

    period: Period
    as_of: datetime
    received: int = 0
    #: milestone kind -> {"on_time": n, "missed": n, "pending": n}
    outcomes: dict[MilestoneKind, dict[str, int]] = field(default_factory=dict)
    ratings: int = 0
    satisfied: int = 0

    def count(self, kind: MilestoneKind, outcome: str) -> int:
        return self.outcomes.get(kind, {}).get(outcome, 0)

    def rate(self, kind: MilestoneKind) -> Decimal | None:
        on_time = self.count(kind, "on_time")
        return _rate(on_time, on_time + self.count(kind, "missed"))

    @property
    def satisfaction(self) -> Decimal | None:
        return _rate(self.satisfied, self.ratings)

    def stored_values(self) -> dict[str, int]:
        values = {f"{k.value}_{o}": self.count(k, o) for k in MilestoneKind for o in OUTCOMES}
        return {**values, "received": self.received, "ratings": self.ratings, "satisfied": self.satisfied}

    @classmethod
    def from_stored(cls, period: Period, row: ServiceMonth) -> ServiceFigures:
        outcomes = {k: {o: getattr(row, f"{k.value}_{o}") for o in OUTCOMES} for k in MilestoneKind}
        return cls(period, period.as_of, row.received, outcomes, row.ratings, row.satisfied)


def as_of(period: Period, now: datetime) -> datetime:
    """The end of the month, or now while the month runs."""
    return min(period.as_of, now)


def _received_statement(months: int):
    """SELECT (count of requests received in [start0, end0)), … for `months` months: built once."""
    r = ServiceRequest
    return select(*[
        select(func.count()).select_from(r)
        .where(r.received_at >= bindparam(f"start{i}"), r.received_at < bindparam(f"end{i}"))
        .scalar_subquery().label(f"m{i}")
        for i in range(months)
    ])


_RECEIVED = _received_statement(TREND_MONTHS)


def _received(periods: list[Period], now: datetime) -> list[int]:
    """Requests received in each month up to its as-of (one statement, an index-only count each)."""
    params = {}
    for i, p in enumerate(periods):
        params[f"start{i}"], params[f"end{i}"] = p.start, as_of(p, now)
    return list(db.session.execute(_RECEIVED, params).one())


def _ratings_query(period: Period, when: datetime):
    """One row: ratings, satisfied — the ratings given in the month up to `when`, and those of 4 or 5."""
    ev = RequestEvent
    # The kind as a literal in the SQL, so that the partial index of rating events is used in any plan.
    rating = literal(EventKind.rating, ev.kind.type, literal_execute=True)
    return (
        select(func.count().label("ratings"), func.count(case((ev.rating >= 4, 1))).label("satisfied"))
        .where(ev.kind == rating, ev.rating.is_not(None), ev.at >= period.start, ev.at < when)
    )


def _compute(period: Period, when: datetime, received: int, ratings: tuple[int, int] | None = None) -> ServiceFigures:
    """One month's on-time counts and ratings, as the service report counts them (one or two statements)."""
    r, m = ServiceRequest, Milestone
    classified = (
        select(m.kind.label("kind"), outcome_as_of(m, when).label("outcome"))
        .join(r, r.id == m.request_id)
        .where(r.received_at >= period.start, r.received_at < when, m.started_at < when)
        .subquery()
    )
    figures = ServiceFigures(period, when, received)
    for kind, outcome, n in db.session.execute(
        select(classified.c.kind, classified.c.outcome, func.count()).group_by(classified.c.kind, classified.c.outcome)
    ):
        figures.outcomes.setdefault(MilestoneKind(kind), {})[outcome] = n
    figures.ratings, figures.satisfied = ratings or tuple(db.session.execute(_ratings_query(period, when)).one())
    return figures


def trend_periods(period: Period) -> list[Period]:
    return [Period(m) for m in period.trailing(TREND_MONTHS)]


def service_trend(period: Period, now: datetime, head: Headline | None = None) -> tuple[list[ServiceFigures], bool]:
    """The service figures of the 12 months ending with `period` (oldest first), and whether any
    ended month's figures were stored (the caller commits).

    An ended month's figures are read from service_months when its stored number of requests still
    matches the requests table; otherwise (first view, or history loaded since) computed and stored.
    `head` (headline() for the same month and now) brings the counts of requests and the running
    month's ratings, read with the other single figures.
    """
    periods = trend_periods(period)
    received = head.received if head is not None else _received(periods, now)
    kept = {row.month: row for row in db.session.scalars(
        select(ServiceMonth).where(ServiceMonth.month.in_([p.month for p in periods])))}
    out, stored = [], False
    for p, n in zip(periods, received, strict=True):
        row = kept.get(p.month)
        ended = p.as_of <= now
        if ended and row is not None and row.received == n:
            out.append(ServiceFigures.from_stored(p, row))
            continue
        running = head.ratings if head is not None and p == periods[-1] else None
        figures = _compute(p, as_of(p, now), n, running)
        if ended:
            summaries.store_service_month(p.month, figures.stored_values(), now)
            stored = True
        out.append(figures)
    return out, stored


def topics(period: Period, now: datetime, chinese: bool = False) -> list[tuple[str, int]]:
    """Requests received in the month by topic, most first (as the report's breakdown); by the
    topics' Chinese names, where they have one, for a Chinese reader."""
    r = ServiceRequest
    rows = db.session.execute(
        select(Topic.name, Topic.name_zh, func.count())
        .join(r, r.topic_id == Topic.id)
        .where(r.received_at >= period.start, r.received_at < as_of(period, now))
        .group_by(Topic.id, Topic.name, Topic.name_zh)
    ).all()
    return sorted((((name_zh or name) if chinese else name, n) for name, name_zh, n in rows),
                  key=lambda t: (-t[1], t[0]))


@dataclass
class OpenNow:
    open: int
    breached: int


def _open_query(now: datetime):
    """One row: open, breached — open requests now, and those with a breached milestone (the request
    queue's breached filter).

    One pass over the open requests, the condition tested for each (an index lookup of its current
    milestones): as a WHERE clause PostgreSQL would hash-join every breached milestone ever instead.
    """
    return (
        select(func.count().label("open"), func.count(case((breached_condition(now), 1))).label("breached"))
        .where(ServiceRequest.state.in_(OPEN_STATES))
    )


def open_now(now: datetime) -> OpenNow:
    row = db.session.execute(_open_query(now)).one()
    return OpenNow(open=row.open, breached=row.breached)


# --------------------------------------------------------------------------- one statement for the single figures


@dataclass
class Headline:
    """The figures that are one number each, read in one statement (each round trip costs, the more
    so on a busy machine)."""

    latest_tax_month: str | None
    stability: Stability
    live: OpenNow
    received: list[int]  # requests received in each month of the trend
    ratings: tuple[int, int]  # (ratings, satisfied) given in the trend's last month up to its as-of


def headline(period: Period, now: datetime) -> Headline:
    """The latest month with tax data, the stability rate, the open requests now, the requests
    received in each of the 12 months to `period` and the ratings of `period`: one statement."""
    periods = trend_periods(period)
    params = {}
    for i, p in enumerate(periods):
        params[f"start{i}"], params[f"end{i}"] = p.start, as_of(p, now)
    parts = [
        # app.services.tax.latest_month(), here as part of the one statement
        select(func.max(TaxRecord.month).label("latest")).subquery("latest"),
        _stability_query(period).subquery("stability"),
        _open_query(now).subquery("live"),
        _RECEIVED.subquery("received"),
        _ratings_query(periods[-1], as_of(periods[-1], now)).subquery("ratings"),
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())  # one row each: no cartesian-product warning, one row out
    row = db.session.execute(select(*[c for part in parts for c in part.c]).select_from(joined), params).one()
    return Headline(
        latest_tax_month=row.latest,
        stability=Stability(period, base=row.base, stayed=row.stayed),
        live=OpenNow(open=row.open, breached=row.breached),
        received=[row._mapping[f"m{i}"] for i in range(len(periods))],
        ratings=(row.ratings, row.satisfied),
    )
