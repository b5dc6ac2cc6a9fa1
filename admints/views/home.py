"""Accueil: the establishment's home page."""

from __future__ import annotations

from flask_admin import expose

from ..tenancy import current_etablissement
from .base import HomeView as _BaseHome


class HomeView(_BaseHome):
    @expose("/")
    def index(self):
        return self.render("admints/home.html", etablissement=current_etablissement())
