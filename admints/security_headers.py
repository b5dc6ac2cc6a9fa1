"""HTTP security headers (the French error pages are in `error_pages`).

The Content-Security-Policy allows scripts from the app's own files only (`script-src 'self'`,
no 'unsafe-inline', no nonce: issue 13 point 7). Behaviour lives in static files hooked by
data-attributes (admints/static/admints.js and one file per area); JSON data islands
(<script type="application/json">) are not executed, so they need no exception. Destructive
actions are confirmed server-side. Inline styles stay allowed (style-src) for now.
HSTS when the app is served over HTTPS (PREFERRED_URL_SCHEME=https, or a request that came over
HTTPS, as ProxyFix reports it when PROXY_FIX_COUNT is set).
"""

from __future__ import annotations

from flask import Flask, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; "
    "form-action 'self'"
)

HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if app.config.get("PREFERRED_URL_SCHEME") == "https" or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
