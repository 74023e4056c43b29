"""The portal journey with the keyboard alone: Tab, Shift+Tab, arrow keys, typing and Enter — no clicks.

Each element Tab reaches must show where the focus is (an outline or a focus ring), and the skip
link must take the keyboard past the navigation into the page's content.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Role, ServiceRequest, Topic
from app.services import requests as wf
from tests.conftest import TEST_PASSWORD
from tests.e2e.support import check_accessibility, screenshot

pytestmark = pytest.mark.e2e

FOCUS_SHOWN = """() => {
  const el = document.activeElement, cs = getComputedStyle(el);
  return (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
}"""


def focused(page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, most: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus, checking the focus shows on each stop."""
    for _ in range(most):
        page.keyboard.press("Tab")
        where = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {where} ({page.url})"
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} not reached with {most} presses of Tab on {page.url}")


def choose(page, select: str, value: str) -> None:
    """Choose an option of the focused <select> with the arrow keys (whatever the options say)."""
    assert focused(page, select)
    page.keyboard.press("Home")
    index = page.evaluate("([s, v]) => [...document.querySelector(s).options].findIndex(o => o.value === v)",
                          [select, value])
    assert index >= 0, f"{value!r} is not an option of {select}"
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    assert page.locator(select).input_value() == value


def press_enter_and_wait(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.fixture
def contact(make_user, make_enterprise):
    officer = make_user(Role.officer, name="Zhou Min", phone="13800001111")
    enterprise = make_enterprise(name="Acme Trading (Shanghai) Co., Ltd.", officer=officer)
    user = make_user(Role.enterprise, enterprise=enterprise, name="Lin Jiahui", email="lin.jiahui@acme.example")
    return {"user": user, "officer": officer}


def test_portal_journey_with_the_keyboard_alone(page, contact):
    page.goto("/login")
    # The first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert focused(page, "a.skip-link[href='#main']") and page.evaluate(FOCUS_SHOWN)
    tab_to(page, "#email")
    page.keyboard.type(contact["user"].email)
    page.keyboard.press("Tab")
    assert focused(page, "#password")
    page.keyboard.type(TEST_PASSWORD)
    press_enter_and_wait(page)
    assert page.url.endswith("/portal/"), page.url

    # The skip link jumps over the top bar: the next Tab is inside <main>.
    page.keyboard.press("Tab")
    assert focused(page, "a.skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)"), \
        page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert focused(page, "main a[href='/portal/requests/new']")
    press_enter_and_wait(page)

    # File a request: selects by arrow keys, text by typing, the (optional) file input passed over.
    topic = _db.session.scalar(select(Topic.id).where(Topic.name == "Traffic and parking"))
    tab_to(page, "#category")
    choose(page, "#category", "need")
    page.keyboard.press("Tab")
    choose(page, "#topic_id", str(topic))
    page.keyboard.press("Tab")
    assert focused(page, "#title")
    page.keyboard.type("Visitor parking permits for the new showroom")
    page.keyboard.press("Tab")
    assert focused(page, "#description")
    page.keyboard.type("We open a showroom on 1F next month and expect about 40 visitors a day by car.")
    tab_to(page, "main form[method=post] button[type=submit]")
    press_enter_and_wait(page)
    sr = _db.session.scalar(select(ServiceRequest))
    assert page.url.endswith(f"/portal/requests/{sr.id}/filed"), page.url
    assert (sr.category.value, sr.topic_id, sr.title) == ("need", topic, "Visitor parking permits for the new showroom")

    tab_to(page, f"main a[href='/portal/requests/{sr.id}']")
    press_enter_and_wait(page)
    assert page.url.endswith(f"/portal/requests/{sr.id}")

    # The officer resolves it (behind the scenes); the contact rates it from the keyboard.
    for action in ("respond", "arrive", "resolve"):
        wf.transition(sr, action, contact["officer"],
                      text="Ten visitor permits a day granted for the B2 car park." if action == "resolve" else None)
    _db.session.commit()
    page.reload()
    tab_to(page, "#rate select[name=rating]")
    choose(page, "#rate select[name=rating]", "5")
    page.keyboard.press("Tab")
    assert focused(page, "#rate textarea[name=comment]")
    page.keyboard.type("Permits arranged within the hour.")
    page.keyboard.press("Tab")
    assert focused(page, "#rate button[type=submit]")
    press_enter_and_wait(page)
    assert page.locator(".request-status .badge-state-closed").count() == 1
    check_accessibility(page, "portal request (closed)")
    screenshot(page, "keyboard-portal-request-closed")
    _db.session.expire_all()
    assert _db.session.get(ServiceRequest, sr.id).rating == 5
