"""Who may use the web imports: officers, chiefs and admins, on every import of anyone; nobody else."""
from __future__ import annotations

import pytest

from app.models import ImportKind, ImportRun, Role
from tests.imports.web.conftest import run_id_of, work
from tests.security.test_security_headers import inline_code


@pytest.fixture
def run_of_another_officer(db, make_user):
    run = ImportRun(kind=ImportKind.tax, filename="someone else's.csv", stored_name="0" * 32 + ".csv", size=10,
                    requested_by=make_user(Role.officer, name="Another Officer"))
    db.session.add(run)
    db.session.commit()
    return run


def urls(run_id: int) -> list[str]:
    return ["/imports/", "/imports/templates/tax.xlsx", "/imports/templates/enterprises.csv",
            f"/imports/runs/{run_id}", f"/imports/runs/{run_id}/status", f"/imports/runs/{run_id}/errors.xlsx"]


@pytest.mark.parametrize("role", [Role.leader, Role.enterprise])
def test_leadership_and_enterprise_contacts_are_refused_everywhere(browser, login_as, make_enterprise,
                                                                    run_of_another_officer, role):
    login_as(role, **({"enterprise": make_enterprise()} if role is Role.enterprise else {}))
    for url in urls(run_of_another_officer.id):
        assert browser.get(url).status_code == 403, url
    assert browser.post("/imports/", {"kind": "tax"}).status_code == 403
    assert 'href="/imports/"' not in browser.get("/portal/" if role is Role.enterprise else "/").get_data(as_text=True)


def test_anonymous_users_are_sent_to_the_login(client, run_of_another_officer):
    for url in urls(run_of_another_officer.id):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", [Role.officer, Role.chief, Role.admin])
def test_every_editor_sees_every_import(browser, login_as, run_of_another_officer, role):
    login_as(role)
    home = browser.get("/").get_data(as_text=True)
    assert 'href="/imports/"' in home  # the navigation link
    index = browser.get("/imports/")
    assert index.status_code == 200 and "someone else&#39;s.csv" in index.get_data(as_text=True)
    page = browser.get(f"/imports/runs/{run_of_another_officer.id}")
    assert page.status_code == 200 and "Another Officer" in page.get_data(as_text=True)


def test_import_pages_have_no_inline_code(app, browser, officer, upload, make_enterprise):
    run_id = run_id_of(upload("uscc,month,total_tax,district_tax\nX,2026-10,1,1\n", "tax.csv"))
    for url in ("/imports/", f"/imports/runs/{run_id}"):
        response = browser.get(url)
        assert response.status_code == 200
        assert inline_code(response.get_data(as_text=True)) == [], url
    work(app)
    assert inline_code(browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)) == []


def test_a_missing_run_is_not_found(browser, officer):
    assert browser.get("/imports/runs/999").status_code == 404
    assert browser.get("/imports/runs/999/status").status_code == 404
    assert browser.get("/imports/?page=99").status_code == 404


def test_the_home_page_shows_editors_the_latest_tax_month(browser, login_as, make_enterprise, make_tax):
    make_tax(make_enterprise(), "2026-10", "100")
    login_as(Role.officer)
    home = browser.get("/").get_data(as_text=True)
    assert "2026-10</span><span class=\"tile-label\">Latest month of tax data · Imports" in home
    browser.post("/logout")
    login_as(Role.leader)
    assert "Latest month of tax data" not in browser.get("/").get_data(as_text=True)
