"""The enterprise page's requests and visits; the building page's open requests."""
from datetime import timedelta


from app import clock
from tests.conftest import count_queries
from app.models import Level, Role
from app.services.requests import transition
from app.services.visits import log_visit


def visit(db, enterprise, officers, days_ago: int, summary: str):
    v = log_visit(enterprise=enterprise, visited_on=clock.today() - timedelta(days=days_ago), officers=officers,
                  summary=summary, by=officers[0])
    db.session.commit()
    return v


def test_enterprise_page_shows_its_requests_and_visits_latest_first(
    browser, login_as, make_user, make_enterprise, make_request, db
):
    me = login_as(Role.officer, name="Li Na")
    enterprise = make_enterprise(name="COACH Ltd")
    other = make_enterprise(name="Other Ltd")
    v = visit(db, enterprise, [me, make_user(Role.chief, name="Zhang Wei")], 5, "Discussed loading-bay access")
    visit(db, enterprise, [me], 1, "Follow-up on the lift")
    visit(db, other, [me], 1, "Someone else's visit")
    first = make_request(enterprise, by=me, title="Loading bay permit", visit=v)
    clock.freeze(clock.now() + timedelta(hours=1))
    try:
        second = make_request(enterprise, by=me, title="Lift broken")
    finally:
        clock.freeze(None)
    transition(second, "return", me, text="Property management, not us")
    db.session.commit()
    make_request(other, by=me, title="Not this enterprise")

    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "Requests (2)" in body and "Visits (2)" in body
    assert body.index("Lift broken") < body.index("Loading bay permit")  # latest first
    assert "Returned" in body  # every state, closed and returned too
    assert first.reference in body and f'href="/requests/{first.id}"' in body
    assert first.received_at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") in body
    assert f'href="/visits/{v.id}">Visit</a>' in body  # raised from a visit
    assert body.index("Follow-up on the lift") < body.index("Discussed loading-bay access")
    assert "<div>Li Na</div><div>Zhang Wei</div>" in body
    assert "Not this enterprise" not in body and "Someone else" not in body
    assert f'href="/visits/new?enterprise={enterprise.id}"' in body and "Log a visit" in body


def test_enterprise_page_shows_ten_visits_and_links_to_all(browser, login_as, make_enterprise, db):
    me = login_as(Role.officer)
    enterprise = make_enterprise()
    for n in range(12):
        visit(db, enterprise, [me], n, f"Visit number {n:02d}.")
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "Visit number 09." in body and "Visit number 10." not in body
    assert "Visits (12)" in body
    assert f'href="/visits/?enterprise={enterprise.id}">All 12 visits' in body


def test_enterprise_requests_are_paged(browser, login_as, make_enterprise, make_request):
    me = login_as(Role.officer)
    enterprise = make_enterprise()
    for n in range(21):
        make_request(enterprise, by=me, title=f"Request {n:02d}")
    first = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "Request 20" in first and "Request 00" not in first and "Requests (21)" in first
    second = browser.get(f"/enterprises/{enterprise.id}?page=2").get_data(as_text=True)
    assert "Request 00" in second and "Request 20" not in second


def test_enterprise_page_queries_do_not_grow_with_rows(browser, login_as, make_user, make_enterprise, make_request, db):
    me = login_as(Role.officer)
    enterprise = make_enterprise()
    visit(db, enterprise, [me], 1, "One")
    make_request(enterprise, by=me)
    with count_queries() as one:
        assert browser.get(f"/enterprises/{enterprise.id}").status_code == 200
    for n in range(5):
        v = visit(db, enterprise, [me, make_user(Role.chief)], n + 2, "More")
        make_request(enterprise, by=me, visit=v)
    with count_queries() as many:
        assert browser.get(f"/enterprises/{enterprise.id}").status_code == 200
    assert len(many) == len(one)


def test_moved_out_enterprise_offers_no_log_a_visit(browser, login_as, make_enterprise):
    from datetime import date

    from app.models import EnterpriseStatus

    login_as(Role.officer)
    gone = make_enterprise(status=EnterpriseStatus.moved_out, moved_out_on=date(2024, 1, 1), move_out_reason="Left")
    body = browser.get(f"/enterprises/{gone.id}").get_data(as_text=True)
    assert "/visits/new" not in body


def test_leader_sees_activity_but_no_log_a_visit_button(browser, login_as, make_enterprise, make_request, make_user):
    enterprise = make_enterprise()
    make_request(enterprise, title="Visible to leadership")
    login_as(Role.leader)
    body = browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "Visible to leadership" in body and "/visits/new" not in body


def test_building_page_shows_open_requests_of_its_enterprises_only(
    browser, login_as, make_building, make_enterprise, make_request, db
):
    me = login_as(Role.officer)
    building = make_building(name="Park Place")
    tenant_a = make_enterprise(name="Tenant A Ltd", building=building)
    tenant_b = make_enterprise(name="Tenant B Ltd", building=building)
    elsewhere = make_enterprise(name="Elsewhere Ltd", building=make_building())
    open_a = make_request(tenant_a, by=me, title="Open submitted")
    accepted = make_request(tenant_b, by=me, title="Open accepted")
    transition(accepted, "respond", me)
    accepted.level = Level.chief
    returned = make_request(tenant_a, by=me, title="Was returned")
    transition(returned, "return", me, text="Wrong channel")
    closed = make_request(tenant_b, by=me, title="Was closed")
    for action, text in (("respond", None), ("arrive", None), ("resolve", "Fixed the lift")):
        transition(closed, action, me, text=text)
    transition(closed, "confirm", me, rating=5)
    db.session.commit()
    make_request(elsewhere, by=me, title="Other building")

    with count_queries() as statements:
        body = browser.get(f"/buildings/{building.id}").get_data(as_text=True)
    assert "Open submitted" in body and "Open accepted" in body
    assert "Was returned" not in body and "Was closed" not in body and "Other building" not in body
    assert "Open requests of its enterprises (2)" in body
    assert open_a.reference in body and "Tenant A Ltd" in body and "Chief" in body
    assert sum("service_requests" in s for s in statements) == 1


def test_enterprise_contacts_cannot_see_registry_pages(browser, login_as, make_enterprise, make_building):
    building = make_building()
    enterprise = make_enterprise(building=building)
    login_as(Role.enterprise, enterprise_id=enterprise.id)
    assert browser.get(f"/enterprises/{enterprise.id}").status_code == 403
    assert browser.get(f"/buildings/{building.id}").status_code == 403
