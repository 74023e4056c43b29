"""Login, lockout, logout and deactivation."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from app import clock
from app.models import Role, User
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def frozen_clock():
    clock.freeze(clock.now())
    yield clock
    clock.freeze(None)


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/enterprises")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_lands_staff_on_home_and_enterprise_on_portal(browser, make_user, make_enterprise):
    officer = make_user(Role.officer)
    response = browser.login(officer.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    browser.post("/logout")
    contact = make_user(Role.enterprise, enterprise=make_enterprise())
    response = browser.login(contact.email)
    assert response.headers["Location"].endswith("/portal/")


def test_email_is_case_insensitive(browser, make_user):
    user = make_user(Role.officer, email="li.wei@example.com")
    assert browser.login("Li.Wei@Example.COM").status_code == 302
    assert user.id


@pytest.mark.parametrize("which", ["email", "password"])
def test_wrong_credentials_do_not_say_which(browser, make_user, which):
    user = make_user(Role.officer)
    email = "nobody@example.com" if which == "email" else user.email
    password = TEST_PASSWORD if which == "email" else "wrong password!"
    response = browser.login(email, password)
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert "Wrong email or password." in body
    assert "unknown" not in body.lower()


def test_five_failures_lock_the_account_for_15_minutes(app, browser, make_user, db, frozen_clock):
    user = make_user(Role.officer)
    for _ in range(4):
        assert "Wrong email or password." in browser.login(user.email, "bad password").get_data(as_text=True)
    fifth = browser.login(user.email, "bad password").get_data(as_text=True)
    assert "locked" in fifth
    # The right password is refused while locked; the lock is in the database.
    response = browser.login(user.email)
    assert response.status_code == 401 and "locked" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.locked_until == frozen_clock.now() + timedelta(minutes=15)
    # 14 minutes later: still locked; after 15: the right password works again.
    clock.freeze(frozen_clock.now() + timedelta(minutes=14))
    assert browser.login(user.email).status_code == 401
    clock.freeze(frozen_clock.now() + timedelta(minutes=1, seconds=1))
    assert browser.login(user.email).status_code == 302


def _error(response) -> str:
    """The login page's error message (the flashed one)."""
    import re

    body = response.get_data(as_text=True)
    found = re.search(r'class="flash[^"]*error[^"]*"[^>]*>(.*?)</', body, re.S)
    assert found, body
    return " ".join(found.group(1).split())


def test_an_email_without_an_account_is_answered_as_an_account_would_be(app, db, browser, make_user, frozen_clock,
                                                                        monkeypatch):
    """The lockout must not tell which emails have accounts: the same attempts on an email without
    one get the same answers, the lock and its end included, and cost the same password checks and
    the same number of SQL statements. Redis is down throughout: the counts are the database's."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(app.extensions["redis"], "execute_command", down)
    checks, statements = [], []
    real_check = User.check_password
    monkeypatch.setattr(User, "check_password", lambda self, password: checks.append(1) or real_check(self, password))

    def count_statement(*args):
        statements.append(1)

    user = make_user(Role.officer)
    start = frozen_clock.now()
    seen = {}
    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        for email in (user.email, "nobody@example.com"):
            answers = []
            for offset, password in [(timedelta(0), "bad password")] * 5 + [
                (timedelta(0), TEST_PASSWORD),  # the right password (the account's) while locked
                (timedelta(minutes=14), "bad password"),
                (timedelta(minutes=15), "bad password"),  # the lock ends
                (timedelta(minutes=15), "bad password"),
            ]:
                clock.freeze(start + offset)
                token = browser.token("/login")
                checks.clear()
                statements.clear()
                response = browser.post("/login", {"email": email, "password": password, "csrf_token": token})
                answers.append((response.status_code, _error(response), len(checks), len(statements)))
            seen[email] = answers
    finally:
        event.remove(db.engine, "before_cursor_execute", count_statement)
    assert seen["nobody@example.com"] == seen[user.email]
    answers = seen[user.email]
    assert [(status, checked) for status, _, checked, _ in answers] == [(401, 1)] * 5 + [(401, 0)] * 2 + [(401, 1)] * 2
    assert [message for _, message, _, _ in answers[:4]] == ["Wrong email or password."] * 4
    assert answers[4][1] == answers[5][1] == "Too many failed attempts: this account is locked. Try again in 15 minutes."
    assert answers[6][1].endswith("Try again in 1 minute.") and answers[7][1] == "Wrong email or password."


def test_an_email_without_an_account_leaves_no_address_behind(app, browser, db):
    from app.models import UnknownLogin

    browser.login("Someone.Else@Example.com", "bad password")
    browser.login("SOMEONE.ELSE@example.com", "bad password")
    [row] = db.session.scalars(db.select(UnknownLogin)).all()
    assert row.failed_logins == 2 and "example" not in row.email_digest.lower()


def test_success_resets_the_failure_count(browser, make_user, db):
    user = make_user(Role.officer)
    for _ in range(4):
        browser.login(user.email, "bad password")
    assert browser.login(user.email).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0


def test_logout_needs_post_with_csrf(browser, login_as):
    login_as(Role.officer)
    assert browser.get("/logout").status_code == 405
    browser._fresh()
    assert browser.client.post("/logout").status_code == 400  # no CSRF token
    assert browser.get("/").status_code == 200  # still logged in
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302  # logged out


def test_login_form_without_csrf_is_refused(client, make_user):
    user = make_user(Role.officer)
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400


def test_deactivated_users_session_stops_at_next_request(browser, login_as, db):
    user = login_as(Role.officer)
    assert browser.get("/enterprises").status_code == 200
    db.session.get(User, user.id).active = False
    db.session.commit()
    response = browser.get("/enterprises")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert browser.login(user.email).status_code == 401


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "/enterprises\r\nSet-Cookie: x=1",
     "javascript:alert(1)", "http:/evil.example", "///evil.example", "evil.example/x", "\\\\evil.example", " //evil.example"],
)
def test_next_only_goes_to_this_site(client, browser, make_user, target):
    user = make_user(Role.officer)
    token = browser.token("/login")
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_next_to_a_local_path_is_followed(client, browser, make_user):
    user = make_user(Role.officer)
    token = browser.token("/login")
    response = client.post(
        "/login", query_string={"next": "/enterprises?q=x"}, data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/enterprises?q=x"


def test_a_lock_set_by_a_concurrent_attempt_holds(app, db, make_user):
    """The lock decision is the database's, not that of a row read before another process locked it.

    Concurrent attempts used to all pass the in-memory lock check during the slow scrypt, so a burst
    of parallel requests got far more than five guesses, and a right one logged in despite the lock.
    """
    from sqlalchemy import update

    from app.models.user import find_user_by_email
    from app.services.auth import authenticate

    user = make_user(Role.officer)
    assert find_user_by_email(user.email).locked_until is None  # this request has read the row: unlocked
    with db.engine.begin() as other_process:
        other_process.execute(
            update(User.__table__).where(User.__table__.c.id == user.id)
            .values(locked_until=clock.now() + timedelta(minutes=15))
        )
    result = authenticate(user.email, TEST_PASSWORD)
    db.session.commit()
    assert result.user is None and "locked" in result.error


def test_failures_counted_by_other_processes_count(app, db, make_user):
    """Four failures recorded elsewhere plus this one lock the account, whatever this session has loaded."""
    from sqlalchemy import update

    from app.models.user import find_user_by_email
    from app.services.auth import authenticate

    user = make_user(Role.officer)
    assert find_user_by_email(user.email).failed_logins == 0
    with db.engine.begin() as other_process:
        other_process.execute(update(User.__table__).where(User.__table__.c.id == user.id).values(failed_logins=4))
    assert "locked" in authenticate(user.email, "bad password").error
    db.session.commit()
    assert authenticate(user.email, TEST_PASSWORD).user is None
    db.session.commit()


def test_enterprise_contacts_are_not_sent_into_the_back_office(client, browser, make_user, make_enterprise):
    contact = make_user(Role.enterprise, enterprise=make_enterprise())
    token = browser.token("/login")
    response = client.post(
        "/login", query_string={"next": "/enterprises"}, data={"email": contact.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/portal/")
