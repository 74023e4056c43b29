"""Officer screens: queue, escalations, new request, detail with actions and timeline, through HTTP."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from app import clock
from app.extensions import db as _db
from app.models import (
    Department, Level, Milestone, MilestoneKind, RequestEvent, Role, ServiceRequest, State, Topic, Visit,
)
from app.services import requests as wf
from tests.conftest import Browser

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def at(minutes: float) -> None:
    clock.freeze(T0 + timedelta(minutes=minutes))


VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def version_on(page: str) -> str:
    match = VERSION.search(page)
    assert match, "no version field on the page"
    return match.group(1)


def follow(browser, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def reload(request_id: int) -> ServiceRequest:
    _db.session.expire_all()
    return _db.session.get(ServiceRequest, request_id)


def event_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(RequestEvent))


def switch_to(browser, login_as, role: Role, **kw):
    """Log out, then log in as a new user of the role."""
    assert browser.post("/logout", token_from="/requests/").status_code == 302
    return login_as(role, **kw)


def section(page: str, element_id: str) -> str:
    """The HTML of the <section id=...> (enough for asserting what it contains)."""
    start = page.index(f'id="{element_id}"')
    return page[start:page.index("</section>", start)]


def topic_id(name: str = "Property and facilities") -> int:
    return _db.session.scalar(select(Topic.id).where(Topic.name == name))


def mode_id(code: str = "on-site") -> int:
    from app.models import HandlingMode

    return _db.session.scalar(select(HandlingMode.id).where(HandlingMode.code == code))


def new_request_data(enterprise, **overrides) -> dict:
    data = {
        "enterprise_id": str(enterprise.id),
        "category": "problem",
        "topic_id": str(topic_id()),
        "handling_mode_id": str(mode_id()),
        "channel": "phone",
        "priority": "high",
        "title": "Lift out of order on 12F",
        "description": "The east lift stopped between floors twice this week; staff are taking the stairs.",
        "visit_id": "",
    }
    data.update(overrides)
    return data


# --- from submission to closure ----------------------------------------------------------


def test_officer_takes_a_request_from_submission_to_closure(browser, login_as, make_enterprise, db):
    officer = login_as(Role.officer, name="Li Wei")
    enterprise = make_enterprise(name="Adient China", officer=officer)

    response = browser.post("/requests/new", new_request_data(enterprise), token_from="/requests/new")
    page = follow(browser, response)
    sr = db.session.scalar(select(ServiceRequest))
    assert sr.reference == "JAS-2026-000001" and sr.state is State.submitted
    assert sr.assigned_officer_id == officer.id and sr.created_by_id == officer.id
    # The flash names the reference and the three due times in Shanghai time.
    assert "Registered JAS-2026-000001" in page
    assert "2026-03-02 09:05" in page and "2026-03-02 09:15" in page and "2026-03-02 09:30" in page
    url = f"/requests/{sr.id}"

    steps = [
        (3, "respond", {"note": "Called the enterprise back"}, State.accepted, "Respond"),
        (12, "arrive", {}, State.on_site, "Arrive on site"),
        (25, "give_plan", {"note": "Lift contractor booked for 14:00"}, State.plan_given, "Give a plan"),
        (50, "resolve", {"note": "Lift repaired and inspected"}, State.resolved, "Resolve"),
        (70, "confirm", {"rating": "5", "note": "Quick and friendly"}, State.closed, "Confirm and rate"),
    ]
    for minute, action, data, state, label in steps:
        at(minute)
        page = browser.get(url).get_data(as_text=True)
        assert f'action="/requests/{sr.id}/act/{action}"' in page
        data = {**data, "version": version_on(page)}
        page = follow(browser, browser.post(f"{url}/act/{action}", data, token_from=url))
        assert f"{label}: JAS-2026-000001 is now {state.label.lower()}" in page
        assert reload(sr.id).state is state

    sr = reload(sr.id)
    assert sr.rating == 5 and sr.closed_at == T0 + timedelta(minutes=70)
    timeline = section(browser.get(url).get_data(as_text=True), "timeline")
    expected = [
        ("09:00", "Received"), ("09:03", "Respond"), ("09:12", "Arrive on site"), ("09:25", "Give a plan"),
        ("09:50", "Resolve"), ("10:10", "Confirm and rate"), ("10:10", "Rated"),
    ]
    position = 0
    for time, title in expected:
        found = re.search(rf"2026-03-02 {time}</time>\s*<strong class=\"event-title\">{re.escape(title)}</strong>",
                          timeline[position:])
        assert found, (time, title)
        position += found.end()
    assert "Submitted → Accepted" in timeline and "Resolved → Closed" in timeline
    assert "Lift contractor booked for 14:00" in timeline and "Rated 5/5: Quick and friendly" in timeline
    assert timeline.count("Li Wei") == len(expected)
    # Every milestone met on time, and a closed request offers no more actions.
    page = browser.get(url).get_data(as_text=True)
    assert page.count("On time") == 3 and "/act/" not in page


def test_detail_shows_milestones_countdown_and_loads_the_script(browser, login_as, make_request):
    officer = login_as(Role.officer)
    sr = make_request(by=officer)
    at(2.5)
    page = browser.get(f"/requests/{sr.id}").get_data(as_text=True)
    assert 'data-due="2026-03-02T01:05:00Z"' in page and 'data-start="2026-03-02T01:00:00Z"' in page
    assert ">2:30 left</span>" in page and ">12:30 left</span>" in page and ">27:30 left</span>" in page
    assert '<script src="/static/js/countdown.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline scripts: the CSP will forbid them"
    at(4.5)  # the last fifth of the 5 minutes: amber
    assert 'class="countdown countdown-soon"' in browser.get(f"/requests/{sr.id}").get_data(as_text=True)
    at(8 + 5 / 60)
    page = browser.get(f"/requests/{sr.id}").get_data(as_text=True)
    assert 'class="countdown countdown-overdue"' in page and ">overdue 3:05</span>" in page
    assert "Overdue" in page and 'class="badge badge-breached"' in page


# --- refusals ----------------------------------------------------------------------------


def test_action_in_the_wrong_state_is_refused_and_changes_nothing(browser, login_as, make_request):
    officer = login_as(Role.officer)
    sr = make_request(by=officer)
    url = f"/requests/{sr.id}"
    version = version_on(browser.get(url).get_data(as_text=True))
    before = event_count()
    page = follow(browser, browser.post(f"{url}/act/resolve", {"version": version, "note": "Done"}, token_from=url))
    assert "Cannot “resolve” a request that is submitted: only when on site, plan given." in page
    assert 'class="flash flash-error"' in page
    assert reload(sr.id).state is State.submitted and event_count() == before


@pytest.mark.parametrize("path, data, message", [
    ("act/respond", {"note": "ok"}, "Your role (Leadership) cannot “respond” a request."),
    ("act/return", {"note": "wrong door"}, "Your role (Leadership) cannot “return (wrong channel)” a request."),
    ("note", {"text": "Looks fine"}, "Your role (Leadership) cannot add notes."),
    ("escalate", {"reason": "Important"}, "Your role (Leadership) cannot escalate requests."),
])
def test_leadership_reads_but_its_posts_are_refused(browser, login_as, make_request, path, data, message):
    sr = make_request()
    login_as(Role.leader)
    url = f"/requests/{sr.id}"
    page = browser.get(url).get_data(as_text=True)
    assert sr.title in page and "<form method=\"post\" action=\"/requests/" not in page  # read-only
    before = event_count()
    page = follow(browser, browser.post(f"{url}/{path}", {**data, "version": str(sr.version)}, token_from=url))
    assert message in page
    sr = reload(sr.id)
    assert sr.state is State.submitted and sr.level is Level.officer and event_count() == before


def test_only_the_chief_dispatches(browser, login_as, make_request, db):
    officer = login_as(Role.officer)
    sr = make_request(by=officer, mode="joint")
    wf.transition(sr, "respond", officer)
    db.session.commit()
    url = f"/requests/{sr.id}"
    housing = db.session.scalar(select(Department.id).where(Department.name == "Housing Management Bureau"))
    page = browser.get(url).get_data(as_text=True)
    assert "/dispatch" not in page
    page = follow(browser, browser.post(f"{url}/dispatch", {"departments": str(housing), "version": version_on(page)},
                                        token_from=url))
    assert "Only the chief liaison dispatches requests to departments." in page
    assert reload(sr.id).departments == []

    switch_to(browser, login_as, Role.chief, name="Wang Fang")
    page = browser.get(url).get_data(as_text=True)
    assert f'action="{url}/dispatch"' in page
    page = follow(browser, browser.post(f"{url}/dispatch", {"departments": str(housing), "note": "Inspect the lift",
                                                            "version": version_on(page)}, token_from=url))
    assert "Dispatched to Housing Management Bureau." in page
    assert [d.name for d in reload(sr.id).departments] == ["Housing Management Bureau"]
    assert "Dispatched to Housing Management Bureau: Inspect the lift" in section(page, "timeline")


def test_enterprise_users_cannot_open_the_staff_pages(browser, login_as, make_request):
    sr = make_request()
    login_as(Role.enterprise, enterprise=sr.enterprise)
    for url in (f"/requests/{sr.id}", "/requests/", "/requests/new", "/requests/escalations"):
        assert browser.get(url).status_code == 403, url
    response = browser.post(f"/requests/{sr.id}/act/respond", {"version": "1"}, token_from="/portal/")
    assert response.status_code == 403
    assert reload(sr.id).state is State.submitted


def test_a_stale_page_is_refused(app, browser, login_as, make_request, make_user):
    """Two officers open the same request; the first acts; the second's page is out of date."""
    first = login_as(Role.officer, name="Li Wei")
    sr = make_request(by=first)
    url = f"/requests/{sr.id}"
    second_user = make_user(Role.officer, name="Zhao Min")
    second = Browser(app.test_client())
    assert second.login(second_user.email).status_code == 302

    first_page = browser.get(url).get_data(as_text=True)
    second_page = second.get(url).get_data(as_text=True)
    assert version_on(first_page) == version_on(second_page) == "1"

    follow(browser, browser.post(f"{url}/act/respond", {"version": version_on(first_page)}, token_from=url))
    assert reload(sr.id).state is State.accepted
    before = event_count()

    # "Return" is allowed in the new state too, but Zhao Min decided on a page that is out of date.
    response = second.post(f"{url}/act/return", {"version": version_on(second_page), "note": "Wrong channel"},
                           token_from=url)
    page = follow(second, response)
    assert "This request was changed by someone else; reload the page and try again." in page
    assert reload(sr.id).state is State.accepted and event_count() == before
    # The escalation and note forms carry the version too.
    response = second.post(f"{url}/escalate", {"version": version_on(second_page), "reason": "Urgent"}, token_from=url)
    assert "changed by someone else" in follow(second, response)
    assert reload(sr.id).level is Level.officer


def test_missing_version_is_refused(browser, login_as, make_request):
    officer = login_as(Role.officer)
    sr = make_request(by=officer)
    url = f"/requests/{sr.id}"
    response = browser.post(f"{url}/act/respond", {"note": "hi"}, token_from=url)
    assert response.status_code == 422
    assert "missing the request&#39;s version" in response.get_data(as_text=True)
    assert reload(sr.id).state is State.submitted


@pytest.mark.parametrize("action, note, error", [
    ("give_plan", "", "“Give a plan” needs this note."),
    ("resolve", "   ", "“Resolve” needs this note."),
    ("resolve", "x" * 5001, "Keep the note to 5000 characters or fewer."),
])
def test_action_notes_get_field_errors_and_keep_input(browser, login_as, make_request, db, action, note, error):
    officer = login_as(Role.officer)
    sr = make_request(by=officer)
    wf.transition(sr, "respond", officer)
    wf.transition(sr, "arrive", officer)
    db.session.commit()
    url = f"/requests/{sr.id}"
    before = event_count()
    response = browser.post(f"{url}/act/{action}", {"version": str(reload(sr.id).version), "note": note}, token_from=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error in page and f'id="{action}-note-err"' in page and "Nothing was saved" in page
    if note.strip():
        assert note in page  # what was typed is kept
    assert reload(sr.id).state is State.on_site and event_count() == before


def test_note_and_escalation_forms(browser, login_as, make_request):
    officer = login_as(Role.officer, name="Li Wei")
    sr = make_request(by=officer)
    url = f"/requests/{sr.id}"

    response = browser.post(f"{url}/note", {"version": "1", "text": ""}, token_from=url)
    assert response.status_code == 422 and "Write the note." in response.get_data(as_text=True)
    page = follow(browser, browser.post(f"{url}/note", {"version": "1", "text": "Landlord called", "internal": "y"},
                                        token_from=url))
    assert "Internal note added." in page
    timeline = section(page, "timeline")
    assert "Landlord called" in timeline and '<span class="badge badge-internal">internal</span>' in timeline

    response = browser.post(f"{url}/escalate", {"version": "1", "reason": ""}, token_from=url)
    assert response.status_code == 422 and "Say why the request is escalated." in response.get_data(as_text=True)
    page = follow(browser, browser.post(f"{url}/escalate", {"version": "1", "reason": "Needs the landlord"},
                                        token_from=url))
    assert "Escalated JAS-2026-000001 to the chief level." in page
    assert reload(sr.id).level is Level.chief
    assert "Escalated from officer to chief: Needs the landlord" in section(page, "timeline")


def test_confirm_is_offered_to_officers_and_a_low_rating_reopens(browser, login_as, make_request, db):
    officer = login_as(Role.officer)
    sr = make_request(by=officer)
    for action in ("respond", "arrive", "resolve"):
        wf.transition(sr, action, officer, text="done")
    db.session.commit()
    url = f"/requests/{sr.id}"
    page = browser.get(url).get_data(as_text=True)
    assert f'action="{url}/act/confirm"' in page and 'name="rating"' in page
    response = browser.post(f"{url}/act/confirm", {"version": version_on(page), "rating": ""}, token_from=url)
    assert response.status_code == 422 and "Choose a rating from 1 to 5." in response.get_data(as_text=True)
    at(40)
    page = follow(browser, browser.post(f"{url}/act/confirm", {"version": version_on(page), "rating": "2",
                                                               "note": "Broke again"}, token_from=url))
    sr = reload(sr.id)
    assert sr.state is State.reopened and sr.cycle == 2
    assert "cycle 2 (reopened)" in page and page.count("Pending") == 3


def test_csrf_token_is_required(browser, login_as, make_request):
    officer = login_as(Role.officer)
    sr = make_request(by=officer)
    browser.get(f"/requests/{sr.id}")
    response = browser.client.post(f"/requests/{sr.id}/act/respond", data={"version": "1"})
    assert response.status_code == 400
    assert reload(sr.id).state is State.submitted


# --- queues ------------------------------------------------------------------------------


def test_queue_sorts_by_next_due_and_filters_breached(browser, login_as, make_request, make_enterprise,
                                                      make_user, make_building, db):
    officer = login_as(Role.officer)
    tower = make_building(name="Plaza 66")
    mine = make_enterprise(officer=officer, building=tower)
    done = make_request(enterprise=mine, by=officer, title="Delta all met")  # 09:00
    for action in ("respond", "arrive", "give_plan"):
        wf.transition(done, action, officer, text="ok")
    make_request(enterprise=mine, by=officer, title="Alpha first due")  # respond due 09:05
    at(1)
    make_request(enterprise=mine, by=officer, title="Charlie tracked", mode="tracked")  # due in a day
    at(2)
    make_request(enterprise=mine, by=officer, title="Bravo second due")  # respond due 09:07
    echo = make_request(enterprise=mine, by=officer, title="Echo breach marked")  # due 09:07, then met late
    wf.transition(echo, "respond", officer)
    db.session.execute(
        Milestone.__table__.update()
        .where(Milestone.request_id == echo.id, Milestone.kind == MilestoneKind.respond)
        .values(breached_at=T0 + timedelta(minutes=1))
    )
    make_request(enterprise=make_enterprise(officer=make_user(Role.officer)), title="Foxtrot not mine")
    db.session.commit()

    at(6.5)
    page = browser.get("/requests/").get_data(as_text=True)
    order = [t for t in re.findall(r">(\w+) (?:first due|second due|tracked|all met|breach marked|not mine)</a>", page)]
    # Echo's next unmet milestone (on site) is due at 09:17.
    assert order == ["Alpha", "Bravo", "Echo", "Charlie", "Delta"]
    assert ">overdue 1:30</span>" in page and ">0:30 left</span>" in page and ">23:54:30 left</span>" in page
    assert 'class="countdown countdown-soon"' in page  # Bravo: 30 s of 5 minutes left
    assert page.count('class="is-breached"') == 2  # Alpha (unmet past due) and Echo (breach marked)

    page = browser.get("/requests/?breached=1").get_data(as_text=True)
    assert "Alpha first due" in page and "Echo breach marked" in page
    assert "Bravo" not in page and "Charlie" not in page and "Delta" not in page
    # Echo's next milestone is not due yet, but the breach makes its countdown red from the start.
    assert re.search(r'class="countdown countdown-overdue" role="timer" data-due="2026-03-02T01:17:00Z"[^>]*'
                     r'data-breached="1"[^>]*>10:30 left<', page)

    page = browser.get("/requests/?scope=all").get_data(as_text=True)
    assert "Foxtrot not mine" in page and "Alpha first due" in page
    assert "Foxtrot" not in browser.get("/requests/").get_data(as_text=True)

    filtered = browser.get(f"/requests/?state=submitted&category=problem&topic={topic_id()}&building={tower.id}")
    assert filtered.status_code == 200
    text = filtered.get_data(as_text=True)
    assert "Alpha" in text and "Bravo" in text and "Charlie" in text
    assert "Echo" not in text and "Delta" not in text  # accepted, plan given
    assert "Alpha" not in browser.get(f"/requests/?building={make_building().id}").get_data(as_text=True)


def test_queue_does_not_query_per_row(app, browser, login_as, make_request, make_enterprise, make_building, make_user):
    """No N+1: the queue's statement count does not grow with its rows."""
    login_as(Role.officer)

    def queries_for_page():
        statements = []
        listener = lambda *a: statements.append(a[2])
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            assert browser.get("/requests/?scope=all").status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        return len(statements)

    def add():
        enterprise = make_enterprise(building=make_building(), officer=make_user(Role.officer))
        make_request(enterprise=enterprise)

    for _ in range(2):
        add()
    few = queries_for_page()
    for _ in range(8):
        add()
    assert queries_for_page() == few


def test_queue_is_paginated(browser, login_as, make_request, make_enterprise, app):
    officer = login_as(Role.officer)
    enterprise = make_enterprise(officer=officer)
    for n in range(app.config["PER_PAGE"] + 2):
        make_request(enterprise=enterprise, by=officer, title=f"Request number {n:02d}")
    first = browser.get("/requests/").get_data(as_text=True)
    assert "Request number 00" in first and "Request number 26" not in first and 'rel="next"' in first
    second = browser.get("/requests/?page=2").get_data(as_text=True)
    assert "Request number 26" in second and "Request number 00" not in second


def test_escalation_queue_lists_only_chief_and_leadership_level(browser, login_as, make_request, make_user, db):
    officer = make_user(Role.officer)
    plain = make_request(by=officer, title="Plain officer level")
    chief_level = make_request(by=officer, title="Up to the chief")
    leadership = make_request(by=officer, title="Up to leadership")
    gone = make_request(by=officer, title="Escalated then returned")
    wf.escalate(chief_level, officer, "Landlord refuses")
    wf.escalate(leadership, officer, "Landlord refuses")
    wf.escalate(leadership, officer, "Still refuses")
    wf.escalate(gone, officer, "Unclear")
    wf.transition(gone, "return", officer, text="Belongs to the district hotline")
    db.session.commit()
    assert plain.level is Level.officer

    login_as(Role.chief)
    page = browser.get("/requests/escalations").get_data(as_text=True)
    assert "Up to the chief" in page and "Up to leadership" in page
    assert "Plain officer level" not in page and "Escalated then returned" not in page
    for role in (Role.leader, Role.admin):
        switch_to(browser, login_as, role)
        assert browser.get("/requests/escalations").status_code == 200
    switch_to(browser, login_as, Role.officer)
    assert browser.get("/requests/escalations").status_code == 403


def test_leader_and_admin_see_all_open_requests_read_only(browser, login_as, make_request):
    make_request(title="Somebody's request")
    login_as(Role.leader)
    page = browser.get("/requests/").get_data(as_text=True)
    assert "Somebody&#39;s request" in page and "New request" not in page and "My queue" not in page
    assert browser.get("/requests/new").status_code == 403


# --- taking a request --------------------------------------------------------------------


def test_new_request_form_errors_keep_input(browser, login_as, make_enterprise, db):
    login_as(Role.officer)
    enterprise = make_enterprise(name="COACH Shanghai")
    long_title = "T" * 201
    data = new_request_data(enterprise, title=long_title, description="", category="")
    response = browser.post("/requests/new", data, token_from="/requests/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keep the title to 200 characters or fewer." in page
    assert "Describe what the enterprise needs." in page
    assert "Choose difficulty, problem or need." in page
    assert f'value="{long_title}"' in page
    assert re.search(rf'<option selected value="{enterprise.id}">COACH Shanghai', page)
    assert re.search(r'<option selected value="high">', page)
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 0

    response = browser.post("/requests/new", new_request_data(enterprise, description="x" * 5001),
                            token_from="/requests/new")
    assert response.status_code == 422
    assert "Keep the description to 5000 characters or fewer." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 0


def test_inactive_topics_and_modes_are_not_offered(browser, login_as, make_enterprise, db):
    from app.models import HandlingMode

    login_as(Role.officer)
    db.session.get(Topic, topic_id("Tax")).active = False
    db.session.get(HandlingMode, mode_id("tracked")).active = False
    db.session.commit()
    page = browser.get("/requests/new").get_data(as_text=True)
    assert ">Tax</option>" not in page and ">Tracked (跟踪办)</option>" not in page
    assert ">On-site (上门办)</option>" in page
    response = browser.post("/requests/new", new_request_data(make_enterprise(), topic_id=str(topic_id("Tax"))),
                            token_from="/requests/new")
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)


def test_request_raised_from_a_visit(browser, login_as, make_enterprise, db):
    officer = login_as(Role.officer)
    visited, other = make_enterprise(name="L'Oreal China"), make_enterprise(name="Someone Else")
    visit = Visit(enterprise=visited, visited_on=clock.today(), summary="Quarterly visit", created_by=officer)
    db.session.add(visit)
    db.session.commit()

    page = browser.get(f"/requests/new?visit={visit.id}").get_data(as_text=True)
    assert "Raised during the visit of 2026-03-02" in page
    assert f'name="visit_id" type="hidden" value="{visit.id}"' in page
    assert re.search(rf'<option selected value="{visited.id}">', page)
    assert re.search(r'<option selected value="visit">', page)

    response = browser.post("/requests/new", new_request_data(other, visit_id=str(visit.id), channel="visit"),
                            token_from="/requests/new")
    assert response.status_code == 422
    assert "raised from the visit of 2026-03-02 to L&#39;Oreal China; choose that enterprise" in response.get_data(as_text=True)

    response = browser.post("/requests/new", new_request_data(visited, visit_id=str(visit.id), channel="visit"),
                            token_from="/requests/new")
    assert response.status_code == 302
    sr = db.session.scalar(select(ServiceRequest))
    assert sr.visit_id == visit.id and sr.enterprise_id == visited.id
    assert browser.get("/requests/new?visit=999999").status_code == 404


HUGE = "99999999999999999999"


@pytest.mark.parametrize("url, status", [
    (f"/requests/{HUGE}", 404), (f"/requests/?topic={HUGE}&building={HUGE}", 200), ("/requests/?state=bogus", 200),
    (f"/requests/?page={HUGE}", 404), (f"/requests/new?visit={HUGE}", 404), ("/requests/new?visit=x", 404),
    (f"/requests/new?enterprise={HUGE}", 200), ("/requests/999/act/respond", 405),
])
def test_odd_urls_are_never_a_500(browser, login_as, url, status):
    login_as(Role.chief)
    assert browser.get(url).status_code == status


def test_odd_posted_ids_are_field_errors(browser, login_as, make_request, make_enterprise, db):
    chief = login_as(Role.chief)
    sr = make_request(by=chief)
    wf.transition(sr, "respond", chief)
    db.session.commit()
    url = f"/requests/{sr.id}"
    response = browser.post(f"{url}/dispatch", {"version": "2", "departments": HUGE}, token_from=url)
    assert response.status_code == 422 and reload(sr.id).departments == []
    response = browser.post("/requests/new", new_request_data(make_enterprise(), visit_id=HUGE), token_from="/requests/new")
    assert response.status_code == 422 and "start again from the visit" in response.get_data(as_text=True)
    assert browser.post(f"{url}/act/nonsense", {"version": "2"}, token_from=url).status_code == 404


def test_new_request_can_be_assigned_to_another_officer(browser, login_as, make_enterprise, make_user, db):
    taker = login_as(Role.officer)
    responsible, colleague = make_user(Role.officer), make_user(Role.officer, name="Sun Hao")
    enterprise = make_enterprise(officer=responsible)
    page = browser.get("/requests/new").get_data(as_text=True)
    assert "The enterprise&#39;s responsible officer" in page and ">Sun Hao</option>" in page
    browser.post("/requests/new", new_request_data(enterprise), token_from="/requests/new")
    browser.post("/requests/new", new_request_data(enterprise, assigned_officer_id=str(colleague.id)),
                 token_from="/requests/new")
    first, second = db.session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)).all()
    assert first.assigned_officer_id == responsible.id and second.assigned_officer_id == colleague.id
    assert first.created_by_id == second.created_by_id == taker.id


def test_a_request_left_alone_turns_red_escalates_and_counts_as_breached(app, browser, login_as, make_request, db):
    """The issue's 'done means': nobody responds; the queue's scan job does the rest."""
    from app.jobs.sla import scan_sla
    from app.jobs.worker import make_worker
    from app.queue import get_queue, get_redis

    officer = login_as(Role.officer)
    request = make_request(by=officer, assigned_officer=officer, title="Nobody answered this one")
    queue_page = browser.get("/requests/").get_data(as_text=True)
    assert "Nobody answered this one" in queue_page and "countdown-overdue" not in queue_page

    at(5 + 1 / 60)  # 5 minutes and a second: the respond milestone is overdue
    get_queue().enqueue(scan_sla)
    make_worker(app, ["default"], get_redis(), simple=True).work(burst=True)

    db.session.expire_all()
    assert reload(request.id).level is Level.chief
    respond = next(m for m in reload(request.id).milestones if m.kind is MilestoneKind.respond)
    assert respond.breached_at == T0 + timedelta(minutes=5, seconds=1)
    queue_page = browser.get("/requests/", query_string={"breached": "1"}).get_data(as_text=True)
    assert "Nobody answered this one" in queue_page
    assert "countdown-overdue" in queue_page and "overdue 0:01" in queue_page
    timeline = browser.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Missed: respond" in timeline and "Escalated automatically" in timeline

    switch_to(browser, login_as, Role.chief)
    assert "Nobody answered this one" in browser.get("/requests/escalations").get_data(as_text=True)


def test_home_counts_open_breached_and_escalated_requests(browser, login_as, make_request, make_user, db):
    chief = login_as(Role.chief)
    officer = make_user(Role.officer)
    make_request(by=officer, assigned_officer=chief, title="Mine")
    late = make_request(by=officer, assigned_officer=officer, title="Late")
    wf.escalate(late, officer, "Landlord refuses")
    db.session.commit()
    at(6)  # the respond milestones of both are now past due
    page = browser.get("/").get_data(as_text=True)
    tiles = {label: int(value) for value, label in
             re.findall(r'<span class="tile-value">(\d+)</span><span class="tile-label">([^<]+)<', page)}
    assert tiles["Open requests assigned to me"] == 1
    assert tiles["Open requests"] == 2
    assert tiles["Open and breached (51530)"] == 2
    assert tiles["Escalated to chief or leadership"] == 1


def test_detail_does_not_query_per_event_author(browser, login_as, make_request, make_user, db):
    """No N+1 on the timeline: the statement count does not grow with the number of note authors."""
    login_as(Role.officer)
    sr = make_request()

    def queries_for_page():
        statements = []
        listener = lambda *a: statements.append(a[2])
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            assert browser.get(f"/requests/{sr.id}").status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        return len(statements)

    def add_notes(n: int) -> None:
        for i in range(n):
            wf.add_note(reload(sr.id), make_user(Role.officer), f"Note {i}", internal=False)
        db.session.commit()

    add_notes(2)
    few = queries_for_page()
    add_notes(5)
    assert queries_for_page() == few


def test_staff_notes_are_internal_unless_unticked(browser, login_as, make_request):
    officer = login_as(Role.officer)
    request = make_request(by=officer)
    page = browser.get(f"/requests/{request.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="internal"|<input[^>]*name="internal"[^>]*checked', page)
