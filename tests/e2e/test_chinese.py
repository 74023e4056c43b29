"""The main pages as a browser set to Chinese gets them: marked Chinese (<html lang>, so screen readers
read them as Chinese), accessible by axe-core, and rendered with a CJK font in the screenshots.

Whether every string has its translation is tests/i18n's business; here the staff navigation,
translated since the first catalogue, stands for the rest.
"""
from __future__ import annotations

import re

import pytest

from app.models import Role
from tests.conftest import TEST_PASSWORD
from tests.e2e.support import check_accessibility, log_in, screenshot

pytestmark = pytest.mark.e2e

HAN = re.compile(r"[\u4e00-\u9fff]")


def assert_marked_chinese(page) -> None:
    lang = page.get_attribute("html", "lang") or ""
    assert lang.lower().startswith("zh"), f"<html lang={lang!r}> on {page.url}"


def test_main_pages_in_chinese(pages, live_server, make_user, make_enterprise, make_request):
    officer = make_user(Role.officer, name="周敏", phone="13800001111")
    enterprise = make_enterprise(name="Acme Trading (Shanghai) Co., Ltd.", name_zh="阿克米贸易（上海）有限公司",
                                 officer=officer)
    sr = make_request(enterprise=enterprise, by=officer, title="12楼茶水间天花板漏水",
                      description="今天早上开始，茶水间水槽旁的天花板滴水。")
    contact = make_user(Role.enterprise, enterprise=enterprise, name="林佳慧", email="lin.jiahui@acme.example")
    leader = make_user(Role.leader, name="王磊", email="wang.lei@jingan.example")

    desk = pages.new_page(locale="zh-CN")
    log_in(desk, leader.email, TEST_PASSWORD)
    assert_marked_chinese(desk)
    nav = desk.locator("nav.mainnav").inner_text()
    assert HAN.search(nav), f"the navigation is not in Chinese: {nav!r}"
    check_accessibility(desk, "home (Chinese)")
    if live_server.has_route("/dashboard"):
        desk.goto("/dashboard")
        desk.wait_for_load_state("networkidle")
        assert_marked_chinese(desk)
        check_accessibility(desk, "dashboard (Chinese)")
        screenshot(desk, "zh-leader-dashboard")

    portal = pages.new_page(locale="zh-CN")
    log_in(portal, contact.email, TEST_PASSWORD)
    portal.goto(f"/portal/requests/{sr.id}")
    assert_marked_chinese(portal)
    check_accessibility(portal, "portal request (Chinese)")
    screenshot(portal, "zh-portal-request")
