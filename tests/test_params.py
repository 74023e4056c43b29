"""Odd ids, page numbers and query keys in URLs: a 404 or an ignored filter, never a 500."""
import pytest

from app.models import Role

HUGE = "99999999999999999999"  # past SQLite's and PostgreSQL's integers


@pytest.fixture
def registry(browser, login_as, make_building, make_enterprise):
    login_as(Role.admin)
    building = make_building()
    for _ in range(3):
        make_enterprise(building=building)
    return building


@pytest.mark.parametrize(
    "url",
    [
        f"/buildings/{HUGE}", f"/buildings/{HUGE}/edit", f"/enterprises/{HUGE}", f"/enterprises/{HUGE}/edit",
        f"/enterprises/{HUGE}/move-out", f"/admin/users/{HUGE}", "/buildings/2147483648",
        f"/enterprises?page={HUGE}", "/enterprises?page=9223372036854775807", f"/buildings?page={HUGE}",
        f"/admin/users?page={HUGE}", "/enterprises?page=0", "/enterprises?page=x", "/enterprises?page=",
    ],
)
def test_out_of_range_ids_and_pages_are_404(browser, registry, url):
    assert browser.get(url).status_code == 404


def test_huge_page_on_a_detail_page_is_404(browser, registry):
    assert browser.get(f"/buildings/{registry.id}?page={HUGE}").status_code == 404


@pytest.mark.parametrize("url", [f"/enterprises?building={HUGE}", f"/buildings?grid={HUGE}", "/enterprises?building=-1"])
def test_out_of_range_filters_are_ignored(browser, registry, url):
    assert browser.get(url).status_code == 200


@pytest.mark.parametrize(
    "query", ["endpoint=x", "_method=POST", "_external=1", "_scheme=javascript&_external=1", "_anchor=x"]
)
def test_url_for_keywords_in_the_query_string_do_not_reach_links(app, browser, registry, query):
    """Pager and sort links copy the query string into url_for(): its own keywords must not pass
    (`endpoint` and `_method` crashed it with a 500; `_external`/`_scheme` changed every link)."""
    app.config["PER_PAGE"], per_page = 2, app.config["PER_PAGE"]
    try:
        for path in ("/enterprises", "/buildings", f"/buildings/{registry.id}", "/admin/users"):
            response = browser.get(f"{path}?{query}")
            assert response.status_code == 200, (path, query)
            body = response.get_data(as_text=True)
            assert "http://localhost/" not in body and "javascript:" not in body and "#x" not in body
    finally:
        app.config["PER_PAGE"] = per_page


def test_pager_keeps_the_detail_pages_own_id(app, browser, registry, make_building):
    """A query key named like the URL's parameter does not redirect the pager to another object."""
    other = make_building()
    app.config["PER_PAGE"], per_page = 2, app.config["PER_PAGE"]
    try:
        body = browser.get(f"/buildings/{registry.id}?building_id={other.id}").get_data(as_text=True)
    finally:
        app.config["PER_PAGE"] = per_page
    assert f"/buildings/{registry.id}?" in body and f"/buildings/{other.id}?" not in body


@pytest.mark.parametrize(
    "method, url, data",
    [
        ("get", "/enterprises?q=a%00b", None),
        ("get", "/buildings?q=%00", None),
        ("get", "/admin/users?q%00=x", None),
        ("post", "/buildings/new", {"name": "Nul\x00Tower", "address": "x", "grid_id": "1"}),
    ],
)
def test_nul_bytes_are_a_400_not_a_database_error(browser, registry, method, url, data):
    """PostgreSQL refuses text with a NUL byte even in a WHERE clause (a 500); refuse it up front."""
    response = browser.get(url) if method == "get" else browser.post(url, data, token_from="/buildings/new")
    assert response.status_code == 400
    assert 'class="topbar"' in response.get_data(as_text=True)  # the site's layout
