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


def test_the_orm_is_set_up_when_the_app_starts():
    """create_app configures the mappers, so that the jobs the queue's worker forks from it do not
    each set them up again at their first ORM statement (0.17 s of a tax import). In a fresh
    interpreter: in this one, earlier tests have configured them already."""
    import subprocess
    import sys

    script = (
        "from sqlalchemy import inspect\n"
        "from app import create_app\n"
        "from app.models import TaxRecord, ServiceRequest\n"
        "from config import Config\n"
        "class Cfg(Config):\n"
        "    SQLALCHEMY_DATABASE_URI = 'sqlite://'\n"
        "assert not inspect(TaxRecord).configured\n"
        "create_app(Cfg)\n"
        "print(inspect(TaxRecord).configured and inspect(ServiceRequest).configured)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
