"""The entry point of every process.

``application`` is the Flask app: gunicorn serves ``wsgi:application`` and ``flask --app wsgi``
finds it. ``celery`` is the Celery app built from it: ``celery -A wsgi worker`` finds it.
(Not ``app``: Celery's ``-A wsgi`` would take a Flask object named ``app`` for its own.)
"""

import gc

from workflow import create_app

application = create_app()
celery = application.extensions["celery"]
# What start-up made (some 230,000 objects: modules, mappers, templates, catalogs) lives as
# long as the process: out of the collector's sight, a full collection walks what requests
# left behind, 2.6 ms instead of 115 ms in a list-serving worker (issue 14).
gc.freeze()
