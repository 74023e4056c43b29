"""Tax aggregates shared by the registry pages and (later) the reports.

A building's tax is the sum over the enterprises located in it. Its tier is derived from
that sum over the calendar year to date, never typed in:
  monthly-100m  average monthly tax >= RMB 100 m over the year to date
  annual-100m   tax >= RMB 100 m over the calendar year to date
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, case, func, literal, select

from app.extensions import db
from app.models import Enterprise, TaxRecord, TaxTier

HUNDRED_MILLION = Decimal("100000000")


def latest_month() -> str | None:
    """The newest month with any tax record ('YYYY-MM'); tax arrives a month or more late."""
    return db.session.scalar(select(func.max(TaxRecord.month)))


def months_elapsed(month: str) -> int:
    """How many months of its calendar year `month` closes (2026-03 -> 3)."""
    return int(month[5:7])


def year_start(month: str) -> str:
    return f"{month[:4]}-01"


def tier_for(ytd_tax: Decimal, month: str) -> TaxTier:
    """The tier of a building with `ytd_tax` over January..`month` (pure; mirrors tier_case)."""
    if ytd_tax >= HUNDRED_MILLION * months_elapsed(month):
        return TaxTier.monthly_100m
    if ytd_tax >= HUNDRED_MILLION:
        return TaxTier.annual_100m
    return TaxTier.none


def tier_case(ytd_column, month: str):
    """The same rule as tier_for, as a SQL expression over a YTD column."""
    return case(
        (ytd_column >= HUNDRED_MILLION * months_elapsed(month), literal(TaxTier.monthly_100m.value)),
        (ytd_column >= HUNDRED_MILLION, literal(TaxTier.annual_100m.value)),
        else_=literal(TaxTier.none.value),
    )


def building_tax(month: str) -> Select:
    """Per building: tax in `month`, year-to-date tax and district-retained YTD tax (one row per building)."""
    return (
        select(
            Enterprise.building_id.label("building_id"),
            func.sum(case((TaxRecord.month == month, TaxRecord.total_tax), else_=0)).label("month_tax"),
            func.sum(TaxRecord.total_tax).label("ytd_tax"),
            func.sum(TaxRecord.district_tax).label("ytd_district_tax"),
        )
        .join(Enterprise, Enterprise.id == TaxRecord.enterprise_id)
        .where(TaxRecord.month.between(year_start(month), month), Enterprise.building_id.is_not(None))
        .group_by(Enterprise.building_id)
    )


def monthly_totals(months: int = 12, **where) -> Select:
    """Total and district tax per month for the last `months` months with data, newest first."""
    stmt = select(
        TaxRecord.month,
        func.sum(TaxRecord.total_tax).label("total_tax"),
        func.sum(TaxRecord.district_tax).label("district_tax"),
    )
    if "enterprise_id" in where:
        stmt = stmt.where(TaxRecord.enterprise_id == where["enterprise_id"])
    if "building_id" in where:
        stmt = stmt.join(Enterprise, Enterprise.id == TaxRecord.enterprise_id).where(
            Enterprise.building_id == where["building_id"]
        )
    return stmt.group_by(TaxRecord.month).order_by(TaxRecord.month.desc()).limit(months)
