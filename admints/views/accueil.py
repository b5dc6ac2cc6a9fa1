"""Accueil: the establishment's home page, and the activation screen until the head activates
the online services (R-SRV-1)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user

from .. import clock, permissions
from ..errors import DomainError
from ..extensions import db
from ..teleservices import opening
from ..tenancy import current_etablissement
from .aide import AideMixin
from .base import HomeView as _BaseHome


class HomeView(AideMixin, _BaseHome):
    @expose("/")
    def index(self):
        etab = current_etablissement()
        if etab is not None and not opening.is_activated(etab):
            return self.render("admints/activation.html", etablissement=etab,
                               may_activate=permissions.can_activate_services(current_user))
        # Guide §2.1 NB: the home page shows the services' state, read-only.
        states = opening.service_states(etab) if etab is not None else []
        return self.render("admints/home.html", etablissement=etab, services_etat=states)

    @expose("/activer", methods=["POST"])
    def activate(self):
        etab = current_etablissement()
        if etab is None or not permissions.can_activate_services(current_user):
            abort(403)
        try:
            opening.activate(etab, today=clock.today(), by=current_user.login)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        db.session.commit()
        flash("Les téléservices de l'établissement sont activés.", "success")
        return redirect(url_for(".index"))
