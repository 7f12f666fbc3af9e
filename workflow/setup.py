"""The steps ``create_app`` takes, each small enough to read at a glance."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from werkzeug.datastructures import FileStorage

import config as config_module
from workflow import bodies
from workflow.extensions import babel, csrf, db, limiter, login_manager, migrate
from workflow.i18n import FastDomain

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
    "workflow.papers.views",
    "workflow.privacy.views",
    "workflow.consent.views",
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
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "connect_args": {"timeout": 30}}
    elif uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = uri.replace("postgresql://", "postgresql+psycopg://", 1)
    if uri.startswith("postgresql"):
        # No pre-ping (a round trip on every checkout): workflow.database checks a connection
        # taken from the pool without one; TCP keepalives make a peer that vanished without a
        # word visible to that check, and connections are renewed hourly whatever happens.
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": False, "pool_recycle": 3600, **options,
            "connect_args": {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                             "keepalives_count": 3, **options.get("connect_args", {})}}
    # The body served (TIZIM_BODY): a wrong file stops the start with what is wrong in it.
    bodies.configure(app.config)


def _redacting(make_record):
    """A log record factory that redacts IINs from the message and any traceback it carries."""

    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        from workflow.iin import redact

        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logging's to report
            return record
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    factory.redacts_iins = True
    return factory


def register_logging(app: Flask) -> None:
    """Every log record of the process, whatever logger or handler writes it (the app's,
    werkzeug's and gunicorn's access logs, Celery's, the console mail backend's), is made by one
    factory that redacts IINs, also from the exception text a database error carries."""
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacts_iins", False):
        logging.setLogRecordFactory(_redacting(current))


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
    if request.path.startswith("/api/"):
        # A program says what its reader reads with each request.
        asked = request.accept_languages.best_match(languages)
        if asked:
            return asked
    if getattr(current_user, "is_authenticated", False) and current_user.language in languages:
        return current_user.language
    if request.cookies.get("lang") in languages:
        return request.cookies["lang"]
    # Werkzeug falls back to the primary tag, so "ru-RU" selects "ru".
    return request.accept_languages.best_match(languages) or default


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, and an uploaded file as its name: spectree puts the values it refused in
    its own error body before our hook replaces that body with a problem (workflow.api.spec),
    and a multipart request's file would otherwise fail that first step with a server error."""

    @staticmethod
    def default(o):
        if isinstance(o, FileStorage):
            return o.filename or ""
        return DefaultJSONProvider.default(o)


def register_extensions(app: Flask) -> None:
    app.json = JSONProvider(app)
    db.init_app(app)
    from workflow.database import configure_engine

    with app.app_context():  # the engine exists; nothing connects yet
        configure_engine(db.engine, app.config.get("DATABASE_PARALLEL_WORKERS", 0))
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's gettext and lazy strings find the catalog the fast way (workflow.i18n);
    # Babel's own domain is a cached_property, so the instance's attribute replaces it.
    babel.__dict__["domain_instance"] = FastDomain()
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = app.config.get("SESSION_PROTECTION", "strong")
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    from workflow.auth.services import load_user

    login_manager.user_loader(load_user)
    import workflow.audit  # noqa: F401 - records changes and seals the audit chain
    import workflow.database  # noqa: F401 - registers the SQLite pragmas
    import workflow.outbox  # noqa: F401 - publishes outbox rows after commit


def register_pipeline(app: Flask) -> None:
    """Connect what the pipeline's table names to the capabilities that do it, and what one
    capability tells another above it: the layers import downward only, these reach up."""
    from workflow import pipeline
    from workflow.account import services as account
    from workflow.council import services as council
    from workflow.issuing import services as issuing
    from workflow.members import services as members
    from workflow.notifications import emails
    from workflow.notifications import services as notifications
    from workflow.orders import services as orders
    from workflow.register import services as register
    from workflow.sessions import services as sessions

    pipeline.connect_effects({
        "session_agenda_item": sessions.effect_agenda_item,
        "session_agenda_item_removed": sessions.effect_agenda_item_removed,
        "session_decision": sessions.effect_decision,
        "council_agenda_item": council.effect_agenda_item,
        "council_agenda_item_removed": council.effect_agenda_item_removed,
        "council_decision": council.effect_decision,
        "order_item": orders.effect_order_item,
        "rotation_ends_replaced_membership": register.effect_rotation,
        "membership": members.effect_membership,
    })
    pipeline.transition_applied.connect(notifications.on_transition)
    for template in account.TEMPLATES.values():
        emails.register(template, account.render_link_email)
    members.membership_issued.connect(account.on_membership_issued)
    orders.order_recorded.connect(issuing.on_order_recorded)
def register_security(app: Flask) -> None:
    from workflow import security

    security.register(app)


def register_celery(app: Flask) -> None:
    from workflow.celery import celery_init_app

    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for module in BLUEPRINTS:
        app.register_blueprint(import_module(module).bp)


def register_cli(app: Flask) -> None:
    from workflow.cli import audit_cli, demo_cli, import_cli, regions_cli, users_cli

    app.cli.add_command(audit_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(regions_cli)
    app.cli.add_command(import_cli)


def register_errorhandlers(app: Flask) -> None:
    from workflow.errors import register

    register(app)


def register_template_context(app: Flask) -> None:
    from workflow import templating

    templating.register(app)
