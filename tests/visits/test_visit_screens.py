"""The visit list (filters, search) and one visit with the requests raised from it."""
from datetime import timedelta


from app import clock
from tests.conftest import count_queries
from app.models import Role


def test_list_shows_latest_first_and_filters_by_officer_and_enterprise(
    browser, login_as, make_user, make_enterprise, make_visit
):
    me = login_as(Role.officer, name="Li Na")
    other = make_user(Role.officer, name="Sun Hao")
    coach = make_enterprise(name="COACH Ltd")
    adient = make_enterprise(name="Adient Ltd")
    today = clock.today()
    make_visit(coach, [me], today - timedelta(days=10), summary="Old visit about parking")
    make_visit(adient, [other], today - timedelta(days=3), summary="Lease renewal worries")
    make_visit(coach, [me, other], today - timedelta(days=1), summary="Joint visit on talent policy")

    page = browser.get("/visits/").get_data(as_text=True)
    assert page.index("Joint visit") < page.index("Lease renewal") < page.index("Old visit")

    mine = browser.get(f"/visits/?officer={me.id}").get_data(as_text=True)
    assert "Joint visit" in mine and "Old visit" in mine and "Lease renewal" not in mine

    coach_only = browser.get(f"/visits/?enterprise={coach.id}").get_data(as_text=True)
    assert "Joint visit" in coach_only and "Old visit" in coach_only and "Lease renewal" not in coach_only
    assert f'<option value="{coach.id}" selected>COACH Ltd</option>' in coach_only

    both = browser.get(f"/visits/?enterprise={coach.id}&officer={other.id}").get_data(as_text=True)
    assert "Joint visit" in both and "Old visit" not in both and "Lease renewal" not in both


def test_search_covers_summaries_and_enterprise_names_and_escapes_wildcards(
    browser, login_as, make_enterprise, make_visit
):
    me = login_as(Role.officer)
    make_visit(make_enterprise(name="L'Oréal China"), [me], summary="Discussed the 100% rent subsidy")
    make_visit(make_enterprise(name="Wheelock Ltd"), [me], summary="Routine check-in")
    assert "Routine" not in browser.get("/visits/?q=oréal").get_data(as_text=True)
    assert "Routine" in browser.get("/visits/?q=wheelock").get_data(as_text=True)
    hit = browser.get("/visits/?q=100%25").get_data(as_text=True)
    assert "rent subsidy" in hit and "Routine" not in hit
    assert "No visits match" in browser.get("/visits/?q=%25%25x").get_data(as_text=True)


def test_bad_filter_values_are_ignored_not_errors(browser, login_as, make_visit):
    login_as(Role.officer)
    make_visit(summary="Still listed")
    for qs in ("officer=abc", "enterprise=-1", "officer=99999999999999999999"):
        response = browser.get(f"/visits/?{qs}")
        assert response.status_code == 200 and "Still listed" in response.get_data(as_text=True)
    assert browser.get("/visits/?page=abc").status_code == 404


def test_summary_is_escaped(browser, login_as, make_visit):
    login_as(Role.officer)
    visit = make_visit(summary="<script>alert(1)</script>")
    for url in ("/visits/", f"/visits/{visit.id}"):
        body = browser.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


def test_detail_lists_officers_requests_raised_and_the_raise_button(
    browser, login_as, make_user, make_enterprise, make_visit, make_request
):
    me = login_as(Role.officer, name="Li Na")
    enterprise = make_enterprise(name="COACH Ltd")
    visit = make_visit(enterprise, [me, make_user(Role.chief, name="Zhang Wei")], summary="Line one\nLine two")
    raised = make_request(enterprise, by=me, visit=visit, title="Loading bay permit")
    make_request(enterprise, by=me, title="Not from the visit")
    body = browser.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Li Na" in body and "Zhang Wei" in body
    assert "<p>Line one</p><p>Line two</p>" in body
    assert "Loading bay permit" in body and raised.reference in body and f'href="/requests/{raised.id}"' in body
    assert "Not from the visit" not in body
    assert f'href="/requests/new?visit={visit.id}&amp;enterprise={enterprise.id}"' in body
    assert "Raise a request from this visit" in body
    # The button leads to the request form, which takes the visit.
    assert browser.get(f"/requests/new?visit={visit.id}&enterprise={enterprise.id}").status_code == 200
    listing = browser.get("/visits/").get_data(as_text=True)
    assert f'<td class="num"><a href="/visits/{visit.id}">1</a></td>' in listing


def test_no_n_plus_one_on_the_list(browser, login_as, make_user, make_enterprise, make_visit, make_request):
    me = login_as(Role.officer)
    make_visit(make_enterprise(), [me])
    with count_queries() as one:
        assert browser.get("/visits/").status_code == 200
    for _ in range(6):
        visit = make_visit(make_enterprise(), [me, make_user(Role.chief)])
        make_request(visit.enterprise, by=me, visit=visit)
    with count_queries() as many:
        assert browser.get("/visits/").status_code == 200
    assert len(many) == len(one)
