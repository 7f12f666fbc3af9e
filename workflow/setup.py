"""The steps ``create_app`` takes, each small enough to read at a glance."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, request
from flask_login import current_user

import config as config_module
from workflow.extensions import babel, csrf, db, limiter, login_manager, migrate

BLUEPRINTS = (
    "workflow.auth.views",
    "workflow.main.views",
    "workflow.nominations.views",
    "workflow.admin.views",
    "workflow.documents.views",
    "workflow.api.views",
    "workflow.account.views",
    "workflow.members.views",
    "workflow.public.views",
    "workflow.secretariat.views",
    "workflow.council.views",
    "workflow.orders.views",
    "workflow.register.views",
    "workflow.associations.views",
    "workflow.sessions.views",
    "workflow.notifications.views",
    "workflow.issuing.views",
)


def load_config(app: Flask, config) -> None:
    if config is None or isinstance(config, str):
        app.config.from_object(config_module.load(config))
    elif isinstance(config, Mapping):
        app.config.from_object(config_module.load(config.get("TIZIM_CONFIG", "testing")))
        app.config.update(config)
    else:
        app.config.from_object(config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"] or ""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        # SQLite creates the file but not its folder (instance/ on a fresh clone).
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if uri.startswith("sqlite"):
        # A web request and a task may write at once: wait for the lock instead of failing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    elif uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = uri.replace("postgresql://", "postgresql+psycopg://", 1)


class RedactIIN(logging.Filter):
    """Last line of defence: no twelve-digit number reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        from workflow.iin import redact

        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def register_logging(app: Flask) -> None:
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    redactor = RedactIIN()
    for name in ("", "werkzeug", "celery", "gunicorn.access", "gunicorn.error"):
        logging.getLogger(name).addFilter(redactor)
    app.logger.addFilter(redactor)


def select_locale() -> str:
    """The user's setting, then the switch's cookie, then Accept-Language, then the default.

    Each step counts only when it names a configured language: a stale or forged value
    falls through to the next step instead of selecting a catalog that does not exist.
    """
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # tasks and the CLI choose with flask_babel.force_locale
        return default
    if getattr(current_user, "is_authenticated", False) and current_user.language in languages:
        return current_user.language
    if request.cookies.get("lang") in languages:
        return request.cookies["lang"]
    # Werkzeug falls back to the primary tag, so "ru-RU" selects "ru".
    return request.accept_languages.best_match(languages) or default


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = app.config.get("SESSION_PROTECTION", "strong")
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    from workflow.auth.services import load_user

    login_manager.user_loader(load_user)
    import workflow.database  # noqa: F401 - registers the SQLite pragmas
    import workflow.outbox  # noqa: F401 - publishes outbox rows after commit


def register_celery(app: Flask) -> None:
    from workflow.celery import celery_init_app

    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for module in BLUEPRINTS:
        app.register_blueprint(import_module(module).bp)


def register_cli(app: Flask) -> None:
    from workflow.cli import demo_cli, regions_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(regions_cli)


def register_errorhandlers(app: Flask) -> None:
    from workflow.errors import register

    register(app)


def register_template_context(app: Flask) -> None:
    from workflow import templating

    templating.register(app)
