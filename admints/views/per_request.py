"""Values a page asks for many times, computed once per request.

They are kept in the request's WSGI environ: unlike `g`, it never outlives its request, even
under the test client (where `g` lives in an app context a test may keep open across requests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request

T = TypeVar("T")


def once(key: str, compute: Callable[[], T]) -> T:
    """`compute()` the first time `key` is asked in this request, the same value afterwards."""
    environ = request.environ
    if key not in environ:
        environ[key] = compute()
    return environ[key]
