"""The admin shell: Flask-Admin built inside the factory, menus in the guide's order."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from .. import tenancy
from . import (
    academie,
    academie_listes,
    accueil,
    donnees,
    eleves,
    journal,
    parametrage,
    responsables,
    services,
    statistiques,
)

# Menu areas in the guide's order, then the product's own.
AREA_MODULES = (services, parametrage, responsables, eleves, statistiques, donnees, journal,
                academie, academie_listes)


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name="AdminTS",
        url="/",
        index_view=accueil.HomeView(name="Accueil", url="/", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admints/master.html", swatch="cerulean", fluid=True),
    )
    for module in AREA_MODULES:
        module.register(admin)

    @app.context_processor
    def _shell_context():
        if not current_user.is_authenticated:
            return {}
        return {
            "current_etablissement": tenancy.current_etablissement(),
            "etablissements_choix": tenancy.etablissements_of(current_user)
            if current_user.role == "academie" else [],
        }

    return admin
