"""User administration screens."""
from sqlalchemy import select

from app.models import Role, User

PASSWORD = "a very long password"


def new_user(**overrides):
    data = {"email": "new.officer@example.com", "name": "Chen Jing", "phone": "138 0000 0000", "role": "officer",
            "enterprise_uscc": "", "password": PASSWORD, "confirm": PASSWORD}
    data.update(overrides)
    return data


def test_admin_creates_an_officer_who_can_log_in(browser, login_as, db, client, app):
    login_as(Role.admin)
    response = browser.post("/admin/users/new", new_user())
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.officer@example.com"))
    assert user.role is Role.officer and user.password_hash.startswith("scrypt:")
    from tests.conftest import Browser

    assert Browser(app.test_client()).login("new.officer@example.com", PASSWORD).status_code == 302


def test_admin_creates_an_enterprise_contact_by_uscc(browser, login_as, db, make_enterprise):
    login_as(Role.admin)
    enterprise = make_enterprise()
    response = browser.post("/admin/users/new", new_user(role="enterprise", enterprise_uscc=enterprise.uscc.lower()))
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.role == Role.enterprise)).enterprise_id == enterprise.id


def test_bad_user_input_gets_field_messages_and_saves_nothing(browser, login_as, db, make_user):
    admin = login_as(Role.admin)
    make_user(Role.officer, email="taken@example.com")
    body = browser.post(
        "/admin/users/new",
        new_user(email="Taken@example.com", password="short", confirm="different", role="enterprise", name="Kept Name"),
    ).get_data(as_text=True)
    assert "An account with this email already exists." in body
    assert "Use at least 10 characters." in body
    assert "The passwords differ." in body
    assert "An enterprise contact needs the USCC of its enterprise." in body
    assert 'value="Kept Name"' in body
    assert db.session.scalar(select(User).where(User.name == "Kept Name")) is None
    assert admin.id


def test_change_role_takes_effect_at_once(browser, login_as, db, make_user, app):
    login_as(Role.admin)
    target = make_user(Role.officer)
    from tests.conftest import Browser

    other = Browser(app.test_client())
    other.login(target.email)
    assert other.get("/buildings/new").status_code == 200
    assert browser.post(f"/admin/users/{target.id}/role", {"role": "leader"}).status_code == 302
    assert other.get("/buildings/new").status_code == 403  # leadership is read-only
    assert other.get("/buildings").status_code == 200


def test_admin_cannot_change_own_role_or_turn_staff_into_contacts(browser, login_as, db, make_user):
    admin = login_as(Role.admin)
    browser.post(f"/admin/users/{admin.id}/role", {"role": "officer"})
    db.session.expire_all()
    assert db.session.get(User, admin.id).role is Role.admin
    target = make_user(Role.officer)
    browser.post(f"/admin/users/{target.id}/role", {"role": "enterprise"})
    db.session.expire_all()
    assert db.session.get(User, target.id).role is Role.officer


def test_deactivate_logs_the_user_out_and_reactivate_restores(browser, login_as, db, make_user, app):
    admin = login_as(Role.admin)
    target = make_user(Role.officer)
    from tests.conftest import Browser

    other = Browser(app.test_client())
    other.login(target.email)
    assert other.get("/enterprises").status_code == 200
    browser.post(f"/admin/users/{target.id}/active", {"active": "0"})
    browser.post(f"/admin/users/{target.id}/active", {"active": "0"})  # a double submit does not undo it
    response = other.get("/enterprises")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    browser.post(f"/admin/users/{target.id}/active", {"active": "1"})
    assert other.login(target.email).status_code == 302
    # An admin cannot lock themselves out.
    browser.post(f"/admin/users/{admin.id}/active", {"active": "0"})
    assert browser.get("/admin/users").status_code == 200


def test_users_list_filters_by_role(browser, login_as, make_user):
    login_as(Role.admin)
    make_user(Role.leader, name="Leader Zhou")
    make_user(Role.officer, name="Officer Sun")
    body = browser.get("/admin/users", query_string={"role": "leader"}).get_data(as_text=True)
    assert "Leader Zhou" in body and "Officer Sun" not in body
