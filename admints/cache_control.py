"""Responses a browser or a proxy must not keep: pages and files that show temporary passwords
(class lists in HTML, CSV and PDF; notification letters). `no_store` marks a view's response,
whatever the view returns (a template, a file, a redirect)."""

from __future__ import annotations

import functools

from flask import make_response

NO_STORE = "no-store"


def mark_no_store(response):
    """`Cache-Control: no-store` (and the HTTP/1.0 spelling) on a response; returns it."""
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"
    return response


def no_store(view):
    """Decorator: the view's response is never stored by a browser or a proxy."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return mark_no_store(make_response(view(*args, **kwargs)))

    return wrapper
