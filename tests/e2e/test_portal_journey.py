"""Portal journey in a real browser: an officer invites a contact, who accepts, files a request with an
attachment, follows it while the officer handles it, and rates it; another enterprise's request is
nowhere to be seen. Two browser contexts: the officer's and the contact's."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Role, ServiceRequest, Topic
from tests.conftest import TEST_PASSWORD
from tests.e2e.support import assert_countdown, check_accessibility, log_in, screenshot, submit
from tests.portal.conftest import PDF

pytestmark = pytest.mark.e2e

CONTACT_PASSWORD = "lantern-harbour-2026"
MISSING_ID = 999_999


@pytest.fixture
def two_enterprises(make_user, make_building, make_enterprise, make_request):
    officer = make_user(Role.officer, name="Zhou Min", email="zhou.min@jingan.example", phone="13800001111")
    tower = make_building(name="Wheelock Square", name_zh="会德丰国际广场")
    acme = make_enterprise(name="Acme Trading (Shanghai) Co., Ltd.", name_zh="阿克米贸易（上海）有限公司",
                           building=tower, unit="12F", officer=officer)
    rival = make_enterprise(name="Victoria Secretive Holdings Ltd", name_zh="维多利亚秘密控股", building=tower,
                            officer=officer)
    secret = make_request(enterprise=rival, by=officer, title="Quietly planning to relocate the HQ")
    return {"officer": officer, "enterprise": acme, "rival": rival, "secret": secret}


def test_invited_contact_files_follows_and_rates_a_request(pages, two_enterprises):
    officer, acme, secret = two_enterprises["officer"], two_enterprises["enterprise"], two_enterprises["secret"]

    # The officer invites a contact from the enterprise page; without mail set up, the link is shown.
    desk = pages.new_page()
    log_in(desk, officer.email, TEST_PASSWORD)
    desk.goto(f"/enterprises/{acme.id}#portal")
    invite = desk.locator(f"form[action='/enterprises/{acme.id}/invitations']")
    invite.locator("input[name=name]").fill("Lin Jiahui")
    invite.locator("input[name=email]").fill("lin.jiahui@acme.example")
    invite.locator("input[name=phone]").fill("13900002222")
    submit(invite)
    link = desk.locator("#invitation-link").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/portal/invitation/[\w-]{40,}", link), link

    # The contact opens the link, chooses a password and lands in the portal.
    contact = pages.new_page()
    contact.goto(link)
    check_accessibility(contact, "invitation (set password)")
    contact.locator("#password").fill(CONTACT_PASSWORD)
    contact.locator("#confirm").fill(CONTACT_PASSWORD)
    submit(contact.locator("form:has(#confirm)"))
    assert contact.url.endswith("/portal/"), contact.url

    # ...files a request with a photo of the problem...
    contact.locator("main .page-head a[href='/portal/requests/new']").click()
    form = contact.locator("main form[method=post]")
    topic = _db.session.scalar(select(Topic.id).where(Topic.name == "Property and facilities"))
    form.locator("#category").select_option("problem")
    form.locator("#topic_id").select_option(str(topic))
    form.locator("#title").fill("Water leaking from the ceiling in 12F pantry")
    form.locator("#description").fill("Since this morning water drips from the ceiling next to the pantry sink.")
    form.locator("#attachments").set_input_files(files=[{"name": "pantry-ceiling.pdf", "mimeType": "application/pdf",
                                                         "buffer": PDF}])
    check_accessibility(contact, "portal new request")
    submit(form)
    sr = _db.session.scalar(select(ServiceRequest).where(ServiceRequest.enterprise_id == acme.id))
    assert contact.url.endswith(f"/portal/requests/{sr.id}/filed")
    assert sr.reference in contact.locator("main").inner_text()
    check_accessibility(contact, "portal request filed")

    # ...and follows it: a countdown on the home page, ticking on the request's page.
    contact.locator("nav.mainnav a[href='/portal/']").click()
    contact.wait_for_url("**/portal/")
    assert contact.locator(f"#requests a[href='/portal/requests/{sr.id}']").count() == 1
    assert_countdown(contact, "#requests", ticks=False)
    check_accessibility(contact, "portal home")
    contact.locator(f"#requests a[href='/portal/requests/{sr.id}']").click()
    assert_countdown(contact, ".milestones")
    assert contact.locator(f"a[href^='/portal/requests/{sr.id}/attachments/']").count() == 1
    check_accessibility(contact, "portal request")

    # The officer handles it from the queue: respond, on site, resolved with a note for the enterprise.
    desk.locator("nav.mainnav a[href='/requests/']").click()
    desk.locator(f"table.queue a[href='/requests/{sr.id}']").click()
    desk.wait_for_url(f"**/requests/{sr.id}")
    for action in ("respond", "arrive", "resolve"):
        form = desk.locator(f"form[action='/requests/{sr.id}/act/{action}']")
        if action == "resolve":
            form.locator("textarea[name=note]").fill("The pipe joint above the pantry was replaced; ceiling tile changed.")
        submit(form)

    # The contact sees the officer's note, confirms and rates.
    contact.reload()
    assert "pipe joint above the pantry" in contact.locator("#timeline").inner_text()
    rate = contact.locator(f"form[action='/portal/requests/{sr.id}/rate']")
    rate.locator("select[name=rating]").select_option("4")
    rate.locator("textarea[name=comment]").fill("Quick and tidy, thank you.")
    check_accessibility(contact, "portal request (rating)")
    submit(rate)
    assert contact.locator(".request-status .badge-state-closed").count() == 1
    assert contact.locator(f"form[action='/portal/requests/{sr.id}/rate']").count() == 0
    screenshot(contact, "portal-request-rated")
    _db.session.expire_all()
    assert (_db.session.get(ServiceRequest, sr.id).rating, _db.session.get(ServiceRequest, sr.id).state.value) == (4, "closed")

    # Another enterprise's request, by URL: the same answer as an id that does not exist, and no trace of it.
    answers = {}
    for request_id in (secret.id, MISSING_ID):
        response = contact.goto(f"/portal/requests/{request_id}")
        answers[request_id] = (response.status, contact.locator("main").inner_text())
    assert answers[secret.id] == answers[MISSING_ID] and answers[secret.id][0] == 404
    html = contact.content()
    for trace in (secret.title, secret.reference, two_enterprises["rival"].name, "维多利亚"):
        assert trace not in html
    assert contact.goto(f"/requests/{secret.id}").status == 403  # and never the back office
