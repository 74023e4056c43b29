"""Enterprises: the registry of companies the sub-district serves."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import enum_column

#: GB/T 4754-2017 sections: code → name (lazy: translated when shown; the codes are what is stored).
INDUSTRIES = {
    "A": _l("Agriculture, forestry, animal husbandry and fishery"),
    "B": _l("Mining"),
    "C": _l("Manufacturing"),
    "D": _l("Electricity, heat, gas and water"),
    "E": _l("Construction"),
    "F": _l("Wholesale and retail trade"),
    "G": _l("Transport, storage and post"),
    "H": _l("Accommodation and catering"),
    "I": _l("Information transmission, software and IT services"),
    "J": _l("Finance"),
    "K": _l("Real estate"),
    "L": _l("Leasing and business services"),
    "M": _l("Scientific research and technical services"),
    "N": _l("Water conservancy, environment and public facilities"),
    "O": _l("Resident services, repair and other services"),
    "P": _l("Education"),
    "Q": _l("Health and social work"),
    "R": _l("Culture, sports and entertainment"),
    "S": _l("Public administration and social organisations"),
    "T": _l("International organisations"),
}


class HQType(str, enum.Enum):
    none = "none"
    regional_hq = "regional-hq"
    hq_institution = "hq-institution"

    @property
    def label(self) -> str:
        return str(HQ_LABELS[self])


class KeyTier(str, enum.Enum):
    district_key = "district-key"
    subdistrict_key = "subdistrict-key"
    normal = "normal"

    @property
    def label(self) -> str:
        return str(KEY_TIER_LABELS[self])


class EnterpriseStatus(str, enum.Enum):
    active = "active"
    at_risk = "at-risk"
    moved_out = "moved-out"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


#: The labels of the three enums above (lazy; each enum's .label is the one in the current locale).
HQ_LABELS = {
    HQType.none: "—",
    HQType.regional_hq: _l("Regional HQ (地区总部)"),
    HQType.hq_institution: _l("HQ institution (总部型机构)"),
}
KEY_TIER_LABELS = {
    KeyTier.district_key: _l("District key"),
    KeyTier.subdistrict_key: _l("Sub-district key"),
    KeyTier.normal: _l("Normal"),
}
STATUS_LABELS = {
    EnterpriseStatus.active: _l("Active"),
    EnterpriseStatus.at_risk: _l("At risk"),
    EnterpriseStatus.moved_out: _l("Moved out"),
}


class Enterprise(db.Model):
    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("length(uscc) = 18", name="uscc_length"),
        CheckConstraint("industry IN (" + ",".join(f"'{c}'" for c in INDUSTRIES) + ")", name="industry_section"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees_non_negative"),
        CheckConstraint(
            "(status = 'moved-out') = (moved_out_on IS NOT NULL)", name="moved_out_has_date"
        ),
        CheckConstraint("moved_out_on IS NULL OR move_out_reason IS NOT NULL", name="moved_out_has_reason"),
        Index("ix_enterprises_name", "name"),
        # The stability rate counts every enterprise by these three: an index-only scan instead of
        # reading every row (the table is wide: addresses, contacts).
        Index("ix_enterprises_presence", "moved_in_on", "moved_out_on", "registered_in_district"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    #: The code failed the GB 32100 check character and was accepted by explicit override.
    uscc_override: Mapped[bool] = mapped_column(default=False)
    industry: Mapped[str] = mapped_column(String(1), index=True)
    hq_type: Mapped[HQType] = mapped_column(enum_column(HQType, "hq_type"), default=HQType.none)
    hq_recognised_on: Mapped[date | None]
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[str | None] = mapped_column(String(40))
    registered_in_district: Mapped[bool] = mapped_column(default=True)
    employees: Mapped[int | None]
    moved_in_on: Mapped[date | None]
    moved_out_on: Mapped[date | None]
    move_out_reason: Mapped[str | None] = mapped_column(Text)
    #: An officer recorded that the enterprise intends to relocate (an early-warning flag).
    relocation_intent_on: Mapped[date | None]
    relocation_intent_note: Mapped[str | None] = mapped_column(Text)
    key_tier: Mapped[KeyTier] = mapped_column(enum_column(KeyTier, "key_tier"), default=KeyTier.normal, index=True)
    officer_id: Mapped[int | None] = mapped_column(
        # use_alter: users and enterprises refer to each other; this FK is added after both exist.
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True),
        index=True,
    )
    status: Mapped[EnterpriseStatus] = mapped_column(
        enum_column(EnterpriseStatus, "enterprise_status"), default=EnterpriseStatus.active, index=True
    )
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    building: Mapped["Building | None"] = relationship()  # noqa: F821
    officer: Mapped["User | None"] = relationship(foreign_keys=[officer_id])  # noqa: F821
    contacts: Mapped[list["User"]] = relationship(  # noqa: F821
        foreign_keys="User.enterprise_id", back_populates="enterprise"
    )
    tax_records: WriteOnlyMapped["TaxRecord"] = relationship(  # noqa: F821
        back_populates="enterprise", order_by="TaxRecord.month.desc()", passive_deletes="all"
    )

    @property
    def industry_label(self) -> str:
        return str(INDUSTRIES.get(self.industry, self.industry))

    def __str__(self) -> str:
        return self.name


@event.listens_for(Enterprise, "before_delete")
def _refuse_delete(mapper, connection, target: Enterprise) -> None:
    """Enterprises are never hard-deleted: history (tax, requests) hangs off them."""
    raise ValueError("An enterprise is never deleted; mark it moved-out instead.")
