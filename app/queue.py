"""The Redis connection and RQ queues, shared by the web app and the worker."""
from __future__ import annotations

import redis
from flask import Flask, current_app
from rq import Queue


def init_queue(app: Flask) -> None:
    """Create one Redis client per app (it pools connections; nothing connects until used)."""
    url = app.config["REDIS_URL"]
    # Connect and read timeouts, so /healthz answers 503 quickly and a hung Redis delays a page by
    # seconds, not for ever. (The read timeout is redis-py's default, written here so that it does
    # not depend on it; RQ raises it on the worker's connection to outlast its blocking wait on the
    # queue.)
    app.extensions["redis"] = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) if url else None


def get_redis() -> redis.Redis:
    conn = current_app.extensions.get("redis")
    if conn is None:
        raise RuntimeError("REDIS_URL is not configured")
    return conn


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=get_redis())
