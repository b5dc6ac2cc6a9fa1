"""Configuration Notes (R-SRV-4): the publication mode screen and the échéance dates per
MEF × division (a Flask-Admin list of the pairs that have pupils, « + » / « − » per row, filters
MEF and division, a bulk action to set one date on the selected pairs).

Both are reachable only while the Notes service is open (guide §2.2); closing it keeps them.
"""

from __future__ import annotations

from flask import flash, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_admin.tools import iterdecode
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from .. import bounded, clock, confirmations, permissions
from ..errors import DomainError
from ..extensions import db
from ..models import Division, Mef
from ..parametrage import versions
from ..teleservices import notes, opening
from ..tenancy import current_etablissement, require_etablissement_id
from . import per_request
from .base import TenantBaseView, TenantModelView, run, scoped_options
from .confirmation import ask, confirmed


def _options(model, label, order_by):
    """Per-request filter options of the current establishment ([] while the app is built)."""
    scoped = scoped_options(model, label=label, order_by=order_by)
    return lambda: scoped() if has_request_context() else []


def notes_open() -> bool:
    # Asked by two menu entries on every page: computed once per request.
    return per_request.once("admints.notes_open", _notes_open_now)


def _notes_open_now() -> bool:
    etab = current_etablissement()
    return etab is not None and opening.is_activated(etab) and opening.is_open(etab, "notes")


class NotesGateMixin:
    """Visible and usable only while the Notes service is open."""

    def is_visible(self) -> bool:
        return super().is_visible() and notes_open()

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if not notes_open():
            flash("La configuration Notes n'est accessible que si le téléservice Notes est "
                  "ouvert (Gestion des services › Ouverture / fermeture).", "error")
            return redirect(url_for("admin.index"))
        return None


class ConfigurationNotesView(NotesGateMixin, TenantBaseView):
    area = permissions.SERVICES

    @expose("/", methods=["GET", "POST"])
    def index(self):
        etab_id = self.etablissement_id()
        day = clock.today()
        if request.method == "POST":
            effective, ok = run(lambda: notes.set_mode(etab_id, request.form.get("mode"),
                                                       today=day, by=current_user.login))
            if ok:
                flash(f"Mode de publication enregistré. {versions.notice(notes.MODE_KEY, day)}",
                      "success")
            return redirect(url_for(".index"))
        return self.render(
            "admints/services/notes.html", modes=notes.MODES,
            mode=versions.get_latest(etab_id, notes.MODE_KEY) or notes.DEFAULT_MODE,
            en_vigueur=notes.mode_on(etab_id, day),
            en_attente=versions.pending_from(etab_id, notes.MODE_KEY, day),
            notice=versions.notice(notes.MODE_KEY, day), ECHEANCE=notes.ECHEANCE)


def _dates_formatter(view, context, model, name):
    parts = []
    token = context.get("csrf_token")
    csrf = Markup('<input type="hidden" name="csrf_token" value="{}">').format(token()) \
        if token else Markup("")
    # Back to this list page, filters kept (`_back_to_list` checks it is this list's URL).
    csrf += Markup('<input type="hidden" name="url" value="{}">').format(request.full_path)
    # DSFR controls named after the row (« Supprimer la date du 12/05/2027 – 6EME 6A »).
    row = " ".join(filter(None, (model.mef.libelle if model.mef else "",
                                 model.division.code if model.division else "")))
    for date in model.dates:
        shown = f"{date.date:%d/%m/%Y}"
        parts.append(Markup(
            '<form method="post" action="{}" class="admints-row-action date-publication">{}'
            '<input type="hidden" name="date_id" value="{}"><span>{}</span> '
            '<button type="submit" class="fr-btn fr-btn--sm fr-btn--tertiary" '
            'title="Supprimer la date du {}"><span aria-hidden="true">−</span>'
            '<span class="fr-sr-only">Supprimer la date du {} – {}</span></button></form>'
        ).format(url_for(".remove_date"), csrf, date.id, shown, shown, shown, row.strip()))
    new_id = f"date-{model.mef_id}-{model.division_id}"
    parts.append(Markup(
        '<form method="post" action="{}" class="admints-row-action ajout-date">{}'
        '<input type="hidden" name="mef_id" value="{}"><input type="hidden" name="division_id" '
        'value="{}"><label class="fr-sr-only" for="{}">Nouvelle date – {}</label>'
        '<input type="date" name="date" required class="fr-input admints-date-input" id="{}"> '
        '<button type="submit" class="fr-btn fr-btn--sm fr-btn--secondary" '
        'title="Ajouter la date"><span aria-hidden="true">+</span>'
        '<span class="fr-sr-only">Ajouter la date – {}</span></button></form>'
    ).format(url_for(".add_date"), csrf, model.mef_id, model.division_id, new_id, row.strip(),
             new_id, row.strip()))
    return Markup("").join(parts)


class DatesPublicationView(NotesGateMixin, TenantModelView):
    """Dates de publication (à échéance) per MEF × division that has pupils."""

    area = permissions.SERVICES
    list_template = "admints/services/dates_publication_list.html"
    column_list = ("mef", "division", "dates")
    column_labels = {"mef": "MEF", "division": "Division", "dates": "Dates de publication"}
    column_formatters = {"dates": _dates_formatter,
                         "mef": lambda v, c, m, n: m.mef.libelle if m.mef else "",
                         "division": lambda v, c, m, n: m.division.code if m.division else ""}
    column_sortable_list = ()
    column_display_actions = False
    can_set_page_size = True
    page_size = 100
    column_filters = [
        IntEqualFilter(notes.PaireMefDivision.mef_id, "MEF",
                    options=_options(Mef, lambda m: m.libelle, Mef.libelle)),
        IntEqualFilter(notes.PaireMefDivision.division_id, "Division",
                    options=_options(Division, lambda d: d.code, Division.code)),
    ]

    def __init__(self, **kwargs):
        super().__init__(notes.PaireMefDivision, db, **kwargs)

    def handle_filter(self, filter):
        # The pair columns belong to the mapped SELECT itself: no join to add (Flask-Admin
        # would try to join the subquery to itself).
        filter.bind(self.model)
        return filter

    def _get_filter_groups(self):
        # Flask-Admin computes filter options once at start-up; MEFs and divisions are per
        # establishment, so they are recomputed for each request.
        self._refresh_filters_cache()
        return super()._get_filter_groups()

    def get_query(self):
        pairs = notes.PaireMefDivision
        return (self.scoped(db.session.query(pairs))
                .join(Mef, Mef.id == pairs.mef_id).join(Division, Division.id == pairs.division_id)
                .options(selectinload(pairs.dates))
                .order_by(Mef.libelle, Division.code))

    def get_one(self, id):
        try:
            mef_id, division_id = (bounded.parse_id(x) for x in iterdecode(id))
        except (TypeError, ValueError):
            return None
        if mef_id is None or division_id is None:
            return None
        return self.get_query().filter(notes.PaireMefDivision.mef_id == mef_id,
                                       notes.PaireMefDivision.division_id == division_id).first()

    def render(self, template, **kwargs):
        if template == self.list_template:
            etab_id = require_etablissement_id()
            kwargs["mode_echeance"] = notes.mode_on(etab_id, clock.today()) == notes.ECHEANCE or \
                versions.get_latest(etab_id, notes.MODE_KEY) == notes.ECHEANCE
        return super().render(template, **kwargs)

    @expose("/ajouter", methods=["POST"])
    def add_date(self):
        etab_id = require_etablissement_id()
        row, ok = run(lambda: notes.add_date(etab_id, request.form.get("mef_id"),
                                             request.form.get("division_id"),
                                             request.form.get("date")))
        if ok:
            flash(f"Date du {row.date:%d/%m/%Y} ajoutée pour {row.mef} / {row.division}.",
                  "success")
        return redirect(self._back_to_list())

    @expose("/supprimer", methods=["POST"])
    def remove_date(self):
        etab_id = require_etablissement_id()
        if not confirmed():
            try:
                row = notes.find_date(etab_id, request.form.get("date_id"))
            except DomainError as exc:
                flash(exc.message, "error")
                return redirect(self._back_to_list())
            return ask(self, confirmations.remove_publication_date(
                row.date, row.mef.libelle, row.division.code), cancel_url=self._back_to_list())
        run(lambda: notes.remove_date(etab_id, request.form.get("date_id")),
            "Date de publication supprimée.")
        return redirect(self._back_to_list())

    def _back_to_list(self) -> str:
        """The list page the form was posted from (its `url` field), when it is a path of
        this list; never the Referer header, which any site can set."""
        base = url_for(".index_view")
        target = request.form.get("url") or ""
        if (target.startswith(base) and target.isprintable() and "//" not in target
                and "\\" not in target):
            return target
        return base

    @action("definir_date", "Ajouter la date choisie aux lignes sélectionnées")
    def action_set_date(self, ids):
        etab_id = require_etablissement_id()
        pairs = []
        for raw in ids:
            try:
                mef_id, division_id = iterdecode(raw)
            except ValueError:
                continue
            pairs.append((mef_id, division_id))
        count, ok = run(lambda: notes.set_date_on_pairs(etab_id, pairs,
                                                        request.form.get("date_action")))
        if ok:
            flash(f"Date ajoutée à {count} ligne(s) MEF / division.", "success")


def register(admin, category: str) -> None:
    admin.add_view(ConfigurationNotesView(name="Configuration Notes", category=category,
                                          endpoint="services_notes", url="/services/notes"))
    admin.add_view(DatesPublicationView(name="Dates de publication (Notes)", category=category,
                                        endpoint="services_dates_publication",
                                        url="/services/notes/dates"))
