"""The entry point of every process: gunicorn (``wsgi:app``), ``celery -A wsgi``, ``flask --app wsgi``.

``app`` is the Celery app, which answers WSGI by handing each request to the Flask app
(workflow.celery.TizimCelery): Celery's ``-A wsgi`` takes ``wsgi.app`` first, gunicorn serves
``wsgi:app``, and the Flask CLI finds ``flask_app``, the one Flask app here.
"""

from workflow import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app
