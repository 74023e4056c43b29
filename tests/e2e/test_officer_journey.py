"""Officer journey in a real browser: log in, find an enterprise, log a visit, raise a request from it
and carry it to closure, watching the 51530 countdown; axe-core on every main page on the way."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import HandlingMode, Role, ServiceRequest, Topic
from tests.conftest import TEST_PASSWORD
from tests.e2e.support import assert_countdown, check_accessibility, log_in, screenshot, submit

pytestmark = pytest.mark.e2e


@pytest.fixture
def district(make_user, make_building, make_enterprise):
    officer = make_user(Role.officer, name="Zhou Min", email="zhou.min@jingan.example", phone="13800001111")
    make_user(Role.officer, name="Chen Jie", email="chen.jie@jingan.example")
    tower = make_building(name="Jing'an Kerry Centre", name_zh="静安嘉里中心")
    acme = make_enterprise(name="Acme Trading (Shanghai) Co., Ltd.", name_zh="阿克米贸易（上海）有限公司",
                           building=tower, unit="23F", officer=officer, employees=240)
    for name in ("Bund Capital Partners Ltd", "Citic Square Services Co."):
        make_enterprise(name=name, building=tower, officer=officer)
    return {"officer": officer, "enterprise": acme}


def test_officer_logs_a_visit_raises_a_request_and_closes_it(page, district):
    officer, acme = district["officer"], district["enterprise"]
    page.goto("/login")
    check_accessibility(page, "login")
    log_in(page, officer.email, TEST_PASSWORD)
    check_accessibility(page, "home")

    # Find the enterprise: the main navigation, then the registry's search.
    page.locator("nav.mainnav a[href='/enterprises']").click()
    page.locator("#q").fill("Acme")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"/enterprises\?.*q=Acme"))
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1, rows.all_inner_texts()
    check_accessibility(page, "enterprise list")
    rows.locator(f"a[href='/enterprises/{acme.id}']").click()
    page.wait_for_url(f"**/enterprises/{acme.id}")
    check_accessibility(page, "enterprise detail")

    # Log a visit: the form comes with the enterprise, today and the officer chosen.
    page.locator(f".page-head a[href='/visits/new?enterprise={acme.id}']").click()
    form = page.locator("main form[method=post]")
    assert form.locator("#enterprise_id").input_value() == str(acme.id)
    assert form.locator("#officer_ids option:checked").evaluate_all("os => os.map(o => o.value)") == [str(officer.id)]
    form.locator("#summary").fill("Met the office manager. The east lift has stopped twice this week; "
                                  "they also asked about parking permits for visitors.")
    check_accessibility(page, "visit form")
    submit(form)
    assert re.search(r"/visits/\d+$", page.url), page.url

    # Raise a request from the visit.
    page.locator(".page-head a[href^='/requests/new?visit=']").click()
    form = page.locator("main form[method=post]")
    assert form.locator("#enterprise_id").input_value() == str(acme.id)
    topic = _db.session.scalar(select(Topic.id).where(Topic.name == "Property and facilities"))
    on_site = _db.session.scalar(select(HandlingMode.id).where(HandlingMode.code == "on-site"))
    form.locator("#category").select_option("problem")
    form.locator("#topic_id").select_option(str(topic))
    form.locator("#handling_mode_id").select_option(str(on_site))
    form.locator("#title").fill("East lift out of order on 23F")
    form.locator("#description").fill("The east lift stopped between floors twice this week; staff were stuck 20 minutes.")
    check_accessibility(page, "new request form")
    submit(form)
    sr = _db.session.scalar(select(ServiceRequest))
    assert page.url.endswith(f"/requests/{sr.id}") and sr.visit_id is not None

    # The detail page counts down to the first time limit, and the countdown moves by itself.
    assert_countdown(page, ".milestones")
    check_accessibility(page, "request detail")

    # The queue shows the countdown too, with the request first.
    page.locator("nav.mainnav a[href='/requests/']").click()
    page.wait_for_url("**/requests/")
    row = page.locator("table.queue tbody tr").first
    assert row.locator(f"a[href='/requests/{sr.id}']").count() == 1
    assert_countdown(page, "table.queue", ticks=False)
    check_accessibility(page, "requests queue")
    screenshot(page, "officer-queue")
    row.locator(f"a[href='/requests/{sr.id}']").click()
    page.wait_for_url(f"**/requests/{sr.id}")

    # Carry it to closure: respond, arrive, resolve, and record the enterprise's confirmation.
    steps = [("respond", "accepted", None), ("arrive", "on_site", None),
             ("resolve", "resolved", "Lift engineer replaced the door sensor; tested 20 runs.")]
    for action, state, note in steps:
        form = page.locator(f"form[action='/requests/{sr.id}/act/{action}']")
        if note:
            form.locator("textarea[name=note]").fill(note)
        submit(form)
        assert page.locator(f".request-status .badge-state-{state}").count() == 1, page.locator("main").inner_text()[:500]
    screenshot(page, "officer-request-resolved")
    form = page.locator(f"form[action='/requests/{sr.id}/act/confirm']")
    form.locator("select[name=rating]").select_option("5")
    form.locator("textarea[name=note]").fill("Confirmed by phone: all good.")
    submit(form)
    assert page.locator(".request-status .badge-state-closed").count() == 1
    assert page.locator(".countdown").count() == 0  # nothing left to count down

    _db.session.expire_all()
    closed = _db.session.get(ServiceRequest, sr.id)
    assert closed.state.value == "closed" and closed.rating == 5
