"""Menu « Données SIECLE » (R-DAT-1): the upload screen « Import SIECLE » and the read-only lists
« Élèves », « Responsables », « Divisions », « MEF ».

SIECLE is the source of truth for this data: the lists have no create, edit, delete or action;
they change only through an import. An upload of at most SIECLE_JOB_MIN_BYTES calls
`importer.import_siecle` in the request for the current establishment (never creates one),
commits on success and rolls back on a refusal, whose French message is shown — the database is
then exactly as before. A larger upload is a background job (issue 14, `siecle.import_job`: on a
Celery worker when a broker is configured): the files are kept (`siecle.pending`) and the answer
is the job's page (`job_view`, polling `job_state`), with the same progress bar as a
notification, then the same recap, plan or French refusal in place. An import that would take
away more than the threshold of pupils or guardians (R-DAT-3) is not applied: the page (or the
job page) shows its plan and keeps the files; a second POST naming them confirms — in the
request or as a job again, by the same size rule — or cancels. A job is only read through the
current establishment and the « Données SIECLE » menu: another school's job id gives 404.
Uploads above MAX_CONTENT_LENGTH get the French 413 page of `security_headers`.
"""

from __future__ import annotations

from flask import abort, current_app, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEmpty, FilterLike, IntEqualFilter
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage
from wtforms import MultipleFileField

from .. import clock, job_recovery, permissions
from ..errors import DomainError
from ..extensions import db
from ..i18n import format_date
from ..models import Division, Eleve, Job, Mef, Responsable, ResponsableEleve
from ..siecle import import_job, pending
from ..siecle.departures import DeparturesToConfirm
from ..siecle.importer import import_siecle
from ..tenancy import current_etablissement
from . import mailto
from .base import TenantBaseView, TenantModelView, scoped_options
from .taches import state_response

CATEGORY = "Données SIECLE"
NIVEAUX = {1: "légal 1", 2: "légal 2", 0: "autre"}


class ImportForm(FlaskForm):
    fichiers = MultipleFileField("Fichiers SIECLE (XML) ou archive .zip")


class ImportSiecleView(TenantBaseView):
    """« Import SIECLE »: the head or the académie administrator uploads the BEE exports."""

    area = permissions.DONNEES

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab_id = self.etablissement_id()
        etab = current_etablissement()
        form = ImportForm()
        page = {"summary": None, "error": None, "attente": None, "info": None}
        status = 200
        if request.method == "POST":
            # A text field posted under the files' name is not a file (R-SEC-5).
            uploads = [f for f in (form.fichiers.data or [])
                       if isinstance(f, FileStorage) and f.filename]
            token = request.form.get("attente", "")
            if not form.validate_on_submit():
                page["error"], status = "Le formulaire n'est pas valide : rechargez la page.", 400
            elif token and request.form.get("annuler"):
                pending.discard(token)
                page["info"] = "Import annulé : rien n'a été modifié."
            elif token:
                status = self._confirm(etab, token, page)
            elif not uploads:
                page["error"], status = "Choisissez au moins un fichier SIECLE (XML ou .zip).", 400
            else:
                # the uploads as Werkzeug spooled them (to disk above 500 KB): parsed as read
                payload = [(f.filename, f.stream) for f in uploads]
                if import_job.runs_in_job(import_job.upload_bytes(payload)):
                    status = self._start_job(etab, payload, page, None)
                else:
                    status = self._import(etab, payload, page, None)
            if not isinstance(status, int):  # a job started: its page
                return status
        return self.render("admints/donnees/import.html", form=form, etablissement=etab,
                           etab_id=etab_id, max_mo=current_app.config["MAX_CONTENT_LENGTH"]
                           // (1024 * 1024), job_mo=max(1, round(
                               current_app.config["SIECLE_JOB_MIN_BYTES"] / (1024 * 1024))),
                           **page), status

    def _import(self, etab, payload, page: dict, token: str | None) -> int:
        """Run the import; over the departure threshold, keep the files and show the plan."""
        user_id = current_user.id
        confirmed = False
        if token:
            payload, confirmed = pending.load(token, etablissement_id=etab.id,
                                              user_id=user_id)
        try:
            summary = import_siecle(payload, uai=etab.uai, create_missing=False,
                                    today=clock.today(), confirm_departures=confirmed or False)
            db.session.commit()
        except DeparturesToConfirm as exc:
            db.session.rollback()
            if token:  # things changed since the plan was shown: show the new one
                pending.replan(token, etablissement_id=etab.id, user_id=user_id,
                               departures=exc.departures)
            else:
                token = pending.save(payload, etablissement_id=etab.id,
                                     user_id=user_id, departures=exc.departures)
            page["attente"] = {"token": token, "message": exc.message,
                               "lines": exc.departures.lines_fr()}
            return 200
        except DomainError as exc:
            db.session.rollback()
            if token:
                pending.discard(token)
            page["error"] = exc.message
            return 400
        page["summary"] = import_job.recap(summary)
        if token:
            pending.discard(token)
        return 200

    def _start_job(self, etab, payload, page: dict, token: str | None):
        """A large import: its files kept, a job started; the answer is the job's page (or
        the French refusal of the job service, nothing started)."""
        try:
            job = import_job.start_import(etab.id, payload, user_id=current_user.id,
                                          by=current_user.login, token=token,
                                          confirm=token is not None)
        except DomainError as exc:
            db.session.rollback()
            page["error"] = exc.message
            return 503
        return redirect(self.get_url(".job_view", job_id=job.id))

    def _confirm(self, etab, token: str, page: dict):
        """The second POST: the kept files imported, within the departures confirmed — as a
        job when they are large, like an upload."""
        try:
            size = pending.size(token, etablissement_id=etab.id, user_id=current_user.id)
            if import_job.runs_in_job(size):
                return self._start_job(etab, None, page, token)
            return self._import(etab, None, page, token)
        except DomainError as exc:  # the pending import is gone
            page["error"] = exc.message
            return 400

    # -- the import job's page (issue 14 point 1) ---------------------------------------------

    def _job(self, job_id: int) -> Job:
        """An import job of the current establishment (R-SEC-1), else 404; turned into
        « interrompue » first if its runner is gone."""
        def load():
            return db.session.scalar(db.select(Job).where(
                Job.id == job_id, Job.etablissement_id == self.etablissement_id(),
                Job.kind == import_job.JOB_KIND))
        job = load()
        if job is None:
            abort(404)
        if job.status in ("pending", "running") and job_recovery.recover(job_id=job.id):
            db.session.expire_all()
            job = load()
        return job

    @expose("/tache/<int:job_id>/")
    def job_view(self, job_id: int):
        job = self._job(job_id)
        result = job.result if job.status == "done" else {}
        attente = (result or {}).get("attente")
        return self.render("admints/donnees/tache_import.html", job=job, form=ImportForm(),
                           attente=attente, summary=None if attente else result,
                           can_confirm=bool(attente) and import_job.can_confirm(
                               job, attente["token"], current_user.id))

    @expose("/tache/<int:job_id>/etat.json")
    def job_state(self, job_id: int):
        return state_response(self._job(job_id), end_message)


def end_message(job: Job) -> str | None:
    """What the import job's page announces when the job ends (as `taches.end_message`)."""
    if job.status == "failed":
        return "L'import a été refusé : voir le détail ci-dessous."
    if job.status == "interrupted":
        return "L'import a été interrompu : voir le détail ci-dessous."
    if job.status != "done":
        return None
    result = job.result or {}
    if result.get("attente"):
        return "Import non appliqué : confirmation nécessaire."
    c = result.get("eleves") or {}
    return (f"Import terminé : {c.get('created', 0)} élève(s) créé(s), "
            f"{c.get('updated', 0)} mis à jour, {c.get('left', 0)} sorti(s).")


def _date(view, context, model, name):
    return format_date(getattr(model, name))


def _eleve_groupes(view, context, model, name):
    return ", ".join(sorted(g.code for g in model.groupes))


class ElevesSiecleView(TenantModelView):
    area = permissions.DONNEES
    column_display_actions = False  # read-only: nothing to do on a row
    column_list = ("nom", "prenom", "date_naissance", "ine", "siecle_id", "mef", "division",
                   "groupes")
    column_labels = {"nom": "Nom", "prenom": "Prénom", "date_naissance": "Date de naissance",
                     "ine": "INE", "siecle_id": "N° SIECLE", "mef": "MEF",
                     "division": "Division", "groupes": "Groupes"}
    column_searchable_list = ("nom", "prenom", "ine")
    column_sortable_list = ("nom", "prenom", "date_naissance", "ine",
                            ("division", "division.code"), ("mef", "mef.libelle"))
    column_default_sort = [("nom", False), ("prenom", False)]
    column_formatters = {"date_naissance": _date, "groupes": _eleve_groupes}
    column_filters = [
        IntEqualFilter(Eleve.division_id, "Division",
                    options=scoped_options(Division, lambda d: d.code, Division.code)),
        IntEqualFilter(Eleve.mef_id, "MEF",
                    options=scoped_options(Mef, lambda m: m.libelle, Mef.libelle)),
        FilterEmpty(Eleve.division_id, "Sans division"),
    ]
    # MEF, division and groups are eager-loaded by Flask-Admin itself (relation columns).


def _responsable_eleves(view, context, model, name):
    parts = [f"{escape(lien.eleve.nom)} {escape(lien.eleve.prenom)} "
             f"({NIVEAUX.get(lien.niveau, lien.niveau)})"
             for lien in sorted(model.liens, key=lambda lien: (lien.niveau or 9, lien.eleve.nom))]
    return Markup("<br>".join(parts))


def _adresse(view, context, model, name):
    lines = [model.adresse_ligne1, model.adresse_ligne2, model.adresse_ligne3,
             model.adresse_ligne4, " ".join(p for p in (model.code_postal, model.commune) if p),
             model.pays if model.pays and model.pays.upper() != "FRANCE" else None]
    return Markup("<br>".join(str(escape(line)) for line in lines if line))


class ResponsablesSiecleView(TenantModelView):
    area = permissions.DONNEES
    column_display_actions = False  # read-only: nothing to do on a row
    column_list = ("civilite", "nom", "prenom", "email", "adresse", "eleves")
    column_labels = {"civilite": "Civilité", "nom": "Nom", "prenom": "Prénom",
                     "email": "Courriel (SIECLE)", "adresse": "Adresse",
                     "eleves": "Élèves (qualité)", "commune": "Commune"}
    column_searchable_list = ("nom", "prenom", "email")
    column_sortable_list = ("nom", "prenom", "email")
    column_default_sort = [("nom", False), ("prenom", False)]
    column_formatters = {"eleves": _responsable_eleves, "adresse": _adresse,
                         "email": lambda v, c, m, n: mailto.link(m.email)}
    column_filters = [
        FilterLike(Responsable.commune, "Commune"),
        FilterEmpty(Responsable.email, "Courriel"),
        FilterEmpty(Responsable.adresse_ligne1, "Adresse"),
    ]

    def get_query(self):
        return super().get_query().options(
            selectinload(Responsable.liens).selectinload(ResponsableEleve.eleve))


def _effectifs(model_column):
    """Pupils per division/MEF of the current establishment, one query per request."""
    key = f"donnees_effectifs_{model_column.key}"
    if key not in g:
        stmt = (select(model_column, func.count(Eleve.id))
                .where(Eleve.etablissement_id == current_etablissement().id)
                .group_by(model_column))
        setattr(g, key, dict(db.session.execute(stmt).all()))
    return getattr(g, key)


class DivisionsSiecleView(TenantModelView):
    area = permissions.DONNEES
    column_display_actions = False  # read-only: nothing to do on a row
    column_list = ("code", "libelle", "effectif")
    column_labels = {"code": "Code", "libelle": "Libellé", "effectif": "Élèves"}
    column_searchable_list = ("code", "libelle")
    column_sortable_list = ("code", "libelle")
    column_default_sort = "code"
    column_formatters = {
        "effectif": lambda v, c, m, n: _effectifs(Eleve.division_id).get(m.id, 0)}
    page_size = 100


class MefSiecleView(TenantModelView):
    area = permissions.DONNEES
    column_display_actions = False  # read-only: nothing to do on a row
    column_list = ("code", "libelle", "formation", "mefstat", "effectif")
    column_labels = {"code": "Code MEF", "libelle": "Libellé", "formation": "Formation",
                     "mefstat": "MEFSTAT", "effectif": "Élèves"}
    column_searchable_list = ("code", "libelle", "mefstat", "formation")
    column_sortable_list = ("code", "libelle", "formation", "mefstat")
    column_default_sort = "libelle"
    column_filters = [FilterLike(Mef.mefstat, "MEFSTAT"), FilterLike(Mef.formation, "Formation")]
    column_formatters = {"effectif": lambda v, c, m, n: _effectifs(Eleve.mef_id).get(m.id, 0)}
    page_size = 100


def register(admin) -> None:
    admin.add_view(ImportSiecleView(name="Import SIECLE", category=CATEGORY,
                                    endpoint="import_siecle", url="/donnees/import/"))
    admin.add_view(ElevesSiecleView(Eleve, db, name="Élèves", category=CATEGORY,
                                    endpoint="donnees_eleves", url="/donnees/eleves/"))
    admin.add_view(ResponsablesSiecleView(Responsable, db, name="Responsables",
                                          category=CATEGORY, endpoint="donnees_responsables",
                                          url="/donnees/responsables/"))
    admin.add_view(DivisionsSiecleView(Division, db, name="Divisions", category=CATEGORY,
                                       endpoint="donnees_divisions", url="/donnees/divisions/"))
    admin.add_view(MefSiecleView(Mef, db, name="MEF", category=CATEGORY,
                                 endpoint="donnees_mef", url="/donnees/mef/"))
