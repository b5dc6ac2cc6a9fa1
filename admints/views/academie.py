"""Menu « Académie »: « Établissements » and « Utilisateurs » (docs/REGLES.md §1).

Établissements: the académie administrator lists, creates and edits the establishments of ITS
académie (never another's). Utilisateurs: staff users, in two scopes built from one class —
the académie-wide list (académie role: every user of its establishments and its académie
administrators) and « Utilisateurs de l'établissement » (the head, or the académie
administrator working on an establishment: délégués with menus granted among DROITS_DELEGUE
(DELEG-CE), comptables and helpdesk users of the current establishment). Passwords are set
through a form field and hashed (argon2id) by `users`; hashes are never shown or exported.
Every change goes through `etablissements` / `users`, which write the audit (R-SEC-3).
"""

from __future__ import annotations

from flask import flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual, FilterLike
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_login import current_user, login_user
from markupsafe import Markup
from sqlalchemy import and_, or_
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from .. import bounded, permissions
from ..academie import etablissements, users
from ..errors import DomainError
from ..extensions import db
from ..formatting import school_year
from ..models import (
    ROLE_LABELS,
    Academie,
    Etablissement,
    Role,
    StaffUser,
)
from ..tenancy import require_etablissement_id
from . import fiche, mailto
from .base import (
    AcademieModelView,
    ScopedModelView,
    academie_etablissement_ids,
    current_academie_id,
    run,
)

CATEGORY = "Académie"

DROIT_LABELS = {
    "services": "Gestion des services",
    "parametrage": "Paramétrage",
    "responsables": "Accès des responsables",
    "eleves": "Accès des élèves",
    "statistiques": "Statistiques",
}


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes; templates/admin/lib.html draws them as a DSFR fieldset."""
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# ---------------------------------------------------------------- Établissements

class EtablissementForm(BaseForm):
    uai = StringField("UAI", validators=[DataRequired("L'UAI est obligatoire.")],
                      description="7 chiffres et une lettre majuscule, ex. 0590001A.")
    nom = StringField("Nom", validators=[DataRequired("Le nom est obligatoire."),
                                         Length(max=200)])
    type = SelectField("Type", choices=list(etablissements.TYPES.items()))
    adresse = StringField("Adresse", validators=[Optional(), Length(max=300)])
    code_postal = StringField("Code postal", validators=[Optional(), Length(max=10)])
    ville = StringField("Ville", validators=[Optional(), Length(max=120)])
    telephone = StringField("Téléphone", validators=[Optional(), Length(max=30)])
    fax = StringField("Fax", validators=[Optional(), Length(max=30)])
    emails_texte = TextAreaField("Adresses électroniques (une par ligne)")
    chef_nom = StringField("Chef d'établissement", validators=[Optional(), Length(max=200)])
    annee_scolaire = IntegerField("Année scolaire (année de rentrée)", default=2026,
                                  validators=[DataRequired("L'année scolaire est obligatoire.")])
    module_notes_initialise = BooleanField("Module Notes initialisé dans SIECLE")


def _form_fields(form) -> dict:
    fields = {name: getattr(form, name).data for name in etablissements.EDITABLE
              if name != "emails" and hasattr(form, name)}
    fields["emails"] = form.emails_texte.data or ""
    return fields


def _fiche_link(view, context, model, name):
    """The name opens the establishment's « Fiche établissement » (issue 12 pt 2)."""
    return Markup('<a href="{}" title="Fiche établissement">{}</a>').format(
        url_for("param_fiche.of", etablissement_id=model.id), model.nom)


def _emails(view, context, model, name):
    return mailto.links(model.emails)


class EtablissementsView(AcademieModelView):
    """The establishments of the administrator's académie."""

    can_create = True
    can_edit = True
    can_view_details = True
    can_delete = False  # an establishment carries accounts and history: never deleted here
    can_export = False
    form = EtablissementForm
    column_list = ("uai", "nom", "type", "ville", "chef_nom", "annee_scolaire", "active_le")

    def row_label(self, row) -> str:
        return f"{row.nom} ({row.uai})"
    column_details_list = ("uai", "nom", "type", "adresse", "code_postal", "ville", "telephone",
                           "fax", "emails", "chef_nom", "annee_scolaire",
                           "module_notes_initialise", "active_le", "created_at")
    column_labels = {
        "uai": "UAI", "nom": "Nom", "type": "Type", "ville": "Ville",
        "chef_nom": "Chef d'établissement", "annee_scolaire": "Année scolaire",
        "active_le": "Services activés le", "adresse": "Adresse", "code_postal": "Code postal",
        "telephone": "Téléphone", "fax": "Fax", "emails": "Adresses électroniques",
        "module_notes_initialise": "Module Notes", "created_at": "Créé le",
    }
    column_formatters = {"type": lambda v, c, m, n: etablissements.TYPES.get(m.type, m.type),
                         "nom": _fiche_link,
                         "annee_scolaire": lambda v, c, m, n: school_year(m.annee_scolaire)}
    column_formatters_detail = {**column_formatters, "emails": _emails}
    column_searchable_list = ("uai", "nom", "ville")
    column_sortable_list = ("uai", "nom", "type", "ville", "annee_scolaire", "active_le")
    column_filters = ("type", "ville")
    column_default_sort = "uai"

    def scope_clause(self):
        return Etablissement.academie_id == current_academie_id()

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.uai  # the SIECLE key of the establishment never changes
        return form

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        if model is not None:
            form.emails_texte.data = "\n".join(model.emails or [])

    def create_model(self, form):
        academie = db.session.get(Academie, current_academie_id())
        etab, ok = run(lambda: etablissements.create_etablissement(
            academie, form.uai.data, form.nom.data,
            **{k: v for k, v in _form_fields(form).items() if k != "nom"}))
        return etab if ok else False

    def update_model(self, form, model):
        return run(lambda: etablissements.update_etablissement(model, **_form_fields(form)))[1]


# ---------------------------------------------------------------- Utilisateurs

class UtilisateurCreateForm(BaseForm):
    login = StringField("Identifiant", validators=[DataRequired("L'identifiant est obligatoire."),
                                                   Length(max=80)])
    nom = StringField("Nom", validators=[Optional(), Length(max=200)])
    role = SelectField("Rôle", choices=[], validate_choice=False)
    etablissement_id = SelectField("Établissement", choices=[], validate_choice=False)
    droits = MultiCheckboxField("Menus accordés (délégué)",
                                choices=list(DROIT_LABELS.items()), validate_choice=False)
    password = PasswordField("Mot de passe", validators=[
        DataRequired("Le mot de passe est obligatoire.")])
    confirmation = PasswordField("Confirmation du mot de passe", validators=[
        EqualTo("password", "Les deux mots de passe ne sont pas identiques.")])


class UtilisateurEditForm(BaseForm):
    nom = StringField("Nom", validators=[Optional(), Length(max=200)])
    droits = MultiCheckboxField("Menus accordés (délégué)",
                                choices=list(DROIT_LABELS.items()), validate_choice=False)
    actif = BooleanField("Actif")
    password = PasswordField("Nouveau mot de passe (laisser vide pour ne pas changer)")
    confirmation = PasswordField("Confirmation du nouveau mot de passe", validators=[
        EqualTo("password", "Les deux mots de passe ne sont pas identiques.")])


def _role(view, context, model, name):
    try:
        return ROLE_LABELS[Role(model.role)]
    except ValueError:
        return model.role


def _droits(view, context, model, name):
    return ", ".join(DROIT_LABELS.get(d, d) for d in (model.droits or []))


def _actif(view, context, model, name):
    return Markup('<span class="fr-badge fr-badge--sm {}">{}</span>').format(
        "fr-badge--success" if model.actif else "fr-badge--info",
        "Actif" if model.actif else "Désactivé")


class UtilisateursView(ScopedModelView):
    """Staff users. `academie_wide` chooses the scope: the académie, or the current
    establishment (what a head manages)."""

    academie_wide = False
    can_create = True
    can_edit = True
    can_view_details = True
    can_delete = False  # deactivation keeps the journal's « who »
    can_export = False
    form = UtilisateurCreateForm  # no scaffolded form: nothing of the model is exposed by default
    # Never the password hash: every list, detail and form is spelled out.
    column_list = ("login", "nom", "role", "etablissement", "droits", "actif", "last_login")
    column_details_list = ("login", "nom", "role", "etablissement", "droits", "actif",
                           "last_login", "created_at")
    column_labels = {
        "login": "Identifiant", "nom": "Nom", "role": "Rôle", "etablissement": "Établissement",
        "droits": "Menus accordés", "actif": "État", "last_login": "Dernière connexion",
        "created_at": "Créé le",
    }
    column_formatters = {"role": _role, "droits": _droits, "actif": _actif}
    column_formatters_detail = column_formatters
    column_searchable_list = ("login", "nom")
    column_sortable_list = ("login", "nom", "role", "last_login",
                            ("etablissement", "etablissement.uai"))
    column_default_sort = "login"

    def __init__(self, *args, **kwargs):
        self.column_filters = [
            FilterEqual(StaffUser.role, "Rôle",
                        options=[(r.value, ROLE_LABELS[r]) for r in Role]),
            BooleanEqualFilter(StaffUser.actif, "Actif"),
            FilterLike(StaffUser.login, "Identifiant"),
        ]
        super().__init__(StaffUser, db, *args, **kwargs)

    # -- scope
    def scope_clause(self):
        if self.academie_wide:
            aid = current_academie_id()
            return or_(
                StaffUser.etablissement_id.in_(academie_etablissement_ids(aid)),
                and_(StaffUser.academie_id == aid, StaffUser.role == Role.ACADEMIE.value),
            )
        return StaffUser.etablissement_id == require_etablissement_id()

    def scope_relation(self, entity, query):
        return query.filter(db.false())  # no relation field in these forms

    def creatable_roles(self) -> list[Role]:
        if self.academie_wide:
            return list(Role)
        return [Role.DELEGUE, Role.COMPTABLE, Role.ASSISTANCE]

    def manageable(self, user: StaffUser) -> bool:
        """Who this screen may change: not oneself's role/state, and in an establishment's
        scope only the délégués, comptables and helpdesk users (not the head)."""
        if self.academie_wide:
            return True
        return Role(user.role) in (Role.DELEGUE, Role.COMPTABLE, Role.ASSISTANCE)

    def _etab_choices(self) -> list[tuple[str, str]]:
        stmt = (db.select(Etablissement)
                .where(Etablissement.academie_id == current_academie_id())
                .order_by(Etablissement.uai))
        return [("", "—")] + [(str(e.id), f"{e.uai} – {e.nom}") for e in db.session.scalars(stmt)]

    # -- forms
    def create_form(self, obj=None):
        form = UtilisateurCreateForm(get_form_data())
        form.role.choices = [(r.value, ROLE_LABELS[r]) for r in self.creatable_roles()]
        if self.academie_wide:
            form.etablissement_id.choices = self._etab_choices()
        else:
            del form.etablissement_id
        return form

    def edit_form(self, obj=None):
        form = UtilisateurEditForm(get_form_data(), obj=obj)
        if obj is not None and obj.role != Role.DELEGUE:
            del form.droits
        return form

    def _target(self, form):
        """(établissement, académie) of a new user, checked against the scope."""
        role = Role(form.role.data)
        if not self.academie_wide:
            return db.session.get(Etablissement, require_etablissement_id()), None
        aid = current_academie_id()
        if role == Role.ACADEMIE:
            return None, db.session.get(Academie, aid)
        raw = form.etablissement_id.data or ""
        pk = bounded.parse_id(raw)
        etab = db.session.get(Etablissement, pk) if pk is not None else None
        if etab is None or etab.academie_id != aid:
            raise DomainError("Choisissez un établissement de votre académie.")
        return etab, None

    def create_model(self, form):
        user, ok = run(lambda: self._create_user(form))
        return user if ok else False

    def _create_user(self, form) -> StaffUser:
        if form.role.data not in {r.value for r in self.creatable_roles()}:
            raise DomainError("Vous ne pouvez pas créer un utilisateur de ce rôle.")
        etab, academie = self._target(form)
        return users.create_user(
            form.login.data, form.role.data, form.password.data,
            etablissement=etab, academie=academie, nom=form.nom.data,
            droits=form.droits.data if form.role.data == Role.DELEGUE else [],
        )

    def update_model(self, form, model):
        return run(lambda: self._update_user(form, model))[1]

    def _update_user(self, form, model) -> None:
        if not self.manageable(model):
            raise DomainError("Vous ne pouvez pas modifier cet utilisateur depuis cet écran.")
        actif = bool(form.actif.data)
        if model.id == current_user.id and not actif:
            raise DomainError("Vous ne pouvez pas désactiver votre propre compte.")
        users.update_user(
            model, nom=form.nom.data or "", actif=actif,
            droits=form.droits.data if "droits" in form else None,
        )
        if form.password.data:
            users.set_password(model, form.password.data)  # ends the user's sessions
            if model.id == current_user.id:
                login_user(model)  # ... but the one changing its own password stays in

    # -- actions on the ticked rows (scoped through get_query)
    def _set_actif(self, ids, actif: bool) -> int:
        wanted = bounded.parse_ids(ids)
        changed = 0
        for user in self.get_query().filter(StaffUser.id.in_(wanted)).all():
            if not self.manageable(user) or user.id == current_user.id or user.actif == actif:
                continue
            users.update_user(user, actif=actif)
            changed += 1
        db.session.commit()
        return changed

    @action("desactiver", "Désactiver", "Désactiver les utilisateurs sélectionnés ?")
    def action_desactiver(self, ids):
        flash(f"{self._set_actif(ids, False)} utilisateur(s) désactivé(s).", "success")

    @action("reactiver", "Réactiver", "Réactiver les utilisateurs sélectionnés ?")
    def action_reactiver(self, ids):
        flash(f"{self._set_actif(ids, True)} utilisateur(s) réactivé(s).", "success")


class UtilisateursAcademieView(UtilisateursView):
    area = permissions.ACADEMIE_ADMIN
    academie_wide = True


class UtilisateursEtablissementView(UtilisateursView):
    area = permissions.UTILISATEURS
    academie_wide = False
    column_list = ("login", "nom", "role", "droits", "actif", "last_login")


def register(admin) -> None:
    admin.add_view(EtablissementsView(Etablissement, db, name="Établissements",
                                      category=CATEGORY, endpoint="etablissements",
                                      url="etablissements"))
    fiche.register_academie(admin, CATEGORY)
    admin.add_view(UtilisateursAcademieView(name="Utilisateurs", category=CATEGORY,
                                            endpoint="utilisateurs", url="utilisateurs"))
    admin.add_view(UtilisateursEtablissementView(
        name="Utilisateurs de l'établissement", category="Paramétrage",
        endpoint="utilisateurs_etablissement", url="utilisateurs-etablissement"))
