"""Menu « Académie »: the académie's lists (docs/REGLES.md §1) — academic téléservices, services
made mandatory in the académie (R-SRV-2), the ENT list (R-PAR-3) and the TIPI référentiel with
its CSV import (R-SRV-5). Académie administrators only, scoped to their académie.
"""

from __future__ import annotations


from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from wtforms import validators

from .. import audit, clock, paiement, parametrage, permissions, services
from ..extensions import db
from ..models import AccesTeleservice, Academie, EntAcademique, TeleserviceEtablissement, TipiRegie
from ..models import Teleservice
from .base import AcademieModelView, AreaAccessMixin, current_academie_id, domain_validator, run

CATEGORY = "Académie"


def _academie() -> Academie:
    return db.session.get(Academie, current_academie_id())


def _audit(model, what: str, before=None, after=None):
    audit.record(f"academie.{model.__tablename__}.{what}", target=str(model)[:300],
                 before=before, after=after)


class AcademieListView(AcademieModelView):
    can_create = can_edit = can_delete = True

    def on_model_change(self, form, model, is_created):
        model.academie_id = current_academie_id()  # never from a form
        super().on_model_change(form, model, is_created)
        _audit(model, "creation" if is_created else "modification", after=str(model))

    def on_model_delete(self, model):
        super().on_model_delete(model)
        _audit(model, "suppression", before=str(model))


class ServicesAcademiquesView(AcademieListView):
    column_list = ("libelle", "categorie", "ouvert_par_defaut", "obligatoire")
    column_labels = {"libelle": "Libellé", "categorie": "Catégorie",
                     "ouvert_par_defaut": "Ouvert par défaut", "obligatoire": "Obligatoire",
                     "position": "Ordre d'affichage"}
    form_columns = ("libelle", "categorie", "ouvert_par_defaut", "position")
    form_args = {"libelle": {"validators": [validators.InputRequired("Le libellé est obligatoire."),
                                            domain_validator(parametrage.check_plain_label)]},
                 "categorie": {"validators": [
                     validators.InputRequired("La catégorie est obligatoire."),
                     domain_validator(lambda v: parametrage.check_plain_label(v, "La catégorie"))]}}

    def on_model_change(self, form, model, is_created):
        if is_created:
            with db.session.no_autoflush:  # the new row has no code yet
                model.code = services.academic_code(_academie(), model.libelle)
            model.position = model.position or 100
        super().on_model_change(form, model, is_created)
        db.session.flush()
        if is_created:
            services.open_academic_service_rows(model)

    def on_model_delete(self, model):
        used = db.session.scalar(db.select(AccesTeleservice.id).where(
            AccesTeleservice.teleservice_id == model.id).limit(1))
        if used is not None:
            raise validators.ValidationError(
                "Ce téléservice a déjà été consulté par des familles : il ne peut pas être "
                "supprimé (fermez-le plutôt).")
        db.session.execute(db.delete(TeleserviceEtablissement).where(
            TeleserviceEtablissement.teleservice_id == model.id))
        super().on_model_delete(model)


class ServicesObligatoiresView(AreaAccessMixin, BaseView):
    """Which services are mandatory in the académie (shown always open, toggle disabled)."""

    area = permissions.ACADEMIE_ADMIN

    @expose("/", methods=["GET", "POST"])
    def index(self):
        academie = _academie()
        if request.method == "POST":
            codes = request.form.getlist("codes")
            run(lambda: services.set_academie_mandatory(academie, codes, today=clock.today()),
                "Services obligatoires de l'académie enregistrés.")
            return redirect(url_for(".index"))
        rows = services.academie_services(academie)
        chosen = set(academie.services_obligatoires or []) | {
            s.code for s in rows if s.academie_id is not None and s.obligatoire}
        return self.render("admints/academie/services_obligatoires.html", rows=rows,
                           chosen=chosen, national=services.nationally_mandatory)


class EntAcademiqueView(AcademieListView):
    column_list = ("nom", "url")
    column_labels = {"nom": "Nom de l'ENT", "url": "Adresse (url)"}
    form_columns = ("nom", "url")
    form_args = {"nom": {"validators": [validators.InputRequired("Le nom est obligatoire."),
                                        domain_validator(lambda v: parametrage.check_plain_label(
                                            v, "Le nom"))]},
                 "url": {"validators": [
                     validators.InputRequired("L'adresse est obligatoire."),
                     domain_validator(lambda v: parametrage.check_http_url(v, "L'adresse de l'ENT"))]}}


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

    def on_model_change(self, form, model, is_created):
        model.numero_client = paiement.normalise_numero(model.numero_client)
        with db.session.no_autoflush:  # the new row has no académie yet
            duplicate = db.session.scalar(db.select(TipiRegie.id).where(
                TipiRegie.academie_id == current_academie_id(),
                TipiRegie.numero_client == model.numero_client, TipiRegie.id != (model.id or 0)))
        if duplicate is not None:
            raise validators.ValidationError(
                f"Le numéro {model.numero_client} existe déjà dans le référentiel.")
        super().on_model_change(form, model, is_created)

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
