"""The demo district: realistic sizes, valid codes, and a second run that changes nothing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.models import (
    Building,
    Enterprise,
    EnterpriseStatus,
    Grid,
    Role,
    TaxRecord,
    User,
    building_officers,
)
from app.seed import DEMO_PASSWORD, build_plan, seed
from app.uscc import check

TODAY = date(2026, 11, 27)  # last complete month 2026-10
TOWERS = ["Park Place", "Wheelock Square", "1788 International Center", "Ping'an Building"]
MILLION = Decimal(1000000)


def _counts(db) -> dict[str, int]:
    tables = {"grids": Grid, "buildings": Building, "enterprises": Enterprise, "users": User, "tax": TaxRecord}
    counts = {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in tables.items()}
    counts["building_officers"] = db.session.scalar(select(func.count()).select_from(building_officers))
    return counts


def _building_tax(db, months: list[str]) -> dict[str, Decimal]:
    rows = db.session.execute(
        select(Building.name, func.sum(TaxRecord.total_tax))
        .join(Enterprise, Enterprise.building_id == Building.id)
        .join(TaxRecord, TaxRecord.enterprise_id == Enterprise.id)
        .where(TaxRecord.month.in_(months))
        .group_by(Building.name)
    )
    return {name: Decimal(total) for name, total in rows}


def test_seed_loads_a_realistic_district(db):
    summary = seed(TODAY)
    db.session.commit()

    buildings = db.session.scalars(select(Building)).all()
    names = {b.name for b in buildings}
    assert len(buildings) >= 24 and set(TOWERS) <= names
    assert all(1 <= len(b.officers) <= 2 for b in buildings)
    assert all(o.role in (Role.officer, Role.chief) for b in buildings for o in b.officers)
    assert db.session.scalar(select(func.count()).select_from(Grid)) >= 4

    enterprises = db.session.scalars(select(Enterprise)).all()
    assert len(enterprises) >= 300
    assert all(check(e.uscc).ok for e in enterprises)
    assert sum(e.hq_type.value == "regional-hq" for e in enterprises) >= 25
    assert {"ADIENT", "COACH", "L'ORÉAL"} <= {e.name.split(" ")[0] for e in enterprises}

    months = db.session.scalars(select(TaxRecord.month).distinct().order_by(TaxRecord.month)).all()
    assert len(months) == 36 and months[-1] == "2026-10" and months[0] == "2023-11"
    assert summary.months == ("2023-11", "2026-10")
    district_share_off = (TaxRecord.district_tax > TaxRecord.total_tax * Decimal("0.41")) | (
        TaxRecord.district_tax < TaxRecord.total_tax * Decimal("0.24")
    )
    assert db.session.scalar(select(func.count()).select_from(TaxRecord).where(district_share_off)) == 0

    last_month = _building_tax(db, ["2026-10"])
    for tower in TOWERS:
        assert 80 * MILLION <= last_month[tower] <= 130 * MILLION, (tower, last_month[tower])
    last_12 = db.session.scalar(select(func.sum(TaxRecord.total_tax)).where(TaxRecord.month.in_(months[-12:])))
    assert 12_000 * MILLION <= last_12 <= 17_000 * MILLION

    # Tiers over 2026-01..2026-10: the towers average >= 100 m a month; some others pass 100 m in the year.
    ytd = _building_tax(db, [m for m in months if m.startswith("2026")])
    assert all(ytd[t] >= 10 * 100 * MILLION for t in TOWERS)
    annual_only = [b for b, tax in ytd.items() if 100 * MILLION <= tax < 10 * 100 * MILLION]
    assert len(annual_only) >= 2

    moved_out = [e for e in enterprises if e.status is EnterpriseStatus.moved_out]
    assert 6 <= len(moved_out) <= 8
    for e in moved_out:
        assert e.moved_out_on and e.move_out_reason
        later = select(func.count()).select_from(TaxRecord).where(
            TaxRecord.enterprise_id == e.id, TaxRecord.month > e.moved_out_on.strftime("%Y-%m")
        )
        assert db.session.scalar(later) == 0
    assert sum(e.status is EnterpriseStatus.at_risk for e in enterprises) >= 3
    # Enterprises that moved in during the window have tax from their move-in month only.
    first_month = dict(
        db.session.execute(
            select(TaxRecord.enterprise_id, func.min(TaxRecord.month)).group_by(TaxRecord.enterprise_id)
        ).all()
    )
    recent = [e for e in enterprises if e.moved_in_on.strftime("%Y-%m") > months[0] and e.id in first_month]
    assert recent and all(first_month[e.id] == e.moved_in_on.strftime("%Y-%m") for e in recent)

    users = db.session.scalars(select(User)).all()
    assert {u.role for u in users} == set(Role)
    assert len(users) <= 12
    by_email = {u.email: u for u in users}
    for email in ("admin@butler.demo", "chief@butler.demo", "officer@butler.demo", "leader@butler.demo"):
        assert by_email[email].check_password(DEMO_PASSWORD)
    contact = by_email["contact@coach.demo"]
    assert contact.role is Role.enterprise and contact.enterprise.name.startswith("COACH")
    assert ("contact@coach.demo", "enterprise") in summary.accounts
    assert {role for _, role in summary.accounts} == {r.value for r in Role}
    assert all(e.officer is not None for e in enterprises)


def test_second_seed_creates_nothing(db):
    first = seed()
    db.session.commit()
    before = _counts(db)
    assert first.created == sum(before.values())  # everything was created by the first run

    second = seed()
    db.session.commit()
    assert second.created == 0
    assert all(line.split(": ")[1].startswith("0 created") for line in second.lines()[:-1])
    assert _counts(db) == before


def test_plan_is_deterministic_and_its_keys_do_not_depend_on_the_date():
    plan = build_plan(TODAY)
    again = build_plan(TODAY)
    assert plan.enterprises == again.enterprises and plan.tax == again.tax

    later = build_plan(date(2027, 3, 2))
    assert [e.uscc for e in later.enterprises] == [e.uscc for e in plan.enterprises]
    assert [e.name for e in later.enterprises] == [e.name for e in plan.enterprises]
    assert later.months[-1] == "2027-02"
