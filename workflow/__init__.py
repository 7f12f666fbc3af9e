"""Tizim: the membership and nomination system of the Assembly of People of Kazakhstan."""

from flask import Flask


def create_app(config=None) -> Flask:
    """Build the application; ``config`` is a name, a config object, or a mapping of overrides."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    from workflow import setup

    setup.load_config(app, config)
    setup.register_logging(app)
    setup.register_extensions(app)
    setup.register_pipeline(app)
    setup.register_celery(app)
    setup.register_security(app)
    setup.register_blueprints(app)
    setup.register_cli(app)
    setup.register_errorhandlers(app)
    setup.register_template_context(app)
    return app
