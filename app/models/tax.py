"""Monthly tax records, one per enterprise per month, imported from the tax bureau."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import Money


class TaxRecord(db.Model):
    __tablename__ = "tax_records"
    __table_args__ = (
        CheckConstraint("length(month) = 7 AND substr(month, 5, 1) = '-'", name="month_format"),
        CheckConstraint("total_tax >= 0", name="total_tax_non_negative"),
        CheckConstraint("district_tax >= 0", name="district_tax_non_negative"),
        CheckConstraint("district_tax <= total_tax", name="district_within_total"),
        # Room on each page, so that a corrected amount is updated in place (migration 0009).
        {"postgresql_with": {"fillfactor": 90}},
    )

    # The key is the enterprise and the month (migration 0010); the month has its own index for the
    # reports, which read by month.
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), primary_key=True)
    #: 'YYYY-MM'; sorts and compares as text.
    month: Mapped[str] = mapped_column(String(7), primary_key=True, index=True)
    total_tax: Mapped[Decimal] = mapped_column(Money)
    district_tax: Mapped[Decimal] = mapped_column(Money)

    enterprise: Mapped["Enterprise"] = relationship(back_populates="tax_records")  # noqa: F821
