"""Derived tables the dashboard reads instead of scanning the big ones. Never the source of truth.

- ``building_tax_months``: tax per building per month (the row without a building holds the tax of
  enterprises that have none), kept up to date by app.services.summaries whenever tax records are
  imported or an enterprise moves to another building; ``flask rebuild-summaries`` rebuilds it.
- ``service_months``: the service (51530) figures of a month that has ended, as of its end. They
  cannot change afterwards (every time they read is written as the time of the action), so they are
  computed once, the first time the dashboard shows that month, and kept.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import Money, UTCDateTime


class BuildingTaxMonth(db.Model):
    """The tax of the enterprises located in a building (now), for one month."""

    __tablename__ = "building_tax_months"
    __table_args__ = (
        # One row per (month, building); the refresh deletes and re-inserts whole months or buildings
        # under a table lock, which also keeps the single no-building row per month unique.
        Index("ix_building_tax_months_month_building", "month", "building_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    #: None: enterprises without a building (their tax still counts in the district's totals).
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    total_tax: Mapped[Decimal] = mapped_column(Money)
    district_tax: Mapped[Decimal] = mapped_column(Money)
    #: How many tax records the sums cover (0 never stored: a month without records has no rows).
    records: Mapped[int]


class ServiceMonth(db.Model):
    """The 51530 and satisfaction counts of a month that has ended, as of its end (see app.reports.service)."""

    __tablename__ = "service_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    #: Requests received in the month; also checked against the requests table on every read, so a
    #: request stored later with a received time in the month (a bulk load) makes it be computed again.
    received: Mapped[int]
    respond_on_time: Mapped[int]
    respond_missed: Mapped[int]
    respond_pending: Mapped[int]
    on_site_on_time: Mapped[int]
    on_site_missed: Mapped[int]
    on_site_pending: Mapped[int]
    solve_on_time: Mapped[int]
    solve_missed: Mapped[int]
    solve_pending: Mapped[int]
    #: Ratings given in the month, and those of 4 or 5.
    ratings: Mapped[int]
    satisfied: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
