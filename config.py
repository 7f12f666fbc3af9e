"""Configuration classes: what differs between a laptop, the test suite and a ministry server.

Everything secret or deployment-specific comes from the environment, read when a config is
instantiated (not at import). Pick one with ``TIZIM_CONFIG`` (development, testing,
production); production is the default, so a server that forgot to say otherwise refuses to
start without its secrets.
"""

import math
import os
from collections import Counter
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


# A secret key must be worth at least this many bits, estimated from what it is made of.
SECRET_KEY_MIN_BITS = 128


def estimated_bits(secret: str) -> float:
    """The lower of two estimates of a secret's entropy, in bits.

    Shannon's (its length times the bits per character it shows) misses patterns; zxcvbn's
    (the guesses a cracker needs, knowing words, repeats, sequences and keyboards) counts them.
    ``secrets.token_hex(32)`` estimates at about 210 bits, a phrase repeated twice at about
    100, ``"changeme" * 4`` at 11.
    """
    if not secret:
        return 0.0
    from zxcvbn import zxcvbn

    counts = Counter(secret)
    shannon = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    guesses_log10 = sum(zxcvbn(secret[i:i + 72])["guesses_log10"]
                        for i in range(0, len(secret), 72))
    return min(shannon * len(secret), guesses_log10 * math.log2(10))


# The longest wait between two tries of an e-mail (tasks/notifications.py: RETRY_BACKOFF_MAX).
LONGEST_RETRY_DELAY = 600

def beat_schedule(relay_every: float = 30.0) -> dict:
    return {
        # Publishes unpublished outbox rows, deliveries and issuing items not confirmed in time.
        "relay-outbox": {"task": "tasks.outbox.relay_outbox", "schedule": relay_every},
        "send-reminders": {"task": "tasks.reminders.send_reminders",
                           "schedule": crontab(hour=9, minute=0)},
        "weekly-digest": {"task": "tasks.reminders.send_weekly_digest",
                          "schedule": crontab(hour=9, minute=30, day_of_week="mon")},
        # Destroys the personal data whose retention period has run out (Law No. 94-V).
        "destroy-personal-data": {"task": "tasks.privacy.destroy_personal_data",
                                  "schedule": crontab(hour=3, minute=0)},
    }


def celery_settings(broker: str | None, eager: bool, relay_every: float = 30.0) -> dict:
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
        "beat_schedule": beat_schedule(relay_every),
    }


class Config:
    """Settings shared by every environment."""

    def __init__(self) -> None:
        self.SECRET_KEY = env("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")
        # A database error must not write what was being saved (an IIN, a name) to the log.
        # No pool_pre_ping: a round trip per request; see workflow.database (issue 14).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
        # PostgreSQL's parallel workers per query for the app's connections (max_parallel_
        # workers_per_gather). 0: a request's query reads one page, and starting workers costs
        # more than that (see workflow.database); -1 leaves the server's own setting.
        self.DATABASE_PARALLEL_WORKERS = env_int("DATABASE_PARALLEL_WORKERS", 0)
        self.PRODUCTION = False

        # Sessions: strong protection, HttpOnly cookies; the remember cookie lasts two weeks.
        self.SESSION_PROTECTION = "strong"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=14)
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
        # Personal data are kept only as long as their purpose lasts (Law No. 94-V): days
        # after each outcome before the person's data and documents are destroyed by the
        # daily job (workflow.privacy). A person is destroyed when every nomination and
        # membership of theirs has reached its end.
        self.RETENTION_DAYS = {
            "declined_regionally": env_int("RETENTION_DECLINED_DAYS", 365),
            "council_declined": env_int("RETENTION_DECLINED_DAYS", 365),
            "rejected": env_int("RETENTION_REJECTED_DAYS", 365),
            "withdrawn": env_int("RETENTION_WITHDRAWN_DAYS", 365),
            "membership_ended": env_int("RETENTION_ENDED_MEMBERSHIP_DAYS", 5 * 365),
            # After a withdrawal of consent, with nothing open: the time to close the file.
            "consent_withdrawn": env_int("RETENTION_CONSENT_WITHDRAWN_DAYS", 30),
        }
        # The body Tizim serves (workflow/data/bodies/<name>.toml, or a path to such a file):
        # its name, routes, seat quotas and, if it says so, the Council's rule below.
        self.BODY = env("TIZIM_BODY", "assembly")
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
        # How often beat runs the outbox relay (s): what a lost message waits at most, beyond
        # NOTIFY_STALE_SECONDS, before it is published again.
        self.OUTBOX_RELAY_SECONDS = float(env("OUTBOX_RELAY_SECONDS", "30"))
        self.CELERY = celery_settings(self.REDIS_URL, eager=False,
                                      relay_every=self.OUTBOX_RELAY_SECONDS)

        # Rate limits (Flask-Limiter): Redis where it runs, memory in the embedded default.
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Reverse proxies in front of gunicorn whose X-Forwarded-For is believed (docs/operations.md).
        self.PROXY_HOPS = env_int("PROXY_HOPS", 0)
        # Seconds browsers keep to HTTPS (Strict-Transport-Security); 0: no header.
        self.HSTS_SECONDS = 0
        # Failed logins: per address, and per account from any address.
        # Redis down must not take the pages down: each process counts in memory meanwhile.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per 5 minutes")
        self.LOGIN_ACCOUNT_RATE_LIMIT = env("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes")
        # The public status check: per address, and failed checks per reference code (any
        # address), so checking one's own code never uses up its tries.
        self.STATUS_CHECK_RATE_LIMIT = env("STATUS_CHECK_RATE_LIMIT", "20 per hour")
        self.STATUS_CHECK_CODE_RATE_LIMIT = env("STATUS_CHECK_CODE_RATE_LIMIT", "5 per hour")

        self.LOG_LEVEL = env("LOG_LEVEL", "INFO")

        # The seal on every paper Tizim issues (PAdES): the organisation's key and certificate
        # as a PKCS#12 file, and its password. Development and the tests make a self-signed one
        # (SEAL_DEVELOPMENT); production never does: without the file no paper is issued.
        self.SEAL_PKCS12_PATH = env("SEAL_PKCS12_PATH")
        self.SEAL_PKCS12_PASSWORD = env("SEAL_PKCS12_PASSWORD")
        self.SEAL_DEVELOPMENT = False
        # Papers with more rows than this are made by a background task, with progress shown.
        self.PAPERS_INLINE_ROWS = env_int("PAPERS_INLINE_ROWS", 60)


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
        self.CELERY = celery_settings(self.REDIS_URL, eager=self.REDIS_URL is None,
                                      relay_every=self.OUTBOX_RELAY_SECONDS)
        # `make run` creates this key and self-signed certificate on first start; never commit it.
        self.SEAL_PKCS12_PATH = env(
            "SEAL_PKCS12_PATH", str(BASE_DIR / "instance" / "seal-DEVELOPMENT-ONLY.p12"))
        self.SEAL_PKCS12_PASSWORD = env("SEAL_PKCS12_PASSWORD", "development-only")
        self.SEAL_DEVELOPMENT = True


class Testing(Config):
    """The test suite: each test session gives its own database URL."""

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "testing-secret"  # noqa: S105 - test-only
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"  # each test gives its own
        # A failing test shows the values it sent (tests hold no real person's data).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": False}
        self.WTF_CSRF_ENABLED = False
        self.MAIL_BACKEND = "memory"
        # Tests assert on the English source text; a test about another language says so
        # (lang cookie, Accept-Language or force_locale). The shipped default stays kk.
        self.BABEL_DEFAULT_LOCALE = "en"
        self.RATELIMIT_ENABLED = False
        self.CELERY = celery_settings(None, eager=True)
        self.SEAL_PKCS12_PATH = str(BASE_DIR / "instance" / "seal-TESTING-ONLY.p12")
        self.SEAL_PKCS12_PASSWORD = "testing-only"  # noqa: S105 - test-only
        self.SEAL_DEVELOPMENT = True


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
        if len(self.SECRET_KEY) < 32 or estimated_bits(self.SECRET_KEY) < SECRET_KEY_MIN_BITS:
            raise ConfigError(
                "SECRET_KEY must be a random value of at least 32 characters and "
                f"{SECRET_KEY_MIN_BITS} bits of entropy (this one is not): "
                "python -c 'import secrets; print(secrets.token_hex(32))'."
            )
        if env_bool("FLASK_DEBUG", False):
            # The debugger runs any code typed into its console: never on a server.
            raise ConfigError("Tizim does not start in production with FLASK_DEBUG on: unset it.")
        self.DEBUG = False
        self.PRODUCTION = True
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600 if self.SESSION_COOKIE_SECURE
                                    else 0)
        self.PREFERRED_URL_SCHEME = "https"
        seal = self.SEAL_PKCS12_PATH
        if seal and not Path(seal).is_file():
            raise ConfigError(f"SEAL_PKCS12_PATH={seal} is not a readable file: give the path of "
                              "the organisation's PKCS#12 key and certificate (see .env.example).")
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
