"""« Fiche établissement » (menu Paramétrage, issue 12 point 2) and « Établissements à rattacher »
(menu Académie).

The head edits its establishment's details; the académie administrator those of its
establishments (`/parametrage/fiche/<id>/`: an establishment of another académie is a 404, like
an unknown one). The rules are `parametrage.fiche`; the view parses, calls, commits, renders.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from .. import bounded, permissions, tenancy
from ..academie import departements, etablissements
from ..extensions import db
from ..models import Etablissement
from ..parametrage import fiche
from .base import AreaAccessMixin, TenantBaseView, current_academie_id, run


def _target(etablissement_id: int | None) -> Etablissement:
    """The establishment of the request, or the one named in the URL if this user may work on it
    (404 otherwise: an id of another académie reads as unknown)."""
    user = current_user._get_current_object()
    if etablissement_id is None:
        etab = tenancy.current_etablissement()
        if etab is None:
            abort(403)
        return etab
    if bounded.parse_id(str(etablissement_id)) is None \
            or not tenancy.may_use(user, etablissement_id):
        abort(404)
    return db.session.get(Etablissement, etablissement_id) or abort(404)


class FicheView(TenantBaseView):
    area = permissions.PARAMETRAGE

    @expose("/", methods=["GET", "POST"])
    def index(self):
        return self._fiche(None)

    @expose("/<int:etablissement_id>/", methods=["GET", "POST"])
    def of(self, etablissement_id: int):
        return self._fiche(etablissement_id)

    def _fiche(self, etablissement_id: int | None):
        etab = _target(etablissement_id)
        editable = permissions.can_edit_fiche(current_user._get_current_object())
        form, status = fiche.values(etab), 200
        if request.method == "POST":
            if not editable:
                abort(403)
            form = {key: request.form.get(key, "")[:2000] for key in fiche.FIELDS}
            _, ok = run(lambda: fiche.update_fiche(etab, form, by=current_user.login),
                        "Fiche établissement enregistrée.", field_errors=True)
            if ok:
                return redirect(request.path)
            status = 400
        return self.render("admints/parametrage/fiche.html", etab=etab, form=form,
                           fields=fiche.FIELDS, editable=editable,
                           manquants=fiche.missing_header_fields(etab),
                           default_titre=fiche.DEFAULT_TITRE), status


class RattachementView(AreaAccessMixin, BaseView):
    """Établissements à rattacher: created by an import, without académie (issue 12)."""

    area = permissions.ACADEMIE_ADMIN

    @expose("/", methods=["GET", "POST"])
    def index(self):
        if request.method == "POST":
            etab_id = bounded.parse_id(request.form.get("etablissement_id"))
            etab = db.session.get(Etablissement, etab_id) if etab_id is not None else None
            if etab is None or etab.academie_id is not None:
                abort(404)
            run(lambda: etablissements.attach_to_academie(etab, current_academie_id(),
                                                          by=current_user.login),
                f"L'établissement {etab.uai} est rattaché à votre académie.")
            return redirect(url_for(".index"))
        rows = [(etab, departements.academie_name(etab.uai))
                for etab in etablissements.unattached()]
        return self.render("admints/academie/rattacher.html", rows=rows)


def register(admin, category: str) -> None:
    admin.add_view(FicheView(name="Fiche établissement", category=category,
                             endpoint="param_fiche", url="/parametrage/fiche"))


def register_academie(admin, category: str) -> None:
    admin.add_view(RattachementView(name="Établissements à rattacher", category=category,
                                    endpoint="rattacher", url="/academie/rattacher"))
