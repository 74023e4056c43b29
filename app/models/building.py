"""Grids and buildings, with their assigned liaison officers."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import Area, UTCDateTime, utcnow

building_officers = Table(
    "building_officers",
    db.metadata,
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TaxTier(str, enum.Enum):
    """Derived from tax records, never typed in (see app.services.tiers)."""

    monthly_100m = "monthly-100m"
    annual_100m = "annual-100m"
    none = "none"

    @property
    def label(self) -> str:
        return str(TIER_LABELS[self])


#: TaxTier's labels (lazy; .label is the one in the current locale).
TIER_LABELS = {
    TaxTier.monthly_100m: _l("Monthly ¥100m (月亿楼)"),
    TaxTier.annual_100m: _l("Annual ¥100m (亿元楼)"),
    TaxTier.none: "—",
}


class Grid(db.Model):
    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(80))

    buildings: Mapped[list["Building"]] = relationship(back_populates="grid")

    def __str__(self) -> str:
        return f"{self.name} {self.name_zh or ''}".strip()


class Building(db.Model):
    __tablename__ = "buildings"
    __table_args__ = (
        CheckConstraint("gross_floor_area IS NULL OR gross_floor_area >= 0", name="gross_area_non_negative"),
        CheckConstraint("office_area IS NULL OR office_area >= 0", name="office_area_non_negative"),
        CheckConstraint("floors IS NULL OR floors >= 0", name="floors_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="RESTRICT"), index=True)
    gross_floor_area: Mapped[Decimal | None] = mapped_column(Area)
    office_area: Mapped[Decimal | None] = mapped_column(Area)
    floors: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    grid: Mapped[Grid] = relationship(back_populates="buildings")
    officers: Mapped[list["User"]] = relationship(  # noqa: F821
        secondary=building_officers, order_by="User.name"
    )

    def __str__(self) -> str:
        return f"{self.name} {self.name_zh or ''}".strip()
