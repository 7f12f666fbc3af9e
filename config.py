"""Configuration classes: what differs between a laptop, the test suite and a ministry server.

Everything secret or deployment-specific comes from the environment, read when a config is
instantiated (not at import). Pick one with ``TIZIM_CONFIG`` (development, testing,
production); production is the default, so a server that forgot to say otherwise refuses to
start without its secrets.
"""

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A required setting is missing or unusable."""


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


# The longest wait between two tries of an e-mail (tasks/notifications.py: RETRY_BACKOFF_MAX).
LONGEST_RETRY_DELAY = 600

BEAT_SCHEDULE = {
    # Publishes unpublished outbox rows, deliveries and issuing items not confirmed in time.
    "relay-outbox": {"task": "tasks.outbox.relay_outbox", "schedule": 30.0},
    "send-reminders": {"task": "tasks.reminders.send_reminders",
                       "schedule": crontab(hour=9, minute=0)},
    "weekly-digest": {"task": "tasks.reminders.send_weekly_digest",
                      "schedule": crontab(hour=9, minute=30, day_of_week="mon")},
}


def celery_settings(broker: str | None, eager: bool) -> dict:
    """Celery settings that keep messages: late acks, re-queue on a lost worker, prefetch 1."""
    return {
        "broker_url": broker or "memory://",
        "result_backend": None,
        "task_ignore_result": True,
        "task_always_eager": eager,
        "task_eager_propagates": eager,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # A web request whose broker is down waits this long, then leaves it to the relay.
        "broker_connection_timeout": 2,
        # Above the longest retry delay, so an unacknowledged message (a retry waiting for its
        # countdown in a worker) is not handed to a second worker meanwhile.
        "broker_transport_options": {"visibility_timeout": max(3 * 3600,
                                                               4 * LONGEST_RETRY_DELAY)},
        "task_default_queue": "tizim",
        "timezone": "Asia/Almaty",
        "beat_schedule": BEAT_SCHEDULE,
    }


class Config:
    """Settings shared by every environment."""

    def __init__(self) -> None:
        self.SECRET_KEY = env("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        # Sessions: strong protection, HttpOnly cookies.
        self.SESSION_PROTECTION = "strong"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
        self.WTF_CSRF_TIME_LIMIT = 8 * 3600

        # Languages: Kazakh is the state language and the default.
        self.LANGUAGES = ("kk", "ru", "en")
        self.BABEL_DEFAULT_LOCALE = env("DEFAULT_LANGUAGE", "kk")
        self.BABEL_DEFAULT_TIMEZONE = env("TIMEZONE", "Asia/Almaty")
        self.BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "workflow" / "translations")

        # Uploaded documents stay on this server (personal data stays in Kazakhstan).
        self.UPLOAD_DIR = env("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
        self.MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
        self.MAX_CONTENT_LENGTH = 4 * self.MAX_DOCUMENT_BYTES

        # Membership numbers: {year} and {seq} are filled in.
        self.MEMBER_NUMBER_PATTERN = env("MEMBER_NUMBER_PATTERN", "APK-{year}-{seq:05d}")
        # Days an item may wait in a state before it is marked overdue and reminded about.
        self.EXPECTED_DAYS_DEFAULT = env_int("EXPECTED_DAYS_DEFAULT", 14)
        # Council voting (Law No. 70-IV Art. 10): quorum and decision as data, not code.
        self.COUNCIL_QUORUM = env("COUNCIL_QUORUM", ">=2/3")
        self.COUNCIL_MAJORITY = env("COUNCIL_MAJORITY", ">=2/3")

        # Mail: smtp (a real server), console (printed, for a laptop), memory (tests).
        self.MAIL_BACKEND = env("MAIL_BACKEND", "smtp")
        self.MAIL_SERVER = env("MAIL_SERVER", "localhost")
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = env("MAIL_USERNAME")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD")
        self.MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "tizim@assembly.kz")
        self.MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)
        self.PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        # Where a nominee follows their nomination with the reference code (the public page).
        self.PUBLIC_STATUS_PATH = env("PUBLIC_STATUS_PATH", "/status")

        # Notifications: a claim on a delivery lasts NOTIFY_CLAIM_SECONDS (a send that died is
        # taken over after it); deliveries and issuing items not confirmed done after
        # NOTIFY_STALE_SECONDS (above the longest retry delay) are published again by the relay.
        self.NOTIFY_CLAIM_SECONDS = env_int("NOTIFY_CLAIM_SECONDS", 120)
        self.NOTIFY_STALE_SECONDS = env_int("NOTIFY_STALE_SECONDS", 900)
        # Items of an issuing batch per task (one transaction per item).
        self.ISSUING_CHUNK = env_int("ISSUING_CHUNK", 25)

        # Celery and Redis.
        self.REDIS_URL = env("REDIS_URL")
        self.CELERY = celery_settings(self.REDIS_URL, eager=False)

        # Rate limits (Flask-Limiter): Redis where it runs, memory in the embedded default.
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per 5 minutes")
        # The public status check: per address, and per reference code (any address).
        self.STATUS_CHECK_RATE_LIMIT = env("STATUS_CHECK_RATE_LIMIT", "20 per hour")
        self.STATUS_CHECK_CODE_RATE_LIMIT = env("STATUS_CHECK_CODE_RATE_LIMIT", "5 per hour")

        self.LOG_LEVEL = env("LOG_LEVEL", "INFO")


class Development(Config):
    """A laptop: SQLite under instance/, tasks executed in-process, no Redis needed."""

    def __init__(self) -> None:
        super().__init__()
        self.DEBUG = True
        self.SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret")
        self.SQLALCHEMY_DATABASE_URI = env(
            "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'tizim.sqlite3'}"
        )
        self.MAIL_BACKEND = env("MAIL_BACKEND", "console")
        self.CELERY = celery_settings(self.REDIS_URL, eager=self.REDIS_URL is None)


class Testing(Config):
    """The test suite: each test session gives its own database URL."""

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "testing-secret"  # noqa: S105 - test-only
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"  # each test gives its own
        self.WTF_CSRF_ENABLED = False
        self.MAIL_BACKEND = "memory"
        # Tests assert on the English source text; a test about another language says so
        # (lang cookie, Accept-Language or force_locale). The shipped default stays kk.
        self.BABEL_DEFAULT_LOCALE = "en"
        self.RATELIMIT_ENABLED = False
        self.CELERY = celery_settings(None, eager=True)


class Production(Config):
    """A server: everything from the environment; refuses to start on missing secrets.

    :raise ConfigError: naming the missing or unusable variable.
    """

    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")

    def __init__(self) -> None:
        super().__init__()
        missing = [name for name in self.REQUIRED if not env(name)]
        if missing:
            raise ConfigError(
                "Tizim cannot start in production: set the environment variable(s) "
                + ", ".join(missing)
                + " (see .env.example)."
            )
        if len(self.SECRET_KEY) < 32:
            raise ConfigError(
                "SECRET_KEY must be a random value of at least 32 characters: "
                "python -c 'import secrets; print(secrets.token_hex(32))'."
            )
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PREFERRED_URL_SCHEME = "https"
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", self.REDIS_URL)


CONFIGS = {"development": Development, "testing": Testing, "production": Production}


def load(name: str | None = None) -> Config:
    """Return the configuration named by ``name`` or ``TIZIM_CONFIG``, read from the environment.

    :raise ConfigError: on an unknown name, or production without its secrets.
    """
    name = (name or env("TIZIM_CONFIG", "production")).lower()
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise ConfigError(f"TIZIM_CONFIG={name!r} is not one of {', '.join(CONFIGS)}.") from None
    return cls()
