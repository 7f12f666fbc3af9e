"""Celery, set up as Flask's "Background Tasks with Celery" shows."""

import logging

from celery import Celery, Task
from celery.signals import beat_init, heartbeat_sent
from flask import Flask

log = logging.getLogger("celery.beat")


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app whose tasks run inside ``app``'s context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    # Task modules live in the top-level tasks/ package.
    celery_app.autodiscover_tasks(["tasks"], related_name=None, force=True)
    app.extensions["celery"] = celery_app

    def worker_seen(sender, **_) -> None:
        from workflow.health import record_worker_seen

        record_worker_seen(app, sender.eventer.hostname)

    # Celery's own heartbeat (every 2 s in a worker) tells /readyz a worker is alive. One
    # receiver per process: the first app built in it (the worker builds one, from wsgi.py).
    heartbeat_sent.connect(worker_seen, weak=False, dispatch_uid="tizim-worker-seen")
    return celery_app


@beat_init.connect
def log_schedule(sender, **_) -> None:
    """Say at start-up what beat will run and when, so an operator sees it in the log."""
    for name, entry in sorted(sender.app.conf.beat_schedule.items()):
        log.info("beat schedule: %s runs %s %s", name, entry["task"], entry["schedule"])
