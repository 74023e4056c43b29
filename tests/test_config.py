"""Configuration: production refuses to start without a real secret key."""
import pytest

from app import create_app
from config import DEFAULT_SECRET_KEY, ProductionConfig


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_the_development_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)

    class Cfg(ProductionConfig):
        SECRET_KEY = DEFAULT_SECRET_KEY

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Cfg)


def test_production_starts_with_a_real_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)

    class Cfg(ProductionConfig):
        SECRET_KEY = "x" * 40
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Cfg)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_never_uses_the_public_default_key():
    from config import Config

    assert Config.SECRET_KEY != DEFAULT_SECRET_KEY and len(Config.SECRET_KEY) >= 32
