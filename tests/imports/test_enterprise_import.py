"""Enterprise import: every column validated, buildings by English or Chinese name, upsert by USCC."""
from datetime import date

import pytest
from sqlalchemy import select

from app.models import Enterprise, EnterpriseStatus, HQType, KeyTier
from app.services.imports import ENTERPRISE_COLUMNS, import_enterprises
from app.uscc import make as make_uscc

HEADER = list(ENTERPRISE_COLUMNS)
U1, U2, U3 = make_uscc("91310106MA1FL0001"), make_uscc("91310106MA1FL0002"), make_uscc("91310106MA1FL0003")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_clean_file_upserts_and_is_idempotent(db, make_building, make_enterprise, write_file, suffix):
    tower = make_building(name="Jing'an Kerry Centre", name_zh="静安嘉里中心")
    existing = make_enterprise(uscc=U3, name="Old name", status=EnterpriseStatus.at_risk)
    rows = [
        HEADER,
        [U1, "Acme Ltd", "阿克美", "I", "regional-hq", "Jing'an Kerry Centre", "12F", 120, "2024-03-01", "yes", "district-key"],
        [U2, "Beta Co", "", "manufacturing", "", "静安嘉里中心", "", "", "", "否", ""],
        [U3, "New name", "", "L", "none", "", "", "5", "", "", "normal"],
    ]
    path = write_file(rows, suffix)
    result = import_enterprises(path)
    assert result.ok, result.errors
    assert (result.inserted, result.updated, result.unchanged) == (2, 1, 0)
    db.session.commit()
    acme = db.session.scalar(select(Enterprise).where(Enterprise.uscc == U1))
    assert (acme.name, acme.name_zh, acme.industry, acme.hq_type, acme.building_id, acme.unit) == (
        "Acme Ltd", "阿克美", "I", HQType.regional_hq, tower.id, "12F"
    )
    assert (acme.employees, acme.moved_in_on, acme.registered_in_district, acme.key_tier) == (
        120, date(2024, 3, 1), True, KeyTier.district_key
    )
    assert acme.status is EnterpriseStatus.active
    beta = db.session.scalar(select(Enterprise).where(Enterprise.uscc == U2))
    assert (beta.industry, beta.building_id, beta.registered_in_district, beta.key_tier, beta.hq_type) == (
        "C", tower.id, False, KeyTier.normal, HQType.none
    )
    db.session.refresh(existing)
    assert existing.name == "New name" and existing.employees == 5
    assert existing.status is EnterpriseStatus.at_risk  # not in the file: left alone
    again = import_enterprises(path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_every_error_is_reported_and_nothing_is_written(db, make_building, make_enterprise, write_file):
    make_building(name="Tower A", name_zh="甲楼")
    make_building(name="Tower B", name_zh="甲楼")  # the same Chinese name twice
    existing = make_enterprise(uscc=U3, name="Kept")
    ok = [U1, "Fine Ltd", "", "L", "", "Tower A", "", "", "", "", ""]
    path = write_file(
        [
            HEADER,
            ok,  # 2
            [U1[:17] + ("0" if U1[17] != "0" else "1")] + ok[1:],  # 3 checksum
            ["91310106MA1FL000I"] + ok[1:],  # 4 length 17
            ["91310106MA1FL000IO"] + ok[1:],  # 5 alphabet
            [U2, "", "", "Z", "boss", "Nowhere", "", "-3", "2024-02-30", "maybe", "vip"],  # 6 everything
            [U2, "Ok", "", "L", "", "甲楼", "", "1.5", "", "", ""],  # 7 ambiguous building, fractional count
            [U1] + ok[1:],  # 8 duplicate of row 2
            [U3, "Changed", "", "L", "", "", "", "", "", "", ""],  # 9 fine
        ],
        ".xlsx",
    )
    result = import_enterprises(path)
    got = {(e.row, e.column) for e in result.errors}
    assert got == {
        (3, "uscc"), (4, "uscc"), (5, "uscc"),
        (6, "name"), (6, "industry"), (6, "hq_type"), (6, "building"), (6, "employees"), (6, "moved_in"),
        (6, "registered_in_district"), (6, "key_tier"),
        (7, "building"), (7, "employees"), (7, "uscc"),
        (8, "uscc"),
    }
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert "check character" in reasons[(3, "uscc")]
    assert "18 characters" in reasons[(4, "uscc")]
    assert "not allowed" in reasons[(5, "uscc")]
    assert reasons[(6, "building")] == "unknown building 'Nowhere'"
    assert "more than one building" in reasons[(7, "building")]
    assert reasons[(8, "uscc")] == f"duplicate row: {U1} already appears in row 2"
    assert reasons[(6, "key_tier")] == "key_tier must be one of district-key, subdistrict-key, normal, not 'vip'"
    assert result.inserted == result.updated == 0
    db.session.commit()
    assert db.session.scalars(select(Enterprise.uscc)).all() == [U3]
    db.session.refresh(existing)
    assert existing.name == "Kept"


def test_overridden_uscc_can_be_reimported(db, make_enterprise, write_file):
    """A code accepted by explicit override in the registry is not rejected by the import."""
    bad = U1[:17] + ("0" if U1[17] != "0" else "1")
    make_enterprise(uscc=bad, uscc_override=True, name="Legacy")
    path = write_file([HEADER, [bad, "Legacy renamed", "", "L", "", "", "", "", "", "", ""]])
    result = import_enterprises(path)
    assert result.ok and result.updated == 1


def test_hq_type_none_clears_recognition_date_and_progress_is_reported(db, make_enterprise, write_file):
    existing = make_enterprise(uscc=U1, hq_type=HQType.regional_hq, hq_recognised_on=date(2023, 5, 1))
    kept = make_enterprise(uscc=U2, hq_type=HQType.regional_hq, hq_recognised_on=date(2022, 1, 1))
    path = write_file(
        [HEADER, [U1, existing.name, "", "L", "none", "", "", "", "", "", ""],
         [U2, kept.name, "", "L", "regional-hq", "", "", "9", "", "", ""]]
    )
    seen = []
    result = import_enterprises(path, progress=seen.append)
    assert result.updated == 2
    assert seen == sorted(seen) and seen[-1] == 1.0 and any(0 < f <= 0.5 for f in seen)
    db.session.commit()
    db.session.refresh(existing)
    db.session.refresh(kept)
    assert existing.hq_type is HQType.none and existing.hq_recognised_on is None
    assert kept.hq_recognised_on == date(2022, 1, 1) and kept.employees == 9
