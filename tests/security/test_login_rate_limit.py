"""Login rate limit: per client address and per account, counted in Redis so every process sees it."""
import pytest

from app.models import Role
from app.security import TOO_MANY_LOGINS, limiter_storage_uri
from tests.conftest import TEST_PASSWORD, Browser


@pytest.fixture
def build_app(app, db):
    """Apps like the test app (same database and Redis) with a low login limit: each is another 'process'."""
    from app import create_app

    built = []

    def build(limit: str = "3 per minute", **overrides):
        settings = {k: v for k, v in app.config.items() if k.isupper()} | {"LOGIN_RATE_LIMIT": limit, **overrides}
        other = create_app(type("Cfg", (), settings))
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()


def _login(browser: Browser, email: str, password: str = "wrong password!", address: str = "10.1.1.1"):
    return browser.post("/login", {"email": email, "password": password}, token_from="/login",
                        environ_base={"REMOTE_ADDR": address})


def test_per_address_limit(build_app, make_user):
    browser = Browser(build_app().test_client())
    for n in range(3):
        assert _login(browser, f"nobody{n}@example.com").status_code == 401
    refused = _login(browser, "someone.else@example.com")
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert TOO_MANY_LOGINS in body and "try again" in body and 'class="topbar"' in body  # the site's layout
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Another address is not affected, and the login page itself is never limited.
    assert _login(browser, "someone.else@example.com", address="10.1.1.2").status_code == 401
    assert browser.get("/login").status_code == 200


def test_per_account_limit_holds_across_addresses_even_with_the_right_password(build_app, make_user):
    user = make_user(Role.officer)
    browser = Browser(build_app(LOGIN_MAX_FAILURES=100).test_client())
    for n in range(3):
        assert _login(browser, user.email, address=f"10.2.0.{n}").status_code == 401
    refused = _login(browser, user.email.upper(), TEST_PASSWORD, address="10.2.0.9")  # same account, any case
    assert refused.status_code == 429
    with browser.client.session_transaction() as session:
        assert "_user_id" not in session  # refused before the password was even checked
    assert _login(browser, "other@example.com", address="10.2.0.9").status_code == 401  # other accounts still may


def test_the_count_is_shared_between_processes(build_app, make_user):
    """Two app instances on one Redis (as two gunicorn workers or two machines) share the count."""
    first, second = Browser(build_app().test_client()), Browser(build_app().test_client())
    assert _login(first, "a@example.com").status_code == 401
    assert _login(second, "b@example.com").status_code == 401
    assert _login(first, "c@example.com").status_code == 401
    assert _login(second, "d@example.com").status_code == 429


def test_only_failed_attempts_count_not_successful_logins_nor_get_requests(build_app, make_user):
    """An office behind one address signing in at nine must not lock itself out."""
    users = [make_user(Role.officer) for _ in range(5)]
    browser = Browser(build_app().test_client())
    for _ in range(10):
        assert browser.get("/login").status_code == 200
    for user in users:  # more successful logins from one address than the limit allows attempts
        assert _login(browser, user.email, TEST_PASSWORD).status_code == 302
        browser.post("/logout", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    for n in range(3):  # failures still count, up to the limit
        assert _login(browser, f"nobody{n}@example.com").status_code == 401
    assert _login(browser, users[0].email, TEST_PASSWORD).status_code == 429


def test_the_limit_comes_from_login_rate_limit(build_app):
    browser = Browser(build_app("1 per minute").test_client())
    assert _login(browser, "a@example.com").status_code == 401
    assert _login(browser, "b@example.com").status_code == 429


def test_the_real_app_limits_the_login_view(app):
    limiter = app.extensions["login_limiter"]
    limits = list(limiter.limit_manager.decorated_limits("app.auth.views.login.login"))
    assert len(limits) == 2 * len(app.config["LOGIN_RATE_LIMIT"].split(";"))
    assert {lim.key_func.__name__ for lim in limits} == {"_client_address", "_submitted_account"}
    assert all(lim.methods == ("post",) for lim in limits)


def test_an_unreachable_redis_does_not_stop_logins(build_app, make_user):
    """Fail open, logged: the per-account lockout in the database still limits guessing."""
    user = make_user(Role.officer)
    browser = Browser(build_app(REDIS_URL="redis://127.0.0.1:1/0").test_client())
    assert _login(browser, user.email, TEST_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "redis_url, expected",
    [
        ("unix:///tmp/redis.sock", "redis+unix:///tmp/redis.sock"),
        ("unix:///tmp/redis.sock?db=2", "redis+unix:///tmp/redis.sock?db=2"),
        ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
        ("rediss://:pw@redis.example:6380/0", "rediss://:pw@redis.example:6380/0"),
    ],
)
def test_storage_uri(redis_url, expected):
    assert limiter_storage_uri(redis_url) == expected


def test_storage_uri_needs_redis():
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        limiter_storage_uri("")


def test_behind_a_trusted_proxy_the_forwarded_address_counts(build_app, db):
    from sqlalchemy import select

    from app.models import AuditEvent

    browser = Browser(build_app(TRUSTED_PROXIES=1).test_client())
    for n in range(3):
        response = browser.post("/login", {"email": f"x{n}@example.com", "password": "wrong password!"}, token_from="/login",
                                headers={"X-Forwarded-For": f"203.0.113.{n}"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert response.status_code == 401  # each client has its own count, not the proxy's
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent.ip).order_by(AuditEvent.id)).all() == ["203.0.113.0", "203.0.113.1", "203.0.113.2"]


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(build_app):
    browser = Browser(build_app().test_client())
    for n in range(3):
        _login(browser, f"x{n}@example.com")
    forged = browser.post("/login", {"email": "y@example.com", "password": "wrong password!"}, token_from="/login",
                          headers={"X-Forwarded-For": "198.51.100.9"}, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert forged.status_code == 429
