"""An audit event for every login, failed login, lockout and logout."""
from sqlalchemy import select

from app.models import AuditEvent, AuditKind, Role
from tests.conftest import TEST_PASSWORD


def events(db, kind=None) -> list[AuditEvent]:
    db.session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    return list(db.session.scalars(stmt.where(AuditEvent.kind == kind) if kind else stmt))


def test_login_and_logout_are_recorded(browser, make_user, make_enterprise, db):
    contact = make_user(Role.enterprise, enterprise=make_enterprise())
    assert browser.login(contact.email).status_code == 302
    assert browser.post("/logout").status_code == 302
    login, logout = events(db)
    assert (login.kind, login.actor_id, login.subject_user_id) == (AuditKind.login, contact.id, contact.id)
    assert login.ip == "127.0.0.1" and login.enterprise_id == contact.enterprise_id
    assert (logout.kind, logout.actor_id, logout.subject_user_id) == (AuditKind.logout, contact.id, contact.id)


def test_failed_logins_are_recorded_with_the_reason(browser, make_user, db):
    user = make_user(Role.officer)
    browser.login(user.email, "wrong password!")
    browser.login("nobody@example.com", TEST_PASSWORD)
    wrong, unknown = events(db, AuditKind.login_failed)
    assert (wrong.subject_user_id, wrong.actor_id, wrong.detail, wrong.ip) == (user.id, None, "wrong password", "127.0.0.1")
    assert unknown.subject_user_id is None and unknown.detail == "no account for nobody@example.com"
    assert TEST_PASSWORD not in (unknown.detail + wrong.detail)
    assert events(db, AuditKind.login) == []


def test_a_deactivated_account_is_a_failed_login(browser, make_user, db):
    user = make_user(Role.officer, active=False)
    assert browser.login(user.email).status_code == 401
    [failed] = events(db, AuditKind.login_failed)
    assert failed.detail == "account deactivated" and failed.subject_user_id == user.id


def test_lockout_is_recorded_and_attempts_while_locked_too(app, browser, make_user, db):
    user = make_user(Role.officer)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.login(user.email, "wrong password!")
    [lockout] = events(db, AuditKind.lockout)
    assert lockout.subject_user_id == user.id and lockout.ip == "127.0.0.1"
    assert len(events(db, AuditKind.login_failed)) == app.config["LOGIN_MAX_FAILURES"]
    browser.login(user.email)  # the right password, while locked
    assert events(db, AuditKind.login_failed)[-1].detail == "account locked"
    assert events(db, AuditKind.login) == []
