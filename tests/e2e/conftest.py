"""End-to-end fixtures: the app in a real HTTP server, Debian's Chromium driven by Playwright, axe-core.

The server is a second app built from TestConfig on the *same* database and Redis as the `app`
fixture (tests/conftest.py), served by werkzeug on 127.0.0.1 and a free port in a thread. So the
factories there create the data a journey starts from, and the autouse fixture there empties the
tables after each test as for any other test. Report jobs run in a real RQ worker, in a thread,
when a test asks (`run_worker`).

Chromium is Debian's (`apt-get install chromium fonts-noto-cjk`; `.ci/run` installs it): without
/usr/bin/chromium every test here is skipped, saying so. Playwright never downloads a browser here.

The CSP stays exactly as in production (no `bypass_csp`): a script or style it refuses logs a
console error, and any console error fails the test (`pages`). The helpers the journeys share —
logging in, axe-core, screenshots — are in tests/e2e/support.py.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app
from app.extensions import db as _db
from config import TestConfig
from tests.e2e import support

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = "Chromium is not installed: apt-get install chromium (CI installs it)"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 10_000


def pytest_terminal_summary(terminalreporter):
    if support.saved_screenshots:
        terminalreporter.write_sep("-", "end-to-end screenshots")
        for path in support.saved_screenshots:
            terminalreporter.write_line(str(path))


# --- the server ----------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (errors are still logged)."""

    def log_request(self, *args, **kwargs):
        pass


@dataclass
class LiveServer:
    url: str
    app: Flask
    errors: list[BaseException] = field(default_factory=list)

    def has_route(self, path: str) -> bool:
        return any(rule.rule.rstrip("/") == path.rstrip("/") for rule in self.app.url_map.iter_rules())


@pytest.fixture(scope="session")
def chromium_path():
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def live_server(chromium_path, app, tmp_path_factory):
    """The app served on 127.0.0.1:<free port> from a thread; exceptions in its views are collected."""
    folder = tmp_path_factory.mktemp("e2e")

    class ServerConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = app.config["REDIS_URL"]
        SERVER_NAME = None  # links use the host the browser asked for (127.0.0.1:port)
        PROPAGATE_EXCEPTIONS = False  # a failing view gets the app's own 500 page, as in production
        REPORT_FOLDER = str(folder / "reports")
        UPLOAD_FOLDER = str(folder / "uploads")

    server_app = create_app(ServerConfig)
    server = make_server("127.0.0.1", 0, server_app, threaded=True, request_handler=_QuietHandler)
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", server_app)
    got_request_exception.connect(lambda sender, exception, **kw: live.errors.append(exception), server_app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with server_app.app_context():
        _db.engine.dispose()


@pytest.fixture
def run_worker(live_server):
    """Start a real RQ worker (in-process, in a thread) that works the queue until it is empty.

    Returns the thread; join it. The worker runs in the server app's context, so it writes the
    report where the server looks for it.
    """
    from rq.timeouts import TimerDeathPenalty

    from app.jobs.worker import AppSimpleWorker

    class ThreadWorker(AppSimpleWorker):
        # RQ's defaults (signal handlers, SIGALRM job timeouts) only work in the main thread.
        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self):
            pass

    threads: list[threading.Thread] = []

    def start() -> threading.Thread:
        worker = ThreadWorker(["default"], connection=live_server.app.extensions["redis"])
        worker.flask_app = live_server.app
        thread = threading.Thread(target=worker.work, kwargs={"burst": True, "logging_level": "WARNING"},
                                  name="e2e-worker", daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    for thread in threads:
        thread.join(timeout=30)


# --- the browser ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium(chromium_path):
    """One headless Chromium for the session (each test gets fresh contexts)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class Pages:
    """Opens browser contexts (one per person in a journey) and checks what each page logged.

    Every page fails the test on a console error or an uncaught script error: a script or style
    refused by the Content-Security-Policy shows up there, as does a broken fetch.
    """

    def __init__(self, chromium, live_server: LiveServer):
        self.chromium, self.live = chromium, live_server
        self.contexts = []
        self.problems: list[str] = []

    def new_page(self, locale: str = "en-US"):
        context = self.chromium.new_context(
            base_url=self.live.url, locale=locale, timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900}, accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: self._console(msg, page))
        page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc} ({page.url})"))
        page.on("response", self._response)
        return page

    def _console(self, msg, page):
        # A page answered 403/404 on purpose logs "Failed to load resource"; _response judges those.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {msg.text} ({page.url})")

    def _response(self, response):
        """A page's own answer may be an error a test asks for; a script, style, image or fetch may not."""
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(chromium, live_server):
    """Browser pages for this test; afterwards, no console errors and no server-side exceptions."""
    live_server.errors.clear()
    opened = Pages(chromium, live_server)
    yield opened
    opened.close()
    assert not opened.problems, "the browser reported:\n" + "\n".join(opened.problems)
    assert not live_server.errors, f"the server raised: {live_server.errors!r}"


@pytest.fixture
def page(pages):
    """One browser page (English) on the live server."""
    return pages.new_page()
