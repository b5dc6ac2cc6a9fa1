"""Helpers of the services/paramétrage tests (issue 4)."""

from __future__ import annotations

import datetime as dt

from flask import g

TODAY = dt.date(2026, 11, 28)
TOMORROW = TODAY + dt.timedelta(days=1)


def csrf(auth, path: str) -> str:
    # Tests run inside one app context, so Flask-WTF's per-request token cache (`g.csrf_token`)
    # would outlive the session cleared at login: drop it before reading a fresh token.
    g.pop("csrf_token", None)
    return auth.csrf(path)


def post(client, auth, path: str, data: dict, page: str | None = None, **kw):
    return client.post(path, data={"csrf_token": csrf(auth, page or path), **data}, **kw)


def relogin(client, auth, login: str):
    """Log out (with a fresh token) and log in as someone else."""
    post(client, auth, "/logout", {}, page="/login")
    g.pop("csrf_token", None)
    resp = auth.login(login)
    assert resp.status_code == 302, f"login of {login} failed"
    return resp


def text(resp) -> str:
    """The page as the user reads it (HTML entities decoded)."""
    import html

    return html.unescape(resp.get_data(as_text=True))
