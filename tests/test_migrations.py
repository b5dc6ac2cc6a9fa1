"""Migrations (issue 2 point 2; R-DAT-1: the schema every import and account rule writes to):
a single Alembic head, and `flask db upgrade` on an empty database gives exactly the schema of
the models."""

from __future__ import annotations

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
