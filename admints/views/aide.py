"""« Aide » and « Quoi de neuf » (issue 12 point 10): the help page of each screen and this
version's changes. Routes of the home view (`AideMixin`, mixed into `accueil.HomeView`): open
to every signed-in staff user like the home page; the texts hold no data of anyone."""

from __future__ import annotations

from flask import abort
from flask_admin import expose

from .. import help_pages


class AideMixin:
    @expose("/aide/")
    def aide_index(self):
        return self.render("admints/aide/sommaire.html", topics=help_pages.TOPICS)

    @expose("/aide/<sujet>")
    def aide_topic(self, sujet: str):
        topic = help_pages.TOPICS.get(sujet)
        if topic is None:
            abort(404)
        return self.render("admints/aide/page.html", topic=topic, topics=help_pages.TOPICS)

    @expose("/aide/quoi-de-neuf")
    def aide_news(self):
        return self.render("admints/aide/quoi_de_neuf.html", news=help_pages.NEWS)
