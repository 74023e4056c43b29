"""Audit events for account administration, and the admin's audit log page."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.models import AuditEvent, AuditKind, Role


def kinds(db) -> list[AuditKind]:
    db.session.expire_all()
    return [e.kind for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def last(db, kind: AuditKind) -> AuditEvent:
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id.desc())).first()


def test_account_created_role_change_deactivation_and_reactivation_are_recorded(browser, login_as, db):
    admin = login_as(Role.admin)
    password = "a very long password"
    browser.post("/admin/users/new", {"email": "wu.fang@example.com", "name": "Wu Fang", "phone": "", "role": "officer",
                                      "enterprise_uscc": "", "password": password, "confirm": password})
    created = last(db, AuditKind.account_created)
    assert created.actor_id == admin.id and created.subject_user.email == "wu.fang@example.com"
    target = created.subject_user_id
    browser.post(f"/admin/users/{target}/role", {"role": "leader"})
    browser.post(f"/admin/users/{target}/role", {"role": "leader"})  # no change: no event
    change = last(db, AuditKind.role_change)
    assert (change.actor_id, change.subject_user_id, change.detail) == (admin.id, target, "officer → leader")
    browser.post(f"/admin/users/{target}/active", {"active": "0"})
    browser.post(f"/admin/users/{target}/active", {"active": "1"})
    assert kinds(db) == [AuditKind.login, AuditKind.account_created, AuditKind.role_change,
                         AuditKind.account_deactivated, AuditKind.account_reactivated]
    assert last(db, AuditKind.account_deactivated).actor_id == admin.id
    assert last(db, AuditKind.account_reactivated).subject_user_id == target


def test_cli_account_creation_is_recorded(app, db):
    app.config["CREATE_USER_PASSWORD"] = "a very long password"
    try:
        result = app.test_cli_runner().invoke(args=["create-user", "ops.admin@example.com", "--role", "admin"])
    finally:
        app.config["CREATE_USER_PASSWORD"] = None
    assert result.exit_code == 0, result.output
    event = last(db, AuditKind.account_created)
    assert event.actor_id is None and event.subject_user.email == "ops.admin@example.com" and event.detail == "role admin"


@pytest.fixture
def logged_events(db, make_user):
    officer = make_user(Role.officer, email="sun.li@example.com")
    rows = [
        AuditEvent(kind=AuditKind.login, actor=officer, subject_user=officer, ip="10.0.0.7",
                   at=datetime(2026, 3, 2, 1, 15, tzinfo=UTC)),
        AuditEvent(kind=AuditKind.login_failed, subject_user=officer, ip="10.0.0.8", detail="wrong password",
                   at=datetime(2026, 3, 2, 2, 30, tzinfo=UTC)),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_audit_page_lists_newest_first_in_shanghai_time(browser, login_as, logged_events):
    login_as(Role.admin)  # adds a login event of its own, the newest
    body = browser.get("/admin/audit").get_data(as_text=True)
    assert body.index("2026-03-02 10:30:00") < body.index("2026-03-02 09:15:00")  # UTC+8, newest first
    assert "sun.li@example.com" in body and "10.0.0.8" in body and "wrong password" in body
    assert "Login failed" in body


def test_audit_page_filters_by_kind_and_paginates(app, browser, login_as, logged_events, db):
    login_as(Role.admin)
    body = browser.get("/admin/audit", query_string={"kind": "login_failed"}).get_data(as_text=True)
    assert "10.0.0.8" in body and "10.0.0.7" not in body
    db.session.add_all(AuditEvent(kind=AuditKind.logout, ip=f"10.9.0.{n}") for n in range(app.config["PER_PAGE"] + 1))
    db.session.commit()
    first = browser.get("/admin/audit", query_string={"kind": "logout"}).get_data(as_text=True)
    second = browser.get("/admin/audit", query_string={"kind": "logout", "page": 2}).get_data(as_text=True)
    assert first.count("<tr>") - 1 == app.config["PER_PAGE"] and second.count("<tr>") - 1 == 1
    assert 'rel="next"' in first and "kind=logout" in first
    assert browser.get("/admin/audit", query_string={"kind": "nonsense"}).status_code == 200  # ignored, not an error


@pytest.mark.parametrize("role", [Role.officer, Role.chief, Role.leader, Role.enterprise])
def test_audit_page_is_for_admins_only(browser, login_as, make_enterprise, role):
    login_as(role, **({"enterprise": make_enterprise()} if role is Role.enterprise else {}))
    assert browser.get("/admin/audit").status_code == 403
