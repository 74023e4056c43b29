"""Security headers on every response, and pages that need no inline script or style under the CSP."""
import re

import pytest

from app.models import Role
from app.security import CONTENT_SECURITY_POLICY

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE_ATTRIBUTE = re.compile(r"\s(on[a-z]+|style)\s*=", re.IGNORECASE)


def assert_security_headers(response, what):
    response.close()  # static files are streamed: close them, or the open file is a ResourceWarning
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, name, response.headers.get(name))


def inline_code(html: str) -> list[str]:
    """Inline scripts, <style> blocks, style= and on*= attributes, javascript: URLs: all blocked by the CSP."""
    found = [tag for tag in TAG.findall(html) if INLINE_ATTRIBUTE.search(tag)]
    found += [tag for tag in TAG.findall(html) if tag.lower().startswith("<script") and "src=" not in tag.lower()]
    found += [tag for tag in TAG.findall(html) if tag.lower().startswith("<style")]
    found += re.findall(r"javascript:", html, re.IGNORECASE)
    return found


def test_the_policy_allows_no_inline_script_and_no_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["default-src"] == "'self'"


def test_headers_on_pages_errors_redirects_and_static_files(client, browser, login_as):
    assert_security_headers(client.get("/login"), "login page")
    assert_security_headers(client.get("/enterprises"), "redirect to login")
    assert_security_headers(client.get("/static/js/countdown.js"), "static file")
    assert_security_headers(client.get("/static/css/app.css"), "static file")
    assert_security_headers(client.get("/no-such-page"), "404")
    assert_security_headers(client.post("/login"), "400 (no CSRF token)")
    assert_security_headers(client.get("/healthz"), "JSON")
    login_as(Role.leader)
    assert_security_headers(browser.get("/"), "home")
    assert_security_headers(browser.get("/buildings/new"), "403")
    assert_security_headers(browser.client.put("/logout"), "405")


def test_headers_on_a_server_error(app, db):
    """The 500 page too (a second app, so the error is handled instead of raised into the test)."""
    from app import create_app

    config = type("Cfg", (), {k: v for k, v in app.config.items() if k.isupper()} | {"TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    other = create_app(config)

    def boom():
        raise RuntimeError("boom")

    boom._public = True
    other.add_url_rule("/boom-test", "boom", boom)
    try:
        response = other.test_client().get("/boom-test")
        assert response.status_code == 500
        assert_security_headers(response, "500")
    finally:
        with other.app_context():
            db.engine.dispose()


def test_strict_transport_security_only_in_production(client):
    from config import Config, ProductionConfig, TestConfig

    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert not Config.HSTS_MAX_AGE and not TestConfig.HSTS_MAX_AGE
    assert ProductionConfig.HSTS_MAX_AGE >= 180 * 24 * 3600


@pytest.fixture
def pages(make_request, make_building, make_user, db):
    """Real rows so that detail pages render, keyed by route argument name."""
    request = make_request()
    return {
        "request_id": request.id,
        "enterprise_id": request.enterprise_id,
        "building_id": make_building().id,
        "user_id": make_user(Role.officer).id,
    }


@pytest.mark.parametrize("role", [Role.admin, Role.officer, Role.enterprise])
def test_every_page_renders_without_inline_code(app, browser, login_as, pages, role, db):
    """Walk every GET route (with real ids) and check the HTML has nothing the CSP would block."""
    from app.models import ServiceRequest

    if role is Role.enterprise:
        enterprise_id = db.session.get(ServiceRequest, pages["request_id"]).enterprise_id
        login_as(role, enterprise_id=enterprise_id)
    else:
        login_as(role)
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if any(arg not in pages for arg in rule.arguments):
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(pages[m.group(1)]), rule.rule)
        response = browser.get(url)
        assert_security_headers(response, url)
        if response.status_code == 200 and response.mimetype == "text/html":
            seen += 1
            assert inline_code(response.get_data(as_text=True)) == [], (role, url)
    assert seen >= (2 if role is Role.enterprise else 8)


def test_the_inline_check_finds_what_it_looks_for():
    assert inline_code('<div style="color:red">') and inline_code('<button onclick="x()">')
    assert inline_code("<script>alert(1)</script>") and inline_code("<style>p{}</style>")
    assert not inline_code('<script src="/static/js/countdown.js" defer></script><a href="/x" data-on="1">')


def test_logged_in_pages_are_never_cached_but_static_files_are(browser, login_as, make_request):
    officer = login_as(Role.officer)
    request = make_request(by=officer)
    for url in ("/requests/", f"/requests/{request.id}", "/enterprises"):
        assert browser.get(url).headers.get("Cache-Control") == "no-store", url
    static = browser.get("/static/css/app.css")
    static.close()
    assert "no-store" not in (static.headers.get("Cache-Control") or "")
