"""What `celery -A admints.worker` loads (`make worker`, `make beat`): the Flask app from the
environment (CELERY_BROKER_URL required), its Celery application and the tasks."""

from __future__ import annotations

from . import create_app, tasks  # noqa: F401  (registers the tasks)

flask_app = create_app()
if "celery" not in flask_app.extensions:
    raise SystemExit("CELERY_BROKER_URL n'est pas défini : pas de worker Celery sans broker.")
celery_app = flask_app.extensions["celery"]
