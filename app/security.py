"""Security baseline: response headers on every response, and the login rate limit.

The headers are five lines of after_request, so no extension is needed for them. The login rate
limit is Flask-Limiter, counted in Redis (REDIS_URL) so that it holds across gunicorn workers and
machines: one limit per client address and one per submitted account, on the login POST only.
"""
from __future__ import annotations

import math
import time

import redis
from flask import Flask, Response, current_app, render_template, request
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from app.models.user import email_digest, normalise_email

#: No inline scripts or styles anywhere: the only script is static/js/countdown.js.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
}
TOO_MANY_LOGINS = "Too many login attempts for this account or from this address."


def init_security(app: Flask) -> None:
    """Add the security headers to every response and rate-limit the login form."""
    if app.config.get("TRUSTED_PROXIES"):
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.after_request(set_security_headers)
    _limit_logins(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def set_security_headers(response: Response) -> Response:
    """after_request (also runs for error pages and static files); a view may set its own, stricter, CSP."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Pages of a logged-in user are never stored: no one else reads them from a shared browser's
    # cache, and a countdown never restarts from a stale copy of the page.
    if (request.endpoint != "static" and response.mimetype == "text/html"
            and current_user.is_authenticated):
        response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("HSTS_MAX_AGE"):
        response.headers.setdefault("Strict-Transport-Security", f"max-age={current_app.config['HSTS_MAX_AGE']}")
    return response


def limiter_storage_uri(redis_url: str | None) -> str:
    """The limits library's name for the app's Redis: `unix://` sockets (as `make run` uses) are `redis+unix://`."""
    if not redis_url:
        raise RuntimeError("REDIS_URL must be set: the login rate limit is kept in Redis.")
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _client_address() -> str:
    # Behind a reverse proxy this is the proxy's address unless TRUSTED_PROXIES is set.
    return "addr:" + (request.remote_addr or "unknown")


def _submitted_account() -> str:
    """The account being tried, hashed so Redis holds no email addresses; '' (no limit) when none was sent."""
    email = normalise_email(request.form.get("email", ""))
    return "account:" + email_digest(email) if email else ""


def _not_signed_in(response) -> bool:
    """Only attempts that did not sign in count against the limits: an office behind one address
    signing in at nine must not lock itself out (a successful login answers with a redirect)."""
    return response.status_code not in (301, 302, 303)


def _limit_logins(app: Flask) -> None:
    """One Limiter per app: Flask-Limiter keeps its storage on the instance, and tests run several apps."""
    limiter = Limiter(
        key_func=_client_address,
        storage_uri=limiter_storage_uri(app.config["REDIS_URL"]),
        storage_options={"socket_connect_timeout": 5},
        strategy="moving-window",  # a fixed window would allow twice the limit across its edge
        key_prefix="butler-login",
        # Redis down: log it and let logins through; the per-account lockout in the database still holds.
        swallow_errors=True,
    )
    limiter.init_app(app)
    view = app.view_functions["auth.login"]
    for key in (_client_address, _submitted_account):
        view = limiter.limit(app.config["LOGIN_RATE_LIMIT"], key_func=key, methods=["POST"], error_message=TOO_MANY_LOGINS,
                             deduct_when=_not_signed_in)(view)
    app.view_functions["auth.login"] = view
    app.extensions["login_limiter"] = limiter


def too_many_requests(error: RateLimitExceeded):
    """The 429 page, in the site's layout, saying how long to wait."""
    limiter: Limiter = current_app.extensions["login_limiter"]
    breached = next((lim for lim in limiter.current_limits if lim.breached), None)
    try:
        wait = max(1, int(breached.reset_at - time.time())) if breached else 60
    except redis.RedisError:  # the storage went away between the hit and this page
        wait = 60
    minutes = math.ceil(wait / 60)
    message = ngettext(
        "Too many login attempts for this account or from this address. Wait %(num)d minute and try again.",
        "Too many login attempts for this account or from this address. Wait %(num)d minutes and try again.",
        minutes,
    )
    body = render_template("errors/error.html", code=429, title=_("Too many attempts"), message=message)
    return body, 429, {"Retry-After": str(wait)}
