"""Page fragments rendered once per process: the parts of Flask-Admin's master page that are
the same on every request with the same key (asset links, the menu for one set of visible
entries and one active view).

Flask-Admin renders them through Jinja macros on every page (about a fifth of the account
list's time, bench/list_page.py). A template wraps such a block in
`{% call cached_fragment(key...) %}{{ super() }}{% endcall %}`: the body runs only on a miss.
The key must name everything the fragment depends on; `menu_state()` is that for the menu.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from markupsafe import Markup

MAX_ENTRIES = 2000  # a bound against keys that change every request (e.g. a CSP nonce)


def cached_fragment(*key, caller) -> Markup:
    cache = current_app.extensions.setdefault("admints_fragments", {})
    full_key = (request.script_root, *key)
    html = cache.get(full_key)
    if html is None:
        html = Markup(caller())
        if len(cache) < MAX_ENTRIES:
            cache[full_key] = html
    return html


def menu_state(admin) -> tuple:
    """Which menu entries this request shows: the menu's markup depends only on this (and on
    the active view)."""

    def walk(items):
        for item in items:
            if item.is_category():
                # Its children as they are: walk asks each one once (`get_children` would ask
                # them, then walk again).
                yield id(item), tuple(walk(item._children))
            elif item.is_accessible() and item.is_visible():
                yield id(item)

    return tuple(walk(admin.menu())) + tuple(walk(admin.menu_links()))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(cached_fragment=cached_fragment, menu_state=menu_state)
