"""French everywhere: the locale of Flask-Babel (Flask-Admin's and WTForms' own strings), the
corrections of Flask-Admin's French catalogue, and the formatting filters of the templates
(admints.formatting, re-exported here for the modules that import them from this one).

Flask-Admin ships a French catalogue with a few awkward or missing messages (« L'objet a bien
été détruit. », « 20 items », « Export »). `admints/translations/fr/LC_MESSAGES/admin.po`
holds the product's wording of those messages; `make translations` compiles it. Flask-Babel
merges the catalogues of a domain in the order of its directories, the later one winning: ours
is put after Flask-Admin's.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import formatting
from .formatting import format_date, format_datetime, format_percent

__all__ = ["format_date", "format_datetime", "format_percent", "select_locale",
           "TRANSLATIONS", "init_app"]

TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    return "fr"


def use_own_admin_catalogue() -> None:
    """Flask-Admin's catalogue, then ours on top of it (ours wins on the messages it has)."""
    from flask_admin import babel as admin_babel
    from flask_admin import translations as admin_translations

    directories = [admin_translations.__path__[0], str(TRANSLATIONS)]
    if admin_babel.domain._translation_directories != directories:
        admin_babel.domain._translation_directories = directories
        admin_babel.domain.cache.clear()


def init_app(app: Flask) -> None:
    from . import clock, help_pages

    use_own_admin_catalogue()
    formatting.register_filters(app)
    # The shell's « Aide » link and the print header's date (admints/_outils.html).
    app.jinja_env.globals.update(help_topic_for=help_pages.topic_for, maintenant=clock.now)
