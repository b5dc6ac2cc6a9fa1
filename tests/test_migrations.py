"""Migrations (issue 2 point 2; R-DAT-1: the schema every import and account rule writes to):
a single Alembic head, and `flask db upgrade` on an empty database gives exactly the schema of
the models."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from admints import create_app
from admints.config import ROOT, TestConfig
from admints.extensions import db as _db


def _script() -> ScriptDirectory:
    cfg = AlembicConfig(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(cfg)


def test_single_alembic_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}"


def test_upgrade_on_empty_database_equals_models(tmp_path):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.sqlite'}",
                  DATABASE_URL="", OUTPUT_DIR=str(tmp_path / "out"))
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output + str(result.exception)
    with app.app_context():
        with _db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False})
            diffs = compare_metadata(context, _db.metadata)
            assert context.get_current_revision() == _script().get_current_head()
        _db.engine.dispose()
    assert diffs == [], "the migration differs from the models:\n" + "\n".join(map(str, diffs))


def test_r_acc_6_job_paths_follow_the_moved_modules(tmp_path):
    """R-ACC-6 (a job can be resumed after an upgrade): rows written before the modules moved
    into packages name their body and recap hook by the old paths; the migration rewrites
    them so that `jobs.resolve` finds the functions, and its downgrade gives them back."""
    from admints import jobs

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.sqlite'}",
                  DATABASE_URL="", OUTPUT_DIR=str(tmp_path / "out"))
    app = create_app(config)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "b3_server_sessions"]).exit_code == 0
    old = {1: {"_fn": "admints.notification:notify_job",
               "_recap": "admints.notification:interrupted_recap", "kind": "eleve"},
           2: {"_fn": "admints.actions:write_job", "subject": "S"},
           3: {"_fn": "admints.actions:notify_job"},
           4: {"kind": "sans fonction"}}
    with app.app_context():
        with _db.engine.begin() as conn:
            for jid, params in old.items():
                conn.execute(_db.text(
                    "INSERT INTO job (id, kind, status, params, created_at, attempts, total, done) "
                    "VALUES (:i, 'notification', 'interrupted', :p, '2026-12-01', 1, 0, 0)"),
                    {"i": jid, "p": json.dumps(params)})
        _db.engine.dispose()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    def stored() -> dict:
        with app.app_context():
            with _db.engine.connect() as conn:
                rows = conn.execute(_db.text("SELECT id, params FROM job")).all()
            _db.engine.dispose()
        return {r.id: json.loads(r.params) for r in rows}

    new = stored()
    assert new[1]["_fn"] == "admints.comptes.notification:notify_job"
    assert new[2]["_fn"] == "admints.comptes.writing:write_job"
    assert new[4] == old[4] and new[2]["subject"] == "S"
    for params in new.values():
        for key in ("_fn", "_recap"):
            if key in params:
                assert callable(jobs.resolve(params[key]))
    assert runner.invoke(args=["db", "downgrade", "b3_server_sessions"]).exit_code == 0
    back = stored()
    assert back[1] == old[1] and back[2] == old[2]
