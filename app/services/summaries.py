"""Keep the dashboard's derived tables (app.models.summaries) equal to what they are derived from.

``building_tax_months`` is tax per month and per building, a building's tax being the sum over the
enterprises located in it now (as in the reports). So it changes when tax records are written
(refresh those months) and when an enterprise moves to another building (refresh both buildings,
all months). Every refresh recomputes whole months or whole buildings from tax_records in SQL —
never adds or subtracts differences — so running one again changes nothing.

Refreshes run one at a time (a table lock on PostgreSQL; SQLite writes one transaction at a
time anyway): each recomputes after the one before it has committed, so two imports of the same
month at once still leave the sums of both. Services flush; the caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, text

from app.extensions import db
from app.models import BuildingTaxMonth, Enterprise, ServiceMonth, TaxRecord

#: Months or buildings per statement (SQLite's limit on bound parameters).
CHUNK = 500

_COLUMNS = ["month", "building_id", "total_tax", "district_tax", "records"]


def _sums():
    """Tax per month and building (the enterprises' current building; None for those without one)."""
    return (
        select(TaxRecord.month, Enterprise.building_id, func.sum(TaxRecord.total_tax), func.sum(TaxRecord.district_tax),
               func.count())
        .join(Enterprise, Enterprise.id == TaxRecord.enterprise_id)
        .group_by(TaxRecord.month, Enterprise.building_id)
    )


def lock() -> None:
    """One refresh at a time; it then sees every refresh committed before it (READ COMMITTED)."""
    db.session.flush()  # pending ORM changes (an enterprise's new building) must be in what is summed
    if db.session.get_bind().dialect.name == "postgresql":
        # Blocks other refreshes, not readers; held until the transaction ends.
        db.session.execute(text("LOCK TABLE building_tax_months IN SHARE ROW EXCLUSIVE MODE"))


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def refresh_tax_months(months: Iterable[str]) -> None:
    """Recompute the building tax of these months ('YYYY-MM') from the tax records: after tax is written."""
    months = sorted(set(months))
    if not months:
        return
    lock()
    # Summed by a query, then inserted: PostgreSQL may spread a query over several cores, never an INSERT ... SELECT.
    _replace_tax_months(months, tax_month_sums(months))


def tax_month_sums(months: Iterable[str]) -> list[tuple]:
    """These months' building tax as store_tax_months takes it, summed by a query of its own (which,
    unlike INSERT ... SELECT, PostgreSQL may run on several cores)."""
    rows = []
    for part in _chunks(sorted(set(months))):
        rows += db.session.execute(_sums().where(TaxRecord.month.in_(part))).all()
    return rows


def store_tax_months(months: Iterable[str], rows: Iterable[tuple]) -> None:
    """Replace these months' building tax with rows summed by the caller — (month, building_id,
    total_tax, district_tax, records) — who must hold tax_records and the enterprise register so that
    nothing else can have changed them, and have written every record of these months."""
    lock()
    _replace_tax_months(months, rows)


def _replace_tax_months(months: Iterable[str], rows: Iterable[tuple]) -> None:
    table = BuildingTaxMonth.__table__
    for part in _chunks(sorted(set(months))):
        db.session.execute(delete(table).where(table.c.month.in_(part)))
    rows = [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
    for part in _chunks(rows):
        db.session.execute(insert(table), part)


def refresh_tax_buildings(building_ids: Iterable[int | None]) -> None:
    """Recompute every month of these buildings (None: enterprises without a building): after
    enterprises moved between them."""
    ids = set(building_ids)
    if not ids:
        return
    if len(ids) > CHUNK:  # an import that moved enterprises of most buildings
        rebuild_tax_summary()
        return
    lock()
    table = BuildingTaxMonth.__table__
    located = sorted(i for i in ids if i is not None)

    def among(column):
        return or_(column.in_(located), column.is_(None)) if None in ids else column.in_(located)

    db.session.execute(delete(table).where(among(table.c.building_id)))
    db.session.execute(insert(table).from_select(_COLUMNS, _sums().where(among(Enterprise.building_id))))


def rebuild_tax_summary() -> int:
    """Recompute the whole table from the tax records; returns how many rows it has now."""
    lock()
    table = BuildingTaxMonth.__table__
    db.session.execute(delete(table))
    db.session.execute(insert(table).from_select(_COLUMNS, _sums()))
    return db.session.scalar(select(func.count()).select_from(table))


def forget_service_months() -> None:
    """Drop the stored figures of ended months (after loading history with past times, such as the
    demo data): the dashboard computes them again when it next shows them."""
    db.session.execute(delete(ServiceMonth.__table__))


def store_service_month(month: str, values: dict[str, int], computed_at: datetime) -> None:
    """Keep the service figures of an ended month (replacing any kept before), in a savepoint: when
    another request stored the same month meanwhile, its row (the same figures) stays."""
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session.begin_nested():
            db.session.execute(delete(ServiceMonth.__table__).where(ServiceMonth.month == month))
            db.session.execute(insert(ServiceMonth.__table__).values(month=month, computed_at=computed_at, **values))
    except IntegrityError:
        pass
