"""HTTP security headers and error pages in French.

The Content-Security-Policy allows scripts from the app only (plotly.js is served locally);
Flask-Admin still needs inline handlers, so destructive actions are confirmed server-side.
HSTS when the app is served over HTTPS (PREFERRED_URL_SCHEME=https, or a request that came over
HTTPS, as ProxyFix reports it when PROXY_FIX_COUNT is set).
"""

from __future__ import annotations

from flask import Flask, render_template, request

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
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

    @app.errorhandler(403)
    def _forbidden(_e):
        return render_template("errors/error.html", code=403,
                               message="Vous n'avez pas accès à cette page."), 403

    @app.errorhandler(404)
    def _not_found(_e):
        return render_template("errors/error.html", code=404,
                               message="Page ou élément introuvable."), 404

    @app.errorhandler(413)
    def _too_large(_e):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_template(
            "errors/error.html", code=413,
            message=f"Fichier trop volumineux : la taille maximale est de {limit} Mo."), 413

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return render_template(
            "errors/error.html", code=400,
            message="Le formulaire a expiré ou n'est pas valide (jeton CSRF manquant). "
                    "Rechargez la page et recommencez."), 400
