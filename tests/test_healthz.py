"""/healthz: 200 when the database and Redis both answer, 503 naming the part that does not."""
from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db
from config import TestConfig

CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def app_with(database_url, redis_url):
    """Build a second app on the test database and Redis, with some settings replaced."""
    built = []

    def build(**overrides):
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, **overrides}
        application = create_app(type("HealthzConfig", (TestConfig,), settings))
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()


def test_healthz_ok_for_anonymous(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"db": "ok", "redis": "ok"}


def test_healthz_names_redis_when_unreachable(app_with):
    response = app_with(REDIS_URL=CLOSED_REDIS).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"db": "ok", "redis": "error"}


def test_healthz_names_database_when_unreachable(app_with, tmp_path):
    missing = tmp_path / "no-such-folder" / "butler.sqlite3"

    response = app_with(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}").test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"db": "error", "redis": "ok"}


def test_healthz_503_when_both_are_down(app_with, tmp_path):
    missing = tmp_path / "no-such-folder" / "butler.sqlite3"

    response = app_with(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}", REDIS_URL=CLOSED_REDIS).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"db": "error", "redis": "error"}
