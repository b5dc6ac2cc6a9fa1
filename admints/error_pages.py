"""Error pages in French (R-SEC-5): one handler for every HTTP error of the app and of its
Flask-Admin views, one styled template per status (`templates/errors/<code>.html`, extending
`errors/layout.html`), JSON for the JSON endpoints (job progress, ajax), and a 500 page that
says nothing of the internals (the log keeps them, under a reference shown to the user).

A view that refuses a request with its own French sentence calls `refuse(code, message)`;
Werkzeug's English descriptions are never shown. Requests carrying a NUL character (never
legitimate in a URL or a form field, refused by PostgreSQL as a 500) are refused here, once.
"""

from __future__ import annotations

import uuid
from typing import NoReturn

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from .sessions import is_portal_path

TITLES = {
    400: "Requête invalide",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Envoi trop volumineux",
    429: "Trop de tentatives",
    500: "Erreur interne",
}
MESSAGES = {
    400: "La requête contient une valeur invalide ; rien n'a été modifié.",
    403: "Vous n'avez pas accès à cette page.",
    404: "Page ou élément introuvable.",
    405: "Cette adresse ne s'utilise pas de cette façon ; rien n'a été modifié.",
    413: "Fichier trop volumineux : la taille maximale est de {mo} Mo (un texte saisi trop "
         "long est refusé de même) ; rien n'a été modifié.",
    429: "Trop de tentatives de connexion. Réessayez dans une minute.",
    500: "Une erreur inattendue est survenue ; l'opération n'a pas été effectuée. Réessayez "
         "plus tard ; si l'erreur persiste, communiquez la référence ci-dessous à l'assistance.",
}
CSRF_MESSAGE = ("Le formulaire a expiré ou n'est pas valide (jeton CSRF manquant). Rechargez la "
                "page et recommencez.")
# Shown when even the template cannot be rendered (the database is down, for instance).
_BARE_500 = ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Erreur interne – '
             'AdminTS</title></head><body><main><h1>Erreur interne</h1><p>{message}</p>'
             '<p>Référence : {reference}</p><p><a href="/">Retour à l\'accueil</a></p></main>'
             '</body></html>')


def refuse(code: int, message: str) -> NoReturn:
    """Stop the request with `code` and this French message on the error page."""
    exc = default_exceptions[code](description=message)
    exc.french_message = message
    raise exc


def wants_json() -> bool:
    path = request.path
    return (path.endswith(".json") or "/ajax/" in path
            or request.accept_mimetypes.best == "application/json")


def _message(exc: HTTPException, code: int) -> str:
    if isinstance(exc, CSRFError):
        return CSRF_MESSAGE
    own = getattr(exc, "french_message", None)
    if own:
        return own
    if isinstance(exc, RateLimitExceeded) and exc.description:
        return exc.description  # our own French `error_message` of each limit
    if code == 413:
        return MESSAGES[413].format(mo=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20)
    return MESSAGES.get(code, MESSAGES[400])


def _page(code: int, message: str, reference: str | None = None):
    if wants_json():
        body = {"erreur": message, "statut": code}
        if reference:
            body["reference"] = reference
        return jsonify(body), code
    template = f"errors/{code}.html" if code in TITLES else "errors/error.html"
    if is_portal_path(request.path):
        template = "portail/erreur.html"  # the families' portal, in its own layout
    return render_template(template, code=code, title=TITLES.get(code, f"Erreur {code}"),
                           message=message, reference=reference), code


def handle_http_error(exc: HTTPException):
    code = exc.code or 500
    if code < 400:
        return exc  # redirects raised by routing
    if code >= 500:
        return handle_server_error(exc)
    response = current_app.make_response(_page(code, _message(exc, code)))
    if code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_server_error(exc):
    """Nothing of the exception reaches the page: a reference links it to the log."""
    from .extensions import db

    reference = uuid.uuid4().hex[:10]
    original = getattr(exc, "original_exception", None) or exc
    current_app.logger.error("Erreur interne, référence %s", reference, exc_info=original)
    try:
        db.session.rollback()
        return _page(500, MESSAGES[500], reference)
    except Exception:  # the error page itself must not fail
        current_app.logger.exception("Page d'erreur 500 impossible à afficher")
        return _BARE_500.format(message=MESSAGES[500], reference=reference), 500


def refuse_nul_characters():
    """A NUL character in the path, the query or a form field: 400 (files are not checked)."""
    if "\x00" in request.path:
        refuse(400, "L'adresse contient un caractère interdit.")
    sources = (request.args, request.form) if request.method == "POST" else (request.args,)
    for values in sources:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                refuse(400, "La saisie contient un caractère interdit (caractère nul).")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.before_request(refuse_nul_characters)
