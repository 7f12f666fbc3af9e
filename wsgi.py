"""The WSGI entry point for gunicorn and the Celery app for ``celery -A wsgi``."""

from workflow import create_app

app = create_app()
celery_app = app.extensions["celery"]
