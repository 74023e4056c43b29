"""Building forms, list (with derived tiers) and detail."""
from decimal import Decimal

from sqlalchemy import func, select

from app.models import Building, Role


def data(grid, **overrides):
    d = {"name": "Park Place", "name_zh": "嘉里中心", "address": "1515 Nanjing Road West", "grid_id": str(grid.id),
         "gross_floor_area": "180000", "office_area": "120000.50", "floors": "56"}
    d.update(overrides)
    return d


def test_create_building_with_officers(browser, login_as, db, make_grid, make_user):
    login_as(Role.officer)
    grid = make_grid()
    li, wang = make_user(Role.officer, name="Li Wei"), make_user(Role.chief, name="Wang Fang")
    response = browser.post("/buildings/new", {**data(grid), "officer_ids": [str(li.id), str(wang.id)]})
    assert response.status_code == 302
    building = db.session.scalar(select(Building))
    assert building.office_area == Decimal("120000.50")
    assert {u.name for u in building.officers} == {"Li Wei", "Wang Fang"}
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "嘉里中心" in page and "Li Wei" in page and "Wang Fang" in page


def test_bad_building_input_names_the_fields_and_saves_nothing(browser, login_as, db, make_grid, make_building):
    login_as(Role.officer)
    grid = make_grid()
    make_building(name="Plaza 66")
    body = browser.post(
        "/buildings/new", data(grid, name="Plaza 66", address="", floors="-1", gross_floor_area="abc", grid_id="")
    ).get_data(as_text=True)
    assert "Another building already has this name." in body
    assert "This field is required." in body
    assert "Must be a whole number from 0 to 300." in body
    assert "Not a valid decimal value." in body
    assert "Choose a grid." in body
    assert db.session.scalar(select(func.count()).select_from(Building)) == 1
    assert 'value="120000.50"' in body  # what was typed is kept


def test_office_area_cannot_exceed_gross(browser, login_as, make_grid):
    login_as(Role.officer)
    body = browser.post("/buildings/new", data(make_grid(), office_area="200000")).get_data(as_text=True)
    assert "Office area cannot exceed the gross floor area." in body


def test_edit_building(browser, login_as, db, make_building, make_user):
    login_as(Role.admin)
    building = make_building(name="Old Tower")
    officer = make_user(Role.officer)
    response = browser.post(
        f"/buildings/{building.id}/edit", {**data(building.grid, name="New Tower"), "officer_ids": [str(officer.id)]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert building.name == "New Tower" and [u.id for u in building.officers] == [officer.id]


def test_list_shows_tiers_derived_from_tax_and_filters_by_tier(browser, login_as, make_building, make_enterprise, make_tax):
    login_as(Role.leader)
    monthly = make_building(name="Monthly Tower")
    annual = make_building(name="Annual Tower")
    small = make_building(name="Small Tower")
    a, b = make_enterprise(building=monthly), make_enterprise(building=monthly)
    c = make_enterprise(building=annual)
    d = make_enterprise(building=small)
    for month in ("2026-01", "2026-02"):
        make_tax(a, month, "60000000.00")
        make_tax(b, month, "40000000.00")  # building: exactly 100 m each month -> monthly-100m
        make_tax(c, month, "50000000.00")  # 100 m over the year to date -> annual-100m
        make_tax(d, month, "49999999.99")  # 99,999,999.98 -> none
    body = browser.get("/buildings").get_data(as_text=True)
    assert "year to date up to 2026-02" in body
    only_monthly = browser.get("/buildings", query_string={"tier": "monthly-100m"}).get_data(as_text=True)
    assert "Monthly Tower" in only_monthly and "Annual Tower" not in only_monthly
    only_annual = browser.get("/buildings", query_string={"tier": "annual-100m"}).get_data(as_text=True)
    assert "Annual Tower" in only_annual and "Monthly Tower" not in only_annual and "Small Tower" not in only_annual
    none = browser.get("/buildings", query_string={"tier": "none"}).get_data(as_text=True)
    assert "Small Tower" in none and "Annual Tower" not in none


def test_list_search_and_grid_filter(browser, login_as, make_building, make_grid):
    login_as(Role.officer)
    north, south = make_grid(name="North"), make_grid(name="South")
    make_building(name="Wheelock Square", name_zh="会德丰国际广场", grid=north)
    make_building(name="Plaza 66", grid=south)
    assert "Wheelock Square" in browser.get("/buildings", query_string={"q": "会德丰"}).get_data(as_text=True)
    body = browser.get("/buildings", query_string={"grid": south.id}).get_data(as_text=True)
    assert "Plaza 66" in body and "Wheelock Square" not in body


def test_detail_lists_its_enterprises(browser, login_as, make_building, make_enterprise):
    login_as(Role.leader)
    building = make_building()
    make_enterprise(name="Inside Co", building=building)
    make_enterprise(name="Elsewhere Co")
    body = browser.get(f"/buildings/{building.id}").get_data(as_text=True)
    assert "Inside Co" in body and "Elsewhere Co" not in body
    assert browser.get("/buildings/424242").status_code == 404


def test_nan_and_infinite_areas_are_refused_not_a_500(browser, login_as, db, make_grid):
    """Decimal() takes "NaN", "sNaN" and "Infinity"; they used to crash the comparisons (500)."""
    login_as(Role.officer)
    grid = make_grid()
    for bad in ("NaN", "sNaN", "-Infinity", "inf"):
        for field in ("gross_floor_area", "office_area"):
            response = browser.post("/buildings/new", data(grid, **{field: bad}))
            assert response.status_code == 200, (field, bad)
            assert "Not a valid decimal value." in response.get_data(as_text=True), (field, bad)
    assert db.session.scalar(select(func.count()).select_from(Building)) == 0


def test_a_duplicate_saved_in_between_becomes_a_field_error_not_a_500(db, make_building, make_grid):
    """The form checked the name; another user saved the same name before this flush."""
    import pytest

    from app.services.registry import RegistryError, save_building

    make_building(name="Plaza 66")
    data = {"name": "Plaza 66", "name_zh": None, "address": "1266 Nanjing Road West", "grid_id": make_grid().id,
            "gross_floor_area": None, "office_area": None, "floors": None}
    with pytest.raises(RegistryError) as caught:
        save_building(None, data, [])
    assert caught.value.field == "name"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Building)) == 1
