"""Configuration classes. This is the only module that reads the environment."""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-not-secret"


def _local_secret_key() -> str:
    """A random key kept in instance/, so a development install never signs sessions with a public key."""
    path = INSTANCE_DIR / "secret_key"
    try:
        return path.read_text().strip() or DEFAULT_SECRET_KEY
    except FileNotFoundError:
        import secrets

        try:
            INSTANCE_DIR.mkdir(exist_ok=True)
            key = secrets.token_hex(32)
            path.write_text(key)
            path.chmod(0o600)
            return key
        except OSError:  # read-only checkout: fall back (ProductionConfig refuses this key)
            return DEFAULT_SECRET_KEY


class Config:
    """Development defaults: an embedded SQLite file and whatever Redis REDIS_URL names."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'butler.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # `make run` starts an embedded Redis and passes its socket here; production sets it.
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUES = ["default"]
    TIMEZONE = "Asia/Shanghai"
    # Interface language (app/i18n.py lists the languages): English unless the user chose otherwise.
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGE_COOKIE = "lang"  # the choice made before logging in (login page); a year
    PER_PAGE = 25
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SEED_ALLOWED = True
    # Attachments live outside the web root, under random names.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    # Generated reports (written under a temporary name, renamed when complete). With several
    # machines, this folder and UPLOAD_FOLDER must be shared storage seen by web and workers.
    REPORT_FOLDER = os.environ.get("REPORT_FOLDER", str(INSTANCE_DIR / "reports"))
    # An import file (tax bureau sheets reach ~1 m rows: ~40 MB as CSV).
    MAX_IMPORT_BYTES = 50 * 1024 * 1024
    MAX_ATTACHMENTS = 5
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024  # a whole upload request, a little above 5 x 10 MB
    INVITATION_TTL_HOURS = int(os.environ.get("INVITATION_TTL_HOURS", "72"))
    # Mail is optional: without MAIL_SERVER invitation links are only shown on screen.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "butler@localhost")
    # Login attempts per account and per client address (Redis-backed, across processes).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour")
    # Strict-Transport-Security max-age in seconds; only sent when set (production, behind HTTPS).
    HSTS_MAX_AGE: int | None = None
    # How many reverse proxies (nginx, a load balancer) stand in front of the app: their
    # X-Forwarded-For/-Proto are then trusted for the client's address (rate limit, audit log).
    # 0 (the default) trusts none, so a client cannot forge its address.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Password used by `flask create-user` when set, instead of prompting (for scripts).
    CREATE_USER_PASSWORD = os.environ.get("BUTLER_PASSWORD")


class TestConfig(Config):
    """Tests: TEST_DATABASE_URL / TEST_REDIS_URL when given, else SQLite and an embedded Redis."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    # Without TEST_DATABASE_URL, tests/conftest.py uses a SQLite file in a temporary folder.
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "")
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
    WTF_CSRF_ENABLED = True
    SERVER_NAME = "localhost"
    # Tests log in many times from one address; tests/security builds apps with a low limit.
    LOGIN_RATE_LIMIT = "1000 per minute"


class ProductionConfig(Config):
    """Production: PostgreSQL and Redis from the environment; refuses a default secret key."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE = 365 * 24 * 3600
    SEED_ALLOWED = False

    @classmethod
    def check(cls) -> None:
        """Refuse to start with a missing or default secret key."""
        if not os.environ.get("SECRET_KEY") or cls.SECRET_KEY == DEFAULT_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set to a long random value in production.")


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}


def config_from_env() -> type[Config]:
    """The config class named by BUTLER_ENV (development by default)."""
    name = os.environ.get("BUTLER_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"BUTLER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
