"""What the hostile-input tests share (R-SEC-5): hostile values, the `assert_refused` check
and the app's routes, read at collection time so routes added later are crawled too."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from admints import create_app, permissions
from admints.config import TestConfig
from admints.views.base import ScopedModelView

# Hostile values typed where an id, a number or a page is expected.
HUGE = ("9223372036854775808", "99999999999999999999")  # 2**63 and 10**20
IDS = (*HUGE, "-1", "0", "abc", "%00", "\x00", "<b>x</b>", "1e9", " 7 ", "")
MARKUP = "<script>alert('zz-xss')</script>"
DATES = ("2026-02-30", "9999-12-31", "0000-00-00", "0001-01-01", "31/12/9999", "2026-13-01")
FILTER_VALUES = (*HUGE, "-1", MARKUP, *DATES, "x" * 5000, "1,99999999999999999999", "%00")

# Text of Werkzeug's default (English) error pages and of tracebacks.
ENGLISH = ("Internal Server Error", "The server encountered", "Not Found</h1>",
           "Bad Request</h1>", "Method Not Allowed</h1>", "Traceback (most recent call last)",
           "The requested URL", "The browser (or proxy)", "werkzeug")
SAFE_STATUSES = {200, 302, 400, 403, 404, 405, 413}


# --------------------------------------------------------------------------- assertions

def own_url(location: str) -> bool:
    """A redirect that stays on the app: a path, or http://localhost/…"""
    parts = urlsplit(location)
    if location.startswith("//") or location.startswith("/\\"):
        return False
    return (not parts.scheme and not parts.netloc) or parts.netloc == "localhost"


def assert_refused(response, where: str, allow_ok: bool = True) -> None:
    """R-SEC-5: a safe status, never a 500; a French page, never Werkzeug's English one; the
    hostile markup never comes back unescaped; redirects stay on the app."""
    status = response.status_code
    assert status in SAFE_STATUSES, f"HTTP {status} at {where}"
    if not allow_ok:
        assert status != 200, f"accepted at {where}"
    if status == 302:
        assert own_url(response.headers["Location"]), (where, response.headers["Location"])
        return
    body = response.get_data().decode("utf-8", "replace")
    for text in ENGLISH:
        assert text not in body, f"{text!r} at {where}"
    assert MARKUP not in body, f"unescaped markup at {where}"
    if status >= 400:
        if response.mimetype == "application/json":
            assert response.get_json().get("erreur"), where
        elif response.mimetype == "text/html":
            # The French error page, or the screen again with its French error message.
            assert 'lang="fr"' in body or "alert-danger" in body or 'class="text-danger' in \
                body or "invalid-feedback" in body or "fr-alert--error" in body \
                or "fr-error-text" in body, f"no French error at {where}"


# --------------------------------------------------------------------------- the app's routes

def admin_views(app):
    return app.extensions["admin"][0]._views


def view_of(app, endpoint: str):
    name = endpoint.split(".", 1)[0]
    return next((v for v in admin_views(app) if v.endpoint == name), None)


def who_for(app, endpoint: str) -> str:
    view = view_of(app, endpoint)
    if view is not None and getattr(view, "area", None) == permissions.ACADEMIE_ADMIN:
        return "academie"
    return "chef"


def base_url(app, view) -> str:
    """The view's URL without its trailing slash (`url_for`: some views have a relative url,
    which Flask-Admin joins to the admin's « / » as « //journal »)."""
    from flask import url_for

    with app.test_request_context():
        return url_for(f"{view.endpoint}.index_view").rstrip("/")


def model_views(app) -> list:
    return [v for v in admin_views(app) if isinstance(v, ScopedModelView)]


def form_fields(html: str) -> set[str]:
    """The names of the inputs of a page's forms."""
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)) - {
        "csrf_token"}


def collection_app():
    """An app built at collection time, to parametrise over its routes and views."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI="sqlite://", DATABASE_URL="")
    return create_app(config)
