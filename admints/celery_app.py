"""The Celery application of a Flask app (issue 14): jobs on workers when CELERY_BROKER_URL is
set (Redis), in-process otherwise (`jobs`, unchanged). The Flask docs' pattern: every task runs
in an app context of the app that created the Celery app (`init_celery`, called by the factory;
`admints.worker` is what `celery -A` loads).

Delivery is at least once: tasks are acknowledged after they ran (`acks_late`) and put back when
their worker process dies (`reject_on_worker_lost`), a worker takes one message at a time, and a
message left unacknowledged by a worker that vanished is handed out again after
CELERY_VISIBILITY_TIMEOUT seconds. Tasks only take ids and are idempotent (`job_worker`).

Enqueuing fails fast: short connection timeouts and one reconnection at most, so a request never
waits on a broker that is down; the caller gets `QueueUnavailable` (French) and marks its job.
"""

from __future__ import annotations

import logging

from flask import Flask

from .errors import DomainError

log = logging.getLogger(__name__)
RUN_JOB = "admints.run_job"
RECOVER_JOBS = "admints.recover_jobs"
PURGE_EXPIRED = "admints.purge_expired"
UNAVAILABLE = ("Le service des tâches est indisponible : la tâche n'a pas démarré et rien n'a "
               "été fait. Réessayez dans quelques minutes ; si cela persiste, prévenez "
               "l'administrateur.")


class QueueUnavailable(DomainError):
    """The broker could not take the message: nothing was started."""


def settings(config) -> dict:
    """Celery settings (lower-case names) from the Flask configuration."""
    from celery.schedules import crontab

    timeout = float(config.get("CELERY_CONNECT_TIMEOUT", 2.0))
    return {
        "broker_url": config["CELERY_BROKER_URL"],
        "result_backend": config.get("CELERY_RESULT_BACKEND") or None,
        "task_ignore_result": True,  # the Job row is the result
        "task_serializer": "json", "result_serializer": "json", "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_timeout": timeout,
        "broker_connection_retry_on_startup": True,  # a worker waits for Redis, a request not
        "broker_transport_options": {
            "socket_connect_timeout": timeout, "socket_timeout": max(timeout, 5.0),
            "visibility_timeout": int(config.get("CELERY_VISIBILITY_TIMEOUT", 3600)),
            # how often a worker looks for messages of vanished workers (seconds)
            "unacked_restore_interval": 5, "unacked_restore_throttle": 1,
        },
        "task_publish_retry": True,
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0,
                                      "interval_step": 0.2, "interval_max": 0.2},
        "worker_hijack_root_logger": False,
        "timezone": "Europe/Paris",
        "beat_schedule_filename": config.get("CELERY_BEAT_FILE") or "celerybeat-schedule",
        "beat_schedule": {
            "expiration-quotidienne": {  # R-ACC-10
                "task": PURGE_EXPIRED,
                "schedule": crontab(hour=int(config.get("EXPIRY_HOUR", 3)),
                                    minute=int(config.get("EXPIRY_MINUTE", 30))),
            },
            "reprise-des-taches": {  # R-ACC-6
                "task": RECOVER_JOBS,
                "schedule": float(config.get("JOB_RECOVER_EVERY", 300)),
            },
        },
    }


def init_celery(app: Flask):
    """Create the app's Celery application (app.extensions["celery"]); tasks run in an app
    context of `app`."""
    from celery import Celery, Task

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(settings(app.config))
    _after_fork(app)
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def _after_fork(app: Flask) -> None:
    """A prefork worker process must not share the parent's database connections."""
    from celery.signals import worker_process_init

    from .extensions import db

    def dispose(**_kwargs) -> None:
        with app.app_context():
            db.engine.dispose(close=False)

    worker_process_init.connect(dispose, weak=False)


def enqueue(app: Flask, task: str, *args) -> None:
    """Send `task(*args)` to the workers, or raise QueueUnavailable at once."""
    celery = app.extensions.get("celery")
    if celery is None:
        raise QueueUnavailable(UNAVAILABLE)
    try:
        celery.send_task(task, args=list(args))
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, timeouts…
        log.error("broker unavailable, %s%s not sent (%s)", task, args, exc)
        raise QueueUnavailable(UNAVAILABLE) from exc
