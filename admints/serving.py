"""The production WSGI app of `make serve` (gunicorn): `create_app()` as it is.

Static files need nothing more here: `static_delivery` versions their URLs (a content hash) and
serves them `immutable` for a year, and Flask-Compress compresses them with the pages, so a warm
page asks for no asset at all — one mechanism for `make run`, the tests and production.
"""

from __future__ import annotations

from flask import Flask

from . import create_app


def production_app() -> Flask:
    """`gunicorn "admints.serving:production_app()"`."""
    return create_app()
