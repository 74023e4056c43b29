"""The interface language: the switch (per user, CSRF, only known languages), the cookie, Accept-Language."""
import re
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale, gettext

from app.extensions import db as _db
from app.models import Role, User
from tests.conftest import Browser

ZH = "zh_Hans_CN"


def locale_of(user: User) -> str | None:
    _db.session.expire_all()
    return _db.session.get(User, user.id).locale


def html_lang(body: str) -> str:
    return re.search(r'<html lang="([^"]+)"', body).group(1)


def switch(browser: Browser, locale: str, next_url: str = "/", token_from: str = "/"):
    return browser.post("/language", {"locale": locale, "next": next_url}, token_from=token_from)


@pytest.fixture
def new_browser(app):
    """Another browser: no session, no cookies."""
    return lambda: Browser(app.test_client())


def test_staff_switch_is_saved_on_the_user_and_follows_them_to_another_browser(browser, new_browser, login_as):
    officer = login_as(Role.officer)
    page = browser.get("/").get_data(as_text=True)
    assert "Log out" in page and html_lang(page) == "en"

    response = switch(browser, ZH, next_url="/enterprises?q=coach")
    assert response.status_code == 302 and response.headers["Location"] == "/enterprises?q=coach"
    assert locale_of(officer) == ZH
    page = browser.get("/").get_data(as_text=True)
    assert html_lang(page) == "zh-Hans-CN"
    for text in ("首页", "诉求", "走访", "楼宇", "企业", "退出登录", "企业联络员", "我负责的在办诉求"):
        assert text in page, text

    other = new_browser()  # no cookie: the saved choice alone
    assert other.login(officer.email).status_code == 302
    assert "退出登录" in other.get("/").get_data(as_text=True)


def test_one_users_choice_is_not_anothers(browser, new_browser, login_as, make_user):
    login_as(Role.officer)
    switch(browser, ZH)
    colleague = make_user(Role.chief)
    theirs = new_browser()
    theirs.login(colleague.email)
    page = theirs.get("/").get_data(as_text=True)
    assert "Log out" in page and "退出登录" not in page
    assert locale_of(colleague) is None


def test_portal_user_switch_is_saved_too(browser, new_browser, login_as, make_enterprise):
    contact = login_as(Role.enterprise, enterprise=make_enterprise())
    response = switch(browser, ZH, next_url="/portal/", token_from="/portal/")
    assert response.headers["Location"] == "/portal/"
    assert locale_of(contact) == ZH
    page = browser.get("/portal/").get_data(as_text=True)
    assert "退出登录" in page and "企业联系人" in page and html_lang(page) == "zh-Hans-CN"

    switch(browser, "en", next_url="/portal/", token_from="/portal/")
    assert locale_of(contact) == "en"
    other = new_browser()
    other.login(contact.email)
    assert "Log out" in other.get("/portal/").get_data(as_text=True)


def test_the_switch_needs_the_csrf_token(browser, login_as):
    officer = login_as(Role.officer)
    browser._fresh()
    response = browser.client.post("/language", data={"locale": ZH, "next": "/"})
    assert response.status_code == 400
    assert locale_of(officer) is None
    assert "lang" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("bad", ["fr", "zh_TW", "zh_CN", "", "en<script>", "../../etc"])
def test_the_switch_refuses_a_language_it_does_not_have(browser, login_as, bad):
    officer = login_as(Role.officer)
    response = switch(browser, bad)
    assert response.status_code == 400
    assert locale_of(officer) is None
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_a_bad_saved_value_or_cookie_is_ignored(browser, login_as, db):
    officer = login_as(Role.officer)
    officer.locale = "xx_YY"
    db.session.commit()
    browser.client.set_cookie("lang", "../../../etc/passwd", domain="localhost")
    page = browser.get("/").get_data(as_text=True)
    assert "Log out" in page and html_lang(page) == "en"


def test_switch_only_returns_to_this_site(browser):
    response = switch(browser, ZH, next_url="//evil.example/phish", token_from="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_login_page_switch_is_kept_in_a_cookie_and_shows_chinese(browser):
    page = browser.get("/login").get_data(as_text=True)
    assert "Log in" in page and 'aria-label="Language"' in page
    assert 'value="zh_Hans_CN" lang="zh-Hans-CN" aria-pressed="false">中文</button>' in page

    response = switch(browser, ZH, next_url="/login", token_from="/login")
    assert response.headers["Location"] == "/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=zh_Hans_CN;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = browser.get("/login").get_data(as_text=True)
    assert html_lang(page) == "zh-Hans-CN"
    for text in ("<title>登录 · 楼宇管家</title>", ">登录</h1>", "邮箱", "密码", 'aria-label="语言"',
                 'aria-pressed="true">中文</button>', "时间均为北京时间"):
        assert text in page, text
    assert "Log in" not in page


def test_login_errors_are_in_chinese_too(browser, make_user):
    user = make_user(Role.officer)
    switch(browser, ZH, next_url="/login", token_from="/login")
    body = browser.login(user.email, "wrong password!").get_data(as_text=True)
    assert "邮箱或密码错误。" in body
    body = browser.post("/login", {"email": "", "password": ""}, token_from="/login").get_data(as_text=True)
    assert "该字段是必填字段。" in body  # WTForms' own message, from its bundled catalogue
    body = browser.post("/login", {"email": "not-an-email", "password": "x"}, token_from="/login").get_data(as_text=True)
    assert "无效的 Email 地址。" in body


def test_choice_made_before_logging_in_carries_on_after(browser, make_user):
    user = make_user(Role.officer)
    switch(browser, ZH, next_url="/login", token_from="/login")
    browser.login(user.email)
    assert "退出登录" in browser.get("/").get_data(as_text=True)
    assert locale_of(user) is None  # the cookie decides until they choose while logged in


def test_logging_out_keeps_the_users_language(browser, new_browser, make_user, db):
    user = make_user(Role.officer, locale=ZH)
    other = new_browser()  # never touched the switch in this browser
    other.login(user.email)
    other.get("/")
    page = other.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert "您已退出登录。" in page and ">登录</h1>" in page


def test_saved_choice_beats_the_cookie_which_beats_the_browser(browser, make_user):
    user = make_user(Role.officer, locale="en")
    browser.client.set_cookie("lang", ZH, domain="localhost")
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert "登录" in browser.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    browser.login(user.email, headers=chinese)
    assert "Log out" in browser.get("/", headers=chinese).get_data(as_text=True)


@pytest.mark.parametrize(
    "header, lang",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans-CN"),
        ("zh-Hans-CN", "zh-Hans-CN"),
        ("zh-TW,zh;q=0.8", "zh-Hans-CN"),  # Traditional readers get Simplified rather than English
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,zh;q=0.5", "zh-Hans-CN"),
        ("fr-FR,de;q=0.5", "en"),
        ("zh;q=0,en", "en"),
        ("", "en"),
    ],
)
def test_anonymous_pages_follow_accept_language(browser, header, lang):
    response = browser.get("/login", headers={"Accept-Language": header} if header else {})
    body = response.get_data(as_text=True)
    assert html_lang(body) == lang
    assert ("登录" in body) == (lang != "en")
    assert "Accept-Language" in response.headers.get("Vary", "")


def test_error_pages_are_translated_and_their_switch_goes_home(browser, login_as):
    login_as(Role.officer)
    switch(browser, ZH)
    response = browser.get("/no-such-page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and "页面不存在" in body and "返回首页" in body
    assert "no-such-page" not in body  # a 404 page is the same whatever address was asked for
    response = browser.post("/language", {"locale": "en"}, token_from="/")
    assert response.headers["Location"] == "/"


def test_zh_user_sees_money_in_wan_and_times_in_shanghai(browser, login_as, make_building, make_enterprise,
                                                         make_tax, make_request, db):
    officer = login_as(Role.officer)
    building = make_building(name="Plaza 66")
    enterprise = make_enterprise(building=building)
    make_tax(enterprise, "2026-10", "123456789.00")
    sr = make_request(enterprise=enterprise, by=officer)
    sr.received_at = datetime(2026, 11, 27, 10, 3, tzinfo=timezone.utc)
    db.session.commit()

    english = browser.get("/buildings").get_data(as_text=True)
    assert "¥123.46 m" in english
    switch(browser, ZH)
    chinese = browser.get("/buildings").get_data(as_text=True)
    assert "¥12,345.68 万" in chinese and "¥123.46 m" not in chinese
    detail = browser.get(f"/requests/{sr.id}").get_data(as_text=True)
    assert "2026-11-27 18:03" in detail  # 10:03 UTC is 18:03 in Shanghai, in both languages
    assert "¥" in browser.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)


def test_outside_a_request_english_unless_forced(app):
    assert gettext("Home") == "Home"
    with force_locale(ZH):  # what a job does for the user who asked: force_locale(user_locale(user))
        assert gettext("Home") == "首页"
    assert gettext("Home") == "Home"


def test_user_locale_helper(make_user):
    from app.i18n import user_locale

    assert user_locale(make_user(Role.leader, locale=ZH)) == ZH
    assert user_locale(make_user(Role.leader)) == "en"
    assert user_locale(make_user(Role.leader, locale="fr")) == "en"


@pytest.mark.parametrize("role, url", [
    (Role.enterprise, "/portal/requests/new"),  # the three haves
    (Role.admin, "/admin/reference/sla-policies/new"),  # the same, as a policy's scope
    (Role.officer, "/requests/new"),
])
def test_select_options_follow_the_readers_language(browser, login_as, make_enterprise, role, url):
    """Choices built from labels when the module loaded stayed English for everyone."""
    from app.models import Category

    kw = {"enterprise": make_enterprise()} if role is Role.enterprise else {}
    login_as(role, **kw)
    switch(browser, ZH, next_url="/", token_from="/portal/" if role is Role.enterprise else "/")
    page = browser.get(url).get_data(as_text=True)
    with force_locale(ZH):
        chinese = str(Category.difficulty.label)
    with force_locale("en"):
        english = str(Category.difficulty.label)
    assert chinese != english
    assert f">{chinese}</option>" in page and f">{english}</option>" not in page, url
