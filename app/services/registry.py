"""Writes to the registry: buildings and enterprises."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.services import flush_unique, summaries
from app.models import Building, Enterprise, EnterpriseStatus, HQType, KeyTier, User


class RegistryError(ValueError):
    """A rule of the registry was broken; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


BUILDING_FIELDS = ("name", "name_zh", "address", "grid_id", "gross_floor_area", "office_area", "floors")
ENTERPRISE_FIELDS = (
    "name", "name_zh", "uscc", "industry", "hq_type", "hq_recognised_on", "building_id", "unit",
    "registered_in_district", "employees", "moved_in_on", "key_tier", "officer_id", "status",
    "contact_name", "contact_phone", "contact_email", "relocation_intent_on", "relocation_intent_note",
)


def save_building(building: Building | None, data: dict, officer_ids: list[int]) -> Building:
    """Create (building=None) or update a building and its liaison officers."""
    if building is None:
        building = Building()
        db.session.add(building)
    for key in BUILDING_FIELDS:
        setattr(building, key, data[key])
    building.officers = list(db.session.scalars(select(User).where(User.id.in_(officer_ids)))) if officer_ids else []
    flush_unique(RegistryError(_("Another building already has this name."), "name"))
    return building


def save_enterprise(enterprise: Enterprise | None, data: dict, uscc_override: bool) -> Enterprise:
    """Create (enterprise=None) or update an enterprise's registry data."""
    data = dict(data)
    # Both or neither: the retention report flags an intent and shows what was said. A moved-out
    # enterprise keeps its intent as history; the report never counts it as at risk.
    data["relocation_intent_note"] = (data["relocation_intent_note"] or "").strip() or None
    if (data["relocation_intent_on"] is None) != (data["relocation_intent_note"] is None):
        raise RegistryError(
            _("A relocation intent needs both the date it was recorded and what the enterprise said."),
            "relocation_intent_on" if data["relocation_intent_on"] is None else "relocation_intent_note",
        )
    if enterprise is None:
        enterprise = Enterprise()
        db.session.add(enterprise)
    moved_from = enterprise.building_id if enterprise.id is not None else data["building_id"]
    data["hq_type"] = HQType(data["hq_type"])
    data["key_tier"] = KeyTier(data["key_tier"])
    if enterprise.status is EnterpriseStatus.moved_out:
        data["status"] = EnterpriseStatus.moved_out  # only move_out changes this
    else:
        data["status"] = EnterpriseStatus(data["status"])
    if data["hq_type"] is HQType.none:
        data["hq_recognised_on"] = None
    for key in ENTERPRISE_FIELDS:
        setattr(enterprise, key, data[key])
    enterprise.uscc_override = uscc_override
    flush_unique(RegistryError(_("This USCC is already registered to another enterprise."), "uscc"))
    if enterprise.building_id != moved_from:  # its tax now counts for the other building
        summaries.refresh_tax_buildings({moved_from, enterprise.building_id})
    return enterprise


def move_out(enterprise: Enterprise, on: date, reason: str) -> None:
    """Mark an enterprise moved out (it is never deleted: its history stays)."""
    if enterprise.status is EnterpriseStatus.moved_out:
        raise RegistryError(_("%(name)s is already marked moved out (on %(date)s).",
                              name=enterprise.name, date=enterprise.moved_out_on))
    enterprise.status = EnterpriseStatus.moved_out
    enterprise.moved_out_on = on
    enterprise.move_out_reason = reason
    db.session.flush()
