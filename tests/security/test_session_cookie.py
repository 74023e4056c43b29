"""The session cookie: HttpOnly, SameSite=Lax, Secure in production; a new session at login."""
from app.models import Role


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(browser, make_user):
    user = make_user(Role.officer)
    response = browser.login(user.email)
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # tests run over http


def test_production_cookies_are_secure(monkeypatch):
    from app import create_app
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True and ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True and ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.REMEMBER_COOKIE_HTTPONLY is True and ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"
    monkeypatch.setenv("SECRET_KEY", "x" * 40)

    class Cfg(ProductionConfig):
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Cfg)
    response = app.test_client().get("/login", base_url="https://localhost")  # the form puts a CSRF token in the session
    cookie = _session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    response.close()


def test_login_starts_a_new_session(browser, make_user):
    """Nothing from before the login survives it: no planted value, no CSRF token, no cookie value."""
    user = make_user(Role.officer)
    browser.token("/login")  # a pre-login session exists, with a CSRF token
    with browser.client.session_transaction() as session:
        session["planted"] = "by someone else"
        before = dict(session)
    assert before.get("csrf_token")
    response = browser.login(user.email)
    assert response.status_code == 302
    with browser.client.session_transaction() as session:
        after = dict(session)
    assert "planted" not in after
    assert after.get("_user_id") == str(user.id)
    assert after.get("csrf_token") != before["csrf_token"]


def test_logout_ends_the_session(browser, login_as):
    login_as(Role.officer)
    assert browser.post("/logout").status_code == 302
    with browser.client.session_transaction() as session:
        assert "_user_id" not in session and "csrf_token" not in session
