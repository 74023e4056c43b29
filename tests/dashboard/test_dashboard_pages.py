"""The dashboard page: who may see it, what its tiles link to, its charts' data, and its cost."""
from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest

from app.models import Role
from tests.conftest import count_queries
from tests.dashboard.conftest import MONTH, sh
from tests.security.test_security_headers import inline_code

TILE = re.compile(r'<a class="tile dash-tile[^"]*" href="([^"]+)">\s*<span class="tile-period">([^<]*)</span>\s*'
                  r'<span class="tile-value">([^<]*)</span>\s*<span class="tile-label">([^<]*)</span>')
CHART = re.compile(r'data-chart="([^"]*)"')


def tiles(page: str) -> dict[str, tuple[str, str, str]]:
    """label -> (href, period, value)"""
    return {html.unescape(label): (html.unescape(href), html.unescape(period), html.unescape(value))
            for href, period, value, label in TILE.findall(page)}


def charts(page: str) -> list[dict]:
    return [json.loads(html.unescape(raw)) for raw in CHART.findall(page)]


@pytest.mark.parametrize("role, status", [
    (Role.leader, 200), (Role.chief, 200), (Role.admin, 200), (Role.officer, 403),
])
def test_leadership_chiefs_and_admins_only(browser, login_as, role, status):
    login_as(role)
    assert browser.get("/dashboard/").status_code == status
    home = browser.get("/").get_data(as_text=True)
    assert ('href="/dashboard/"' in home) is (status == 200)  # the top bar and the home page's first tile


def test_enterprise_contacts_and_strangers_never(browser, client, login_as, make_enterprise):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(Role.enterprise, enterprise=make_enterprise())
    assert browser.get("/dashboard/").status_code == 403


def test_the_home_pages_first_tile_is_the_dashboard(browser, login_as):
    login_as(Role.leader)
    home = browser.get("/").get_data(as_text=True)
    first = re.search(r'<a class="tile[^"]*" href="([^"]+)"', home)
    assert first.group(1) == "/dashboard/"


def test_a_closed_month_shows_the_reports_figures_and_links_each_tile(district, browser, login_as):
    login_as(Role.leader)
    page = browser.get(f"/dashboard/?month={MONTH}").get_data(as_text=True)
    shown = tiles(page)
    assert shown["Total tax, month"] == (f"/buildings?month={MONTH}&sort=-month", MONTH, "¥140.3 m")
    assert shown["Total tax, year to date"] == (f"/buildings?month={MONTH}", f"2026-01 to {MONTH}", "¥420.8 m")
    assert shown["Monthly-100m buildings (月亿楼)"] == (f"/buildings?month={MONTH}&tier=monthly-100m",
                                                     f"Year to date {MONTH}", "1")
    assert shown["Annual-100m buildings (亿元楼)"][0] == f"/buildings?month={MONTH}&tier=annual-100m"
    service_report = f"/reports/?kind=service&month={MONTH}"
    assert shown["Responded on time"] == (service_report, MONTH, "66.7 %")
    assert shown["On site on time"] == (service_report, MONTH, "40.0 %")
    assert shown["Solved or plan on time"] == (service_report, MONTH, "40.0 %")
    assert shown["Satisfaction rate"] == (service_report, MONTH, "33.3 %")
    assert shown["Stability rate"] == (f"/reports/?kind=retention&month={MONTH}", MONTH, "71.4 %")
    assert shown["Requests received"] == (service_report, MONTH, "5")
    assert shown["Open requests"] == ("/requests/?scope=all", "Now", "5")
    assert shown["Open and breached"] == ("/requests/?scope=all&breached=1", "Now", "4")
    assert "YoY +74.4 %" in page


def test_each_link_opens_a_list_with_the_tiles_figure(district, browser, login_as):
    login_as(Role.leader)
    shown = tiles(browser.get(f"/dashboard/?month={MONTH}").get_data(as_text=True))
    for label in ("Monthly-100m buildings (月亿楼)", "Annual-100m buildings (亿元楼)"):
        href, _, value = shown[label]
        listed = browser.get(href).get_data(as_text=True)
        assert listed.count('href="/buildings/') - listed.count('href="/buildings/new') == int(value), label
    breached = browser.get(shown["Open and breached"][0]).get_data(as_text=True)
    assert "4 results" in breached
    assert "5 results" in browser.get(shown["Open requests"][0]).get_data(as_text=True)
    report_centre = browser.get(shown["Satisfaction rate"][0]).get_data(as_text=True)
    selected = [tag for tag in re.findall(r"<option[^>]*>", report_centre) if "selected" in tag]
    assert selected == ['<option selected value="service">']
    assert f'value="{MONTH}"' in report_centre


def test_by_default_tax_is_the_latest_month_with_data_and_the_rest_this_month(district, browser, login_as):
    login_as(Role.chief)
    page = browser.get("/dashboard/").get_data(as_text=True)
    shown = tiles(page)
    assert shown["Total tax, month"][1] == "2026-04"  # Alpha Big's April record is the latest
    assert shown["Responded on time"][1] == "2026-04 to date"
    assert shown["Responded on time"][2] == "50.0 %"  # q7 on time, q6 missed; the rest not due yet
    assert shown["On site on time"][2] == "—"
    assert "Service (51530) · 2026-04 to 2026-04-10 10:00" in html.unescape(page)


def test_a_month_that_is_not_one_says_so_and_shows_the_latest(district, browser, login_as):
    login_as(Role.leader)
    for bad in ("2026-13", "next month", "2026-05"):  # May has not begun on 10 April
        response = browser.get(f"/dashboard/?month={bad}")
        assert response.status_code == 200
        page = html.unescape(response.get_data(as_text=True))
        assert "Showing the latest figures instead." in page
        assert tiles(page)["Total tax, month"][1] == "2026-04"


def test_the_charts_data_is_in_data_attributes_and_the_page_has_no_inline_code(district, browser, login_as):
    login_as(Role.leader)
    page = browser.get(f"/dashboard/?month={MONTH}").get_data(as_text=True)
    assert inline_code(page) == []
    assert '<script src="/static/vendor/chart.js/chart.umd.min.js" defer></script>' in page
    assert '<script src="/static/js/dashboard.js" defer></script>' in page
    trend, top, topics, on_time = charts(page)
    assert trend["format"] == "rmb" and len(trend["labels"]) == 12 and trend["labels"][-1] == MONTH
    assert trend["series"][0]["data"][-1] == pytest.approx(140251000.50)
    assert top["labels"] == ["Alpha Tower", "Beta Plaza", "Gamma House"]
    assert top["links"][0].startswith("/buildings/")
    assert topics["labels"] == ["Property and facilities", "Tax"] and topics["series"][0]["data"] == [3, 2]
    assert on_time["format"] == "pct" and [s["data"][-1] for s in on_time["series"]] == [
        pytest.approx(4 / 6, abs=1e-4), pytest.approx(0.4), pytest.approx(0.4)]
    assert on_time["series"][0]["data"][0] is None  # no request that month: a gap, not 0 %
    # Every chart has its figures as a table too (and an accessible name on the canvas).
    assert page.count('role="img" aria-label=') == 4 and page.count('<details class="chart-data" open>') == 4


def test_the_static_files_are_served(client):
    for path in ("/static/vendor/chart.js/chart.umd.min.js", "/static/js/dashboard.js"):
        response = client.get(path)
        assert response.status_code == 200 and "javascript" in response.mimetype
        response.close()


def test_an_empty_district_renders(db, browser, login_as):
    login_as(Role.leader)
    response = browser.get("/dashboard/")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "No tax records have been imported yet" in page
    assert tiles(page)["Stability rate"][2] == "—"
    assert browser.get(f"/dashboard/?month={MONTH}").status_code == 200


def test_queries_do_not_grow_with_the_data(district, db, browser, login_as, make_building, make_enterprise,
                                           make_tax, make_request):
    """The same number of statements for a small and a larger district (figures of ended months kept)."""
    from app import clock
    from app.services.summaries import rebuild_tax_summary

    login_as(Role.leader)
    browser.get("/dashboard/")  # the first view keeps the ended months' figures

    def statements() -> int:
        with count_queries() as seen:
            assert browser.get("/dashboard/").status_code == 200
        return len(seen)

    small = statements()
    for n in range(12):
        b = make_building(name=f"More Tower {n}")
        e = make_enterprise(building=b, moved_in_on=date(2020, 1, 1))
        for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
            make_tax(e, month, "1000000.00")
        clock.freeze(sh(f"2026-04-0{1 + n % 9} 10:00"))
        make_request(enterprise=e)
    clock.freeze(sh("2026-04-10 10:00"))
    rebuild_tax_summary()
    db.session.commit()
    assert statements() == small
    assert small <= 8
