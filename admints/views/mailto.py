"""Email addresses on back-office screens are `mailto:` links (issue 12 point 3).

Only an address that passes `email_syntax` becomes a link (its characters are then all safe in
a URL); anything else is shown as escaped text. Used by column formatters and, as the Jinja
filter `mailto`, by templates.
"""

from __future__ import annotations

import html

from markupsafe import Markup, escape

from ..email_syntax import is_valid_email


def link(address: object) -> Markup:
    text = "" if address is None else str(address).strip()
    if not is_valid_email(text):
        return escape(text)
    # html.escape is markupsafe's rule at a fraction of Markup.format's cost (list pages
    # format an address per row).
    safe = html.escape(text)
    return Markup(f'<a href="mailto:{safe}">{safe}</a>')


def links(addresses) -> Markup:
    return Markup(", ").join(link(a) for a in (addresses or []))
