"""Menu « Académie »: the académie's lists (docs/REGLES.md §1) — academic téléservices, services
made mandatory in the académie (R-SRV-2), the ENT list (R-PAR-3) and the TIPI référentiel with
its CSV import (R-SRV-5). Académie administrators only, scoped to their académie.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from wtforms import validators

from .. import clock, permissions
from ..academie import etablissements
from ..errors import DomainError
from ..extensions import db
from ..models import Academie, EntAcademique, Teleservice, TipiRegie
from ..parametrage import portal_links
from ..teleservices import opening, paiement
from .base import (
    AcademieModelView,
    AreaAccessMixin,
    current_academie_id,
    domain_validator,
    run,
)

CATEGORY = "Académie"


def _academie() -> Academie:
    return db.session.get(Academie, current_academie_id())


def _domain(operation, *args, **kwargs):
    """Run an operation of a list's hook; its French refusal becomes the form's error."""
    try:
        return operation(*args, **kwargs)
    except DomainError as exc:
        raise validators.ValidationError(exc.message) from None


class AcademieListView(AcademieModelView):
    """A list of the académie: its hooks only call the domain operations (`save_operation`,
    `delete_operation`), which apply the rules and write the audit."""

    can_create = can_edit = can_delete = True
    save_operation = delete_operation = None  # set by each list (staticmethod)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        _domain(self.save_operation, current_academie_id(), model, created=is_created,
                by=current_user.login)

    def on_model_delete(self, model):
        super().on_model_delete(model)
        _domain(self.delete_operation, current_academie_id(), model, by=current_user.login)


class ServicesAcademiquesView(AcademieListView):
    column_list = ("libelle", "categorie", "ouvert_par_defaut", "obligatoire")
    column_labels = {"libelle": "Libellé", "categorie": "Catégorie",
                     "ouvert_par_defaut": "Ouvert par défaut", "obligatoire": "Obligatoire",
                     "position": "Ordre d'affichage"}
    form_columns = ("libelle", "categorie", "ouvert_par_defaut", "position")
    form_args = {"libelle": {"validators": [validators.InputRequired("Le libellé est obligatoire."),
                                            domain_validator(portal_links.check_plain_label)]},
                 "categorie": {"validators": [
                     validators.InputRequired("La catégorie est obligatoire."),
                     domain_validator(lambda v: portal_links.check_plain_label(
                         v, "La catégorie"))]}}
    save_operation = staticmethod(opening.save_academic_service)
    delete_operation = staticmethod(opening.delete_academic_service)


class ServicesObligatoiresView(AreaAccessMixin, BaseView):
    """Which services are mandatory in the académie (shown always open, toggle disabled)."""

    area = permissions.ACADEMIE_ADMIN

    @expose("/", methods=["GET", "POST"])
    def index(self):
        academie = _academie()
        if request.method == "POST":
            codes = request.form.getlist("codes")
            run(lambda: opening.set_academie_mandatory(academie, codes, today=clock.today()),
                "Services obligatoires de l'académie enregistrés.")
            return redirect(url_for(".index"))
        rows = opening.academie_services(academie)
        chosen = set(academie.services_obligatoires or []) | {
            s.code for s in rows if s.academie_id is not None and s.obligatoire}
        return self.render("admints/academie/services_obligatoires.html", rows=rows,
                           types_pluriel=etablissements.TYPES_PLURIEL,
                           chosen=chosen, national=opening.nationally_mandatory)


class EntAcademiqueView(AcademieListView):
    column_list = ("nom", "url")
    column_labels = {"nom": "Nom de l'ENT", "url": "Adresse (url)"}
    form_columns = ("nom", "url")
    form_args = {"nom": {"validators": [validators.InputRequired("Le nom est obligatoire."),
                                        domain_validator(lambda v: portal_links.check_plain_label(
                                            v, "Le nom"))]},
                 "url": {"validators": [
                     validators.InputRequired("L'adresse est obligatoire."),
                     domain_validator(lambda v: portal_links.check_http_url(
                         v, "L'adresse de l'ENT"))]}}
    save_operation = staticmethod(portal_links.save_ent_academique)
    delete_operation = staticmethod(portal_links.delete_ent_academique)


class TipiRegieView(AcademieListView):
    list_template = "admints/academie/tipi_list.html"
    column_list = ("numero_client", "libelle_regie")
    column_labels = {"numero_client": "Numéro de client TIPI", "libelle_regie": "Régie"}
    column_searchable_list = ("numero_client", "libelle_regie")
    form_columns = ("numero_client", "libelle_regie")
    form_args = {"numero_client": {"validators": [
                     validators.InputRequired("Le numéro est obligatoire."),
                     domain_validator(paiement.normalise_numero)]},
                 "libelle_regie": {"validators": [
                     validators.InputRequired("La régie est obligatoire."),
                     domain_validator(paiement.check_libelle_regie)]}}

    save_operation = staticmethod(paiement.save_regie)
    delete_operation = staticmethod(paiement.delete_regie)

    @expose("/import", methods=["POST"])
    def import_csv(self):
        upload = request.files.get("fichier")
        if upload is None or not upload.filename:
            flash("Choisissez un fichier CSV.", "error")
            return redirect(url_for(".index_view"))
        academie = _academie()
        data = upload.read(paiement.MAX_CSV_BYTES + 1)  # more is refused, unread
        result, ok = run(lambda: paiement.import_referentiel(academie, data))
        if ok:
            flash(f"Référentiel importé : {result['crees']} régie(s) créée(s), "
                  f"{result['modifies']} modifiée(s).", "success")
        return redirect(url_for(".index_view"))


def register(admin) -> None:
    admin.add_view(ServicesAcademiquesView(Teleservice, db, name="Téléservices académiques",
                                           category=CATEGORY, endpoint="academie_services",
                                           url="/academie/services"))
    admin.add_view(ServicesObligatoiresView(name="Services obligatoires", category=CATEGORY,
                                            endpoint="academie_obligatoires",
                                            url="/academie/obligatoires"))
    admin.add_view(EntAcademiqueView(EntAcademique, db, name="ENT de l'académie",
                                     category=CATEGORY, endpoint="academie_ent",
                                     url="/academie/ent"))
    admin.add_view(TipiRegieView(TipiRegie, db, name="Référentiel TIPI", category=CATEGORY,
                                 endpoint="academie_tipi", url="/academie/tipi"))
