"""job function paths follow the modules moved into packages (issue 10)

A job row stores the dotted path of its body (`params["_fn"]`) and of its recap hook
(`params["_recap"]`) so that a recovery or a resume can run it again. The domain modules moved
into packages by area: rows written before the move name the old modules. No schema change.

Revision ID: c1_job_function_paths
Revises: b3_server_sessions
"""
import json

from alembic import op
import sqlalchemy as sa


revision = "c1_job_function_paths"
down_revision = "b3_server_sessions"
branch_labels = None
depends_on = None

# Only the modules that ever held a job body or recap hook.
MOVED = {
    "admints.actions": "admints.comptes.notification",
    "admints.notification": "admints.comptes.notification",
    "admints.writing": "admints.comptes.writing",
}
# `write_job` lived in admints.actions before it joined the message rules.
BY_NAME = {"write_job": "admints.comptes.writing"}

job = sa.table("job", sa.column("id", sa.Integer), sa.column("params", sa.JSON))


def _rewrite(params: dict, table: dict) -> dict | None:
    changed = dict(params)
    for key in ("_fn", "_recap"):
        path = params.get(key)
        if not isinstance(path, str) or ":" not in path:
            continue
        module, _, name = path.partition(":")
        new = BY_NAME.get(name) if table is MOVED and name in BY_NAME else table.get(module)
        if new:
            changed[key] = f"{new}:{name}"
    return changed if changed != params else None


def _apply(table: dict) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(job.c.id, job.c.params)).all():
        params = row.params if not isinstance(row.params, str) else json.loads(row.params)
        if isinstance(params, dict):
            new = _rewrite(params, table)
            if new is not None:
                bind.execute(job.update().where(job.c.id == row.id).values(params=new))


def upgrade():
    _apply(MOVED)


def downgrade():
    # Back to the pre-move module of each function (notify_job and its recap lived in
    # admints.notification, write_job in admints.actions).
    _apply({"admints.comptes.notification": "admints.notification",
            "admints.comptes.writing": "admints.actions"})
