"""The entry point of every process.

``application`` is the Flask app: gunicorn serves ``wsgi:application`` and ``flask --app wsgi``
finds it. ``celery`` is the Celery app built from it: ``celery -A wsgi worker`` finds it.
(Not ``app``: Celery's ``-A wsgi`` would take a Flask object named ``app`` for its own.)
"""

from workflow import create_app

application = create_app()
celery = application.extensions["celery"]
