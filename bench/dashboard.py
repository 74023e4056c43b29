"""Benchmark: /dashboard served over HTTP at issue 5's scale, against /healthz from the same server.

Not a test. Needs PostgreSQL and Redis; makes (and afterwards drops) its own database:

    .venv/bin/python bench/dashboard.py                    # 300 rounds
    .venv/bin/python bench/dashboard.py --quick            # a small district, 60 rounds: a smoke test
    .venv/bin/python bench/dashboard.py --keep             # keep the database; --reuse uses it next time
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@HOST:5432/NAME .venv/bin/python bench/dashboard.py

Once: the district of bench/dataset.py (100 buildings, 20,000 enterprises, 36 months of tax =
720,000 rows, 50,000 requests with their milestones and events), loaded with COPY and VACUUM
ANALYZEd; then the dashboard's tax per building and month is rebuilt (COPY goes around the
services that keep it; the migration does the same for a database that already has tax), timed.

The app runs in this process behind a real HTTP server (werkzeug's make_server, in a thread,
one request at a time), with the clock pinned to the data's "now" (2026-11-05 10:00 Shanghai),
so the running month is November and the trend covers December 2025 to November 2026. A client
logs in as a leader (real login form, CSRF token, session cookie) and, after a warm-up, asks for
the default /dashboard/, /dashboard/?month=2026-10 (an ended month) and /healthz in turn, each
ROUNDS times over new HTTP connections: the trivial endpoint carries the same server, client,
Python and machine overheads in the same run. Issue 6's target: /dashboard/ p95 under 150 ms.
"""
from __future__ import annotations

import argparse
import http.client
import logging
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from bench import dataset  # noqa: E402

TARGET_P95_MS = 150.0
PASSWORD = "dashboard-bench-password"
EMAIL = "dashboard-bench@bench.example"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PATHS = {"dashboard": "/dashboard/", "dashboard 2026-10": "/dashboard/?month=2026-10", "healthz": "/healthz"}


# --------------------------------------------------------------------------- the app and its server


def make_app(url: str):
    from app import create_app
    from config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = globals()["REDIS_URL"]

    return create_app(BenchConfig)


def prepare(app) -> dict[str, float]:
    """Rebuild the tax summary (timed), time the refreshes the app does on writes, add the leader."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Role, User
    from app.services.summaries import refresh_tax_buildings, refresh_tax_months, rebuild_tax_summary

    timings = {}
    with app.app_context():
        started = time.perf_counter()
        rows = rebuild_tax_summary()
        db.session.commit()
        timings["rebuild (all 36 months)"] = time.perf_counter() - started
        started = time.perf_counter()
        refresh_tax_months([dataset.PERIOD])
        db.session.commit()
        timings["refresh one month (a monthly import)"] = time.perf_counter() - started
        started = time.perf_counter()
        refresh_tax_buildings({1, 2})
        db.session.commit()
        timings["refresh two buildings (an enterprise moved)"] = time.perf_counter() - started
        if db.session.scalar(select(User).where(User.email == EMAIL)) is None:
            user = User(email=EMAIL, name="Dashboard Bench", role=Role.leader)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
        db.session.remove()
    print(f"  building_tax_months: {rows:,} rows; " + "; ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    return timings


def serve(app):
    """A real HTTP server for the app, in a thread; returns (server, port)."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    threading.Thread(target=server.serve_forever, name="bench-server", daemon=True).start()
    return server, server.server_port


def record_statements(app) -> list[list]:
    """Every SQL statement the server runs, with its time: [statement, seconds], emptied by the caller."""
    from sqlalchemy import event

    from app.extensions import db

    recorded: list[list] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        recorded.append([statement, time.perf_counter() - context._bench_started])

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    return recorded


# --------------------------------------------------------------------------- the client


class Client:
    """HTTP/1.1 requests over a new connection each, keeping the session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, elapsed

    def login(self, email: str, password: str) -> None:
        status, page, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        status, _, _ = self.request("POST", "/login", urlencode({"csrf_token": token, "email": email,
                                                                  "password": password}))
        if status != 302:
            raise SystemExit(f"login failed: HTTP {status}")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small district and 60 rounds: a smoke test")
    parser.add_argument("--rounds", type=int, default=None, help="requests per endpoint (default 300)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left (no reload)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL.replace("butler_bench", "butler_bench_dashboard"))
    scale = dataset.QUICK if args.quick else dataset.FULL
    rounds = args.rounds or (60 if args.quick else 300)
    print(f"database: {make_url(url).render_as_string()}; redis {REDIS_URL}; {rounds} rounds")

    if not args.reuse:
        dataset.recreate_database(url)
    try:
        dataset.migrate(url)  # a reused database may predate the latest migrations
        if not args.reuse:
            dataset.generate(url, scale)
        with psycopg.connect(dataset.libpq_url(url)) as conn:
            print("  " + conn.execute("SELECT version()").fetchone()[0])
            counts = conn.execute("SELECT (SELECT count(*) FROM tax_records), (SELECT count(*) FROM service_requests),"
                                  " (SELECT count(*) FROM milestones)").fetchone()
            print(f"  {counts[0]:,} tax records, {counts[1]:,} requests, {counts[2]:,} milestones")
        return run(url, rounds)
    finally:
        if not args.keep:
            dataset.drop_database(url)


def run(url: str, rounds: int) -> int:
    from app import clock
    from app.extensions import db

    app = make_app(url)
    prepare(app)
    clock.freeze(dataset.NOW)  # the data's "now": November 2026 is the running month
    statements = record_statements(app)
    server, port = serve(app)
    try:
        client = Client(port)
        client.login(EMAIL, PASSWORD)
        with app.app_context():  # the first view after a load computes and keeps the ended months
            db.session.execute(db.text("DELETE FROM service_months"))
            db.session.commit()
            db.session.remove()
        status, _, first = client.request("GET", PATHS["dashboard"])
        assert status == 200, status
        print(f"  first view (computes and keeps the 11 ended months of the trend): {first * 1000:.0f} ms")
        for _ in range(10):  # warm-up: connections, caches, Jinja's compiled templates
            for path in PATHS.values():
                client.request("GET", path)
        times: dict[str, list[float]] = {name: [] for name in PATHS}
        sql: dict[str, list[float]] = {name: [] for name in PATHS}
        counts: dict[str, set[int]] = {name: set() for name in PATHS}
        sizes: dict[str, int] = {}
        for _ in range(rounds):
            for name, path in PATHS.items():  # interleaved: every endpoint sees the same machine
                statements.clear()
                status, body, elapsed = client.request("GET", path)
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status}")
                times[name].append(elapsed * 1000)
                sql[name].append(sum(s for _, s in statements) * 1000)
                counts[name].add(len(statements))
                sizes[name] = len(body)
        slowest = sorted(statements_of_one_view(client, statements), key=lambda s: -s[1])
    finally:
        server.shutdown()
        clock.freeze(None)
        with app.app_context():
            db.engine.dispose()

    print(f"\n{rounds} requests each, {time.strftime('%Y-%m-%d %H:%M')} (machine load {os.getloadavg()[0]:.2f})")
    print("| endpoint | p50 | p95 | max | SQL per view (median) | statements | page |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, path in PATHS.items():
        t = times[name]
        print(f"| `{path}` | {percentile(t, 50):.1f} ms | {percentile(t, 95):.1f} ms | {max(t):.1f} ms "
              f"| {statistics.median(sql[name]):.1f} ms | {'/'.join(map(str, sorted(counts[name])))} "
              f"| {sizes[name] / 1024:.0f} KB |")
    base = percentile(times["healthz"], 50)
    print(f"\ndashboard p50 minus healthz p50: {percentile(times['dashboard'], 50) - base:.1f} ms; "
          f"ended month: {percentile(times['dashboard 2026-10'], 50) - base:.1f} ms")
    print("one default view's statements, slowest first:")
    for statement, seconds in slowest[:8]:
        print(f"  {seconds * 1000:6.2f} ms  {' '.join(statement.split())[:110]}")
    p95 = max(percentile(times["dashboard"], 95), percentile(times["dashboard 2026-10"], 95))
    ok = p95 < TARGET_P95_MS
    print(f"{'meets' if ok else 'MISSES'} the target: dashboard p95 {p95:.1f} ms (under {TARGET_P95_MS:g} ms)")
    return 0


def statements_of_one_view(client: Client, statements: list[list]) -> list[list]:
    statements.clear()
    client.request("GET", PATHS["dashboard"])
    return list(statements)


if __name__ == "__main__":
    sys.exit(main())
