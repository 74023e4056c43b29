"""Password policy: at least 10 characters, not a common password, not the email."""
import pytest
from sqlalchemy import select

from app.models import Role, User
from app.services.users import (
    COMMON_PASSWORDS_FILE,
    UserError,
    check_password_policy,
    common_passwords,
    create_user,
)


def test_the_common_password_list_is_shipped_and_big_enough():
    passwords = common_passwords()
    assert COMMON_PASSWORDS_FILE.is_file() and len(passwords) > 10_000
    assert {"password", "123456", "qwertyuiop", "1234567890", "iloveyou"} <= passwords
    assert all(p == p.lower() for p in passwords)


@pytest.mark.parametrize("password", ["short", "123456789", "a" * 9])
def test_too_short(password):
    with pytest.raises(UserError, match="at least 10 characters"):
        check_password_policy(password)


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "Password123", "PASSWORD123", "iloveyou12", " 1qaz2wsx3edc "])
def test_common_passwords_are_refused_whatever_their_case(password):
    with pytest.raises(UserError, match="most common passwords"):
        check_password_policy(password)


@pytest.mark.parametrize("password", ["zhang.wenjing@example.com", "ZHANG.WENJING@EXAMPLE.COM", "Zhang.Wenjing"])
def test_the_email_or_its_local_part_is_refused(password):
    with pytest.raises(UserError, match="email address"):
        check_password_policy(password, email="Zhang.Wenjing@Example.com")


@pytest.mark.parametrize("password", ["correct horse battery staple", "Jing'an Temple 2026!", "tea-kettle-orbit-9"])
def test_good_passwords_pass(password):
    check_password_policy(password, email="li.wei@example.com")


def test_create_user_applies_the_policy(app, db):
    for password in ("short", "qwertyuiop", "zhang.min@example.com"):
        with pytest.raises(UserError):
            create_user(email="zhang.min@example.com", name="Zhang Min", role=Role.officer, password=password)
    assert db.session.scalar(select(User).where(User.email == "zhang.min@example.com")) is None


def test_admin_form_shows_the_policy_on_the_password_field(browser, login_as, db):
    login_as(Role.admin)
    data = {"email": "zhou.li@example.com", "name": "Zhou Li", "phone": "", "role": "officer", "enterprise_uscc": ""}
    for password, message in [("Password123", "most common passwords"), ("zhou.li@example.com", "email address")]:
        response = browser.post("/admin/users/new", data | {"password": password, "confirm": password})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        password_field = body[body.index('name="password"'):body.index('name="confirm"')]
        assert message in password_field, body
    assert db.session.scalar(select(User).where(User.email == "zhou.li@example.com")) is None


def test_cli_create_user_applies_the_policy(app, db, monkeypatch):
    runner = app.test_cli_runner()
    app.config["CREATE_USER_PASSWORD"] = "qwertyuiop"
    try:
        result = runner.invoke(args=["create-user", "ops@example.com", "--role", "admin"])
    finally:
        app.config["CREATE_USER_PASSWORD"] = None
    assert result.exit_code != 0 and "most common passwords" in result.output
    assert db.session.scalar(select(User).where(User.email == "ops@example.com")) is None
