"""Command-line tools: create-user."""
from sqlalchemy import select

from app.models import Role, User


def test_create_user_reads_password_from_environment(app, db, monkeypatch):
    app.config["CREATE_USER_PASSWORD"] = "a long enough password"
    try:
        result = app.test_cli_runner().invoke(args=["create-user", "Chief.Admin@Example.com", "--role", "admin"])
    finally:
        app.config["CREATE_USER_PASSWORD"] = None
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "chief.admin@example.com" and user.role is Role.admin
    assert user.check_password("a long enough password")
    assert "a long enough password" not in user.password_hash


def test_create_user_prompts_for_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "ops@example.com", "--role", "admin"], input="another long password\nanother long password\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.email)) == "ops@example.com"


def test_create_user_refuses_short_password_and_duplicates(app, db, make_user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "x@example.com", "--role", "admin"], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    existing = make_user(Role.officer)
    result = runner.invoke(args=["create-user", existing.email, "--role", "admin"], input="long password 1\nlong password 1\n")
    assert result.exit_code != 0 and "already exists" in result.output
