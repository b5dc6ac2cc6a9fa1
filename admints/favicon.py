"""/favicon.ico (issue 12 point 11): browsers ask for it on every page; without it each page
logged a 404. A small static icon, cached for a day."""

from __future__ import annotations

from flask import Flask, send_from_directory


def register(app: Flask) -> None:
    def favicon():
        return send_from_directory(app.static_folder, "favicon.ico", mimetype="image/x-icon",
                                   max_age=86400)

    app.add_url_rule("/favicon.ico", "favicon", favicon)
