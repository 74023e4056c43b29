"""The dashboard's tax per building stays equal to the tax records: after a tax import, after an
enterprise moves to another building (edit form or enterprise import), and after a full rebuild."""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from app.dashboard import figures as fig
from app.models import BuildingTaxMonth, Enterprise, Role, TaxTier
from app.reports import tax
from app.reports.period import Period
from app.services.imports import ENTERPRISE_COLUMNS, import_enterprises, import_tax
from app.services.summaries import refresh_tax_buildings, refresh_tax_months

from tests.dashboard.conftest import MONTH


def summary_rows(db) -> set[tuple]:
    db.session.expire_all()
    return {(r.month, r.building_id, r.total_tax, r.district_tax, r.records)
            for r in db.session.scalars(select(BuildingTaxMonth))}


def recomputed(db) -> set[tuple]:
    """The table as a full rebuild would make it, without writing it."""
    from app.services.summaries import _sums

    return {tuple(row) for row in db.session.execute(_sums())}


def assert_tax_as_report(month: str) -> None:
    period = Period(month)
    shown, report = fig.tax_figures(period), tax.collect(period)
    assert (shown.month_tax, shown.ytd_tax, shown.ytd_district, shown.yoy) == (
        report.month_tax, report.ytd_tax, report.ytd_district, report.yoy)
    assert shown.tiers == {t: report.tier_count(t) for t in (TaxTier.monthly_100m, TaxTier.annual_100m)}
    named = report.buildings[report.buildings["id"].notna()]
    ytd = dict(zip(named["name"], named["ytd_tax"]))
    assert all(ytd[b.name] == b.ytd_tax for b in shown.top)


@pytest.fixture
def write_csv(tmp_path):
    def write(rows: list[list], name: str = "upload") -> str:
        path = tmp_path / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        return str(path)

    return write


def test_the_fixture_starts_consistent(district, db):
    assert summary_rows(db) == recomputed(db)
    assert_tax_as_report(MONTH)


def test_a_tax_import_updates_the_months_it_touches(district, db, write_csv):
    mid, loose = district["mid"], district["loose"]
    path = write_csv([
        ["uscc", "month", "total_tax", "district_tax"],
        [mid.uscc, "2026-03", "50000000.00", "20000000.00"],  # changed: Beta's year to date is now 130 m
        [mid.uscc, "2026-04", "45000000.00", "15000000.00"],  # new month
        [loose.uscc, "2026-04", "500.00", "200.00"],  # no building
        [loose.uscc, "2026-03", "1000.00", "400.00"],  # unchanged
    ])
    result = import_tax(path)
    assert result.ok and (result.inserted, result.updated, result.unchanged) == (2, 1, 1)
    db.session.commit()
    assert summary_rows(db) == recomputed(db)
    for month in (MONTH, "2026-04"):
        assert_tax_as_report(month)
    april = fig.tax_figures(Period("2026-04"))
    assert april.month_tax == Decimal("45000599.00")  # with Alpha Big's 99.00
    assert april.ytd_tax == Decimal("420753001.50") + Decimal("10000000.00") + Decimal("45000599.00")


def test_importing_the_same_file_again_changes_nothing(district, db, write_csv):
    path = write_csv([["uscc", "month", "total_tax", "district_tax"],
                      [district["small"].uscc, "2026-03", "250000.50", "100000.20"]])
    before = summary_rows(db)
    assert import_tax(path).unchanged == 1
    db.session.commit()
    assert summary_rows(db) == before


def enterprise_form(e: Enterprise, **overrides) -> dict:
    data = {
        "name": e.name, "name_zh": e.name_zh or "", "uscc": e.uscc, "industry": e.industry,
        "hq_type": e.hq_type.value, "hq_recognised_on": "", "building_id": e.building_id or "",
        "unit": e.unit or "", "registered_in_district": "y" if e.registered_in_district else "",
        "employees": e.employees or "", "moved_in_on": e.moved_in_on.isoformat() if e.moved_in_on else "",
        "key_tier": e.key_tier.value, "officer_id": "", "status": e.status.value,
        "contact_name": "", "contact_phone": "", "contact_email": "",
        "relocation_intent_on": "", "relocation_intent_note": "",
    }
    data.update(overrides)
    if not data["registered_in_district"]:
        del data["registered_in_district"]
    return data


def test_moving_an_enterprise_on_its_edit_form_moves_its_tax(district, db, browser, login_as):
    """Beta Mid (RMB 120 m this year) moves into Alpha Tower: Beta drops out of the annual-100m tier."""
    login_as(Role.officer)
    mid = district["mid"]
    response = browser.post(f"/enterprises/{mid.id}/edit", enterprise_form(mid, building_id=district["alpha"].id),
                            token_from=f"/enterprises/{mid.id}/edit")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert summary_rows(db) == recomputed(db)
    assert_tax_as_report(MONTH)
    shown = fig.tax_figures(Period(MONTH))
    assert shown.tiers == {TaxTier.monthly_100m: 1, TaxTier.annual_100m: 0}
    assert shown.top[0].name == "Alpha Tower" and shown.top[0].ytd_tax == Decimal("420000000.00")

    loose = district["loose"]  # and one without a building into Gamma House
    response = browser.post(f"/enterprises/{loose.id}/edit", enterprise_form(loose, building_id=district["gamma"].id),
                            token_from=f"/enterprises/{loose.id}/edit")
    assert response.status_code == 302
    assert summary_rows(db) == recomputed(db)
    assert_tax_as_report(MONTH)


def test_an_enterprise_import_that_moves_enterprises_moves_their_tax(district, db, write_csv):
    mid, small = district["mid"], district["small"]

    def row(e: Enterprise, building: str) -> list:
        return [e.uscc, e.name, "", e.industry, "none", building, "", "", "", "yes", "normal"]

    path = write_csv([list(ENTERPRISE_COLUMNS), row(mid, "Gamma House"), row(small, "")])
    result = import_enterprises(path)
    assert result.ok and result.updated == 2, result.errors
    db.session.commit()
    assert summary_rows(db) == recomputed(db)
    assert_tax_as_report(MONTH)
    assert fig.tax_figures(Period(MONTH)).tiers[TaxTier.annual_100m] == 1  # Gamma House now, with Beta Mid


def test_refreshes_are_idempotent_and_the_command_rebuilds_everything(district, db, app):
    before = summary_rows(db)
    refresh_tax_months(["2026-03", "2025-01"])
    refresh_tax_buildings({district["alpha"].id, None})
    db.session.commit()
    assert summary_rows(db) == before
    db.session.execute(delete(BuildingTaxMonth))  # lost behind the app's back
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rebuild-summaries"])
    assert result.exit_code == 0, result.output
    assert "building-month rows" in result.output
    assert summary_rows(db) == before == recomputed(db)
