"""Server-side confirmation before an irreversible act (issue 12 point 6), for every screen.

The pattern the mass actions started (`comptes_actions`): the first POST renders a confirmation
page; that page posts the same fields back with `confirme=1` and a fresh CSRF token (checked by
CSRFProtect like any POST), and only that second POST acts. « Annuler » is a link back: it
changes nothing. The wording comes from `admints.confirmations`, never from a template.
"""

from __future__ import annotations

from flask import request

from ..confirmations import CONFIRM_FIELD, Confirmation

TEMPLATE = "admints/confirmation.html"
# Fields the page never copies back: its own token and flag are written by the template.
_NOT_COPIED = {"csrf_token", CONFIRM_FIELD}


def confirmed() -> bool:
    """Whether this POST is the confirming one."""
    return request.method == "POST" and request.form.get(CONFIRM_FIELD) == "1"


def posted_fields() -> list[tuple[str, str]]:
    """The fields of the first POST, in order (repeated names kept), to post back unchanged."""
    return [(k, v) for k, v in request.form.items(multi=True) if k not in _NOT_COPIED]


def ask(view, conf: Confirmation, *, cancel_url: str, action_url: str | None = None,
        fields: list[tuple[str, str]] | None = None):
    """The confirmation page of `conf`, posting back to `action_url` (this URL by default)."""
    return view.render(TEMPLATE, confirmation=conf, cancel_url=cancel_url,
                       action_url=action_url or request.path,
                       fields=posted_fields() if fields is None else fields)
