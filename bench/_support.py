"""What the benchmarks share: the app on a throw-away database, and a demo school loaded once.

Benchmarks run as scripts (`python bench/x.py`), so this module is imported as `_support`.
"""

from __future__ import annotations

import datetime as dt
import time

from flask import Flask

from admints import create_app, register_extensions
from admints.config import ROOT, Config, TestConfig
from admints.extensions import db


def bench_config(database_uri: str, output_dir, **overrides) -> dict:
    """The test configuration on the given database, with the benchmark's overrides."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    # The deployments' password hashing, not the tests' cheap one: logins cost what they cost.
    config.update({k: getattr(Config, k) for k in dir(Config) if k.startswith("ARGON2_")})
    config.update(SQLALCHEMY_DATABASE_URI=database_uri, OUTPUT_DIR=str(output_dir))
    config.update(overrides)
    return config


def bench_app(database_uri: str, output_dir, *, screens: bool = True, **overrides) -> Flask:
    """The whole app, or (`screens=False`) only its extensions: a benchmark of domain
    functions needs the database and the mail, not the admin screens."""
    config = bench_config(database_uri, output_dir, **overrides)
    if screens:
        return create_app(config)
    app = Flask("admints_bench", template_folder=str(ROOT / "templates"))
    app.config.update(config)
    register_extensions(app)
    return app


def load_demo_school(uai: str, eleves: int, today: dt.date):
    """A committed demo establishment (`admints.demo.loader.load_demo`), its load time printed."""
    from admints.demo.loader import load_demo

    start = time.perf_counter()
    report = load_demo(uai, eleves, "college", 0, "Bench-Orage-Tilleul-17", today)
    db.session.commit()
    print(f"demo establishment: {report.eleves} pupils loaded in "
          f"{time.perf_counter() - start:.1f} s")
    return report

