"""« Aide » and « Quoi de neuf » (issue 12 point 10): the help page of each screen and this
version's changes, for every signed-in staff user; not in the menu (the shell links them)."""

from __future__ import annotations

from flask import abort
from flask_admin import BaseView, expose

from .. import help_pages
from .base import HomeView


class AideView(BaseView):
    # Same access as the home page: any signed-in staff user; the texts hold no data.
    is_accessible = HomeView.is_accessible
    inaccessible_callback = HomeView.inaccessible_callback

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        return self.render("admints/aide/sommaire.html", topics=help_pages.TOPICS)

    @expose("/<sujet>")
    def topic(self, sujet: str):
        topic = help_pages.TOPICS.get(sujet)
        if topic is None:
            abort(404)
        return self.render("admints/aide/page.html", topic=topic, topics=help_pages.TOPICS)

    @expose("/quoi-de-neuf")
    def news(self):
        return self.render("admints/aide/quoi_de_neuf.html", news=help_pages.NEWS)


def register(admin) -> None:
    admin.add_view(AideView(name="Aide", endpoint="aide", url="/aide"))
