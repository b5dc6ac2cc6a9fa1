"""Base classes of every screen: access by menu area and establishment isolation (R-SEC-1).

`ScopedModelView` filters, by one `scope_clause()`, the list, the count, the single row
(`get_one`, a plain `session.get` in Flask-Admin), relation select boxes, ajax loaders, bulk
delete and filter options (recomputed per request); exports neutralise spreadsheet formulas.
`TenantModelView` scopes to the establishment of the request, forces it on save and audits
generic create/edit/delete (R-SEC-3); `AcademieModelView` scopes to the
académie administrator's académie. Views only declare columns, filters and formatters.
"""

from __future__ import annotations

import datetime as dt
from abc import ABCMeta, abstractmethod

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.base import AdminViewMeta
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_admin.model import typefmt
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Integer
from sqlalchemy import inspect as sa_inspect
from wtforms import validators

from .. import audit, bounded, permissions
from ..errors import DomainError
from ..extensions import db
from ..formatting import GroupedCount, format_date, format_datetime
from ..models import ETAT_LABELS, AuditEntry, Etablissement, EtatCompte, Role
from ..tenancy import current_etablissement_id, require_etablissement_id
from . import per_request
from .bounded_lists import BoundedListMixin
from .confirmed_delete import ConfirmedDeleteMixin
from .list_page import ListPageMixin


class AbstractViewMeta(AdminViewMeta, ABCMeta):
    """Flask-Admin's view metaclass with `abc` checks: a view class that leaves an
    `@abstractmethod` undefined cannot be instantiated (TypeError at start-up)."""


def refuse(exc: DomainError, *, field_errors: bool = False) -> None:
    """Tell the user why an operation was refused. With `field_errors` (the view renders the
    same form again, not a redirect), an error about one field is kept on `g.field_error` for
    the template to tie to that field (`field_error_*` in _forms.html); otherwise it is
    flashed."""
    if field_errors and exc.field:
        g.field_error = {"field": exc.field, "message": exc.message}
    else:
        flash(exc.message, "error")


def run(fn, success: str | None = None, *, field_errors: bool = False):
    """Call a domain function in the request's transaction and commit; on `DomainError`, roll
    back (nothing half-written) and report it (`refuse`). Returns (result, ok)."""
    try:
        result = fn()
    except DomainError as exc:
        db.session.rollback()
        refuse(exc, field_errors=field_errors)
        return None, False
    db.session.commit()
    if success:
        flash(success, "success")
    return result, True


def domain_validator(check):
    """A WTForms validator from a domain check: its `DomainError` message becomes the field's
    error."""

    def validate(form, field):
        try:
            check(field.data)
        except DomainError as exc:
            raise validators.ValidationError(exc.message) from None

    return validate


class AreaAccessMixin:
    """Open to the users whose role reaches `area` (permissions.allowed)."""

    area: str = permissions.ACADEMIE_ADMIN

    def is_accessible(self) -> bool:
        # The menu asks every view (~90 calls a page): each area is decided once per request.
        return per_request.once(f"admints.area:{self.area}", lambda: permissions.allowed(
            current_user._get_current_object(), self.area))

    def is_visible(self) -> bool:
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class TenantBaseView(AreaAccessMixin, BaseView):
    """A custom screen (`@expose`) of one establishment."""

    def etablissement_id(self) -> int:
        return require_etablissement_id()


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """An ajax relation loader that sees only the rows its view's scope allows (R-SEC-1):
    Flask-Admin's own loader queries every tenant, for lookups and for the submitted id."""

    def __init__(self, name, session, model, scope, **options):
        super().__init__(name, session, model, **options)
        self._scope = scope

    def get_query(self):
        return self._scope(self.model, super().get_query())

    def get_one(self, pk):
        with db.session.no_autoflush:
            pk = bounded.parse_id(pk)
            if pk is None:
                return None
            return self.get_query().filter(getattr(self.model, self.pk) == pk).one_or_none()

    def get_list(self, term, offset=0, limit=10):
        # `offset` and `limit` come from the request (ajax_lookup): bounded.
        offset = bounded.parse_int(offset, 0, bounded.PAGE_MAX) or 0
        limit = min(bounded.parse_int(limit, 1, 100) or 10, 100)
        return super().get_list(str(term or "")[:200], offset, limit)


# Every list and detail page writes dates « JJ/MM/AAAA », times in Paris and booleans in
# French (issue 12 point 9): Flask-Admin's defaults are ISO text and a « true » tooltip.
FRENCH_TYPES = {
    dt.datetime: lambda view, value, name: format_datetime(value),
    dt.date: lambda view, value, name: format_date(value),
    bool: lambda view, value, name: "Oui" if value else "Non",
}


def neutralise_formula(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class ScopedModelView(AreaAccessMixin, ListPageMixin, BoundedListMixin, ConfirmedDeleteMixin,
                      ModelView, metaclass=AbstractViewMeta):
    """What every scoped model view shares: `scope_clause()` filters the list, the count, the
    single row (`get_one`: Flask-Admin's is a plain `session.get`), relation select boxes and
    ajax loaders. Subclasses define `scope_clause()` and `scope_relation(entity, query)`."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    # Bulk delete through a query would skip `delete_model` and its audit.
    fast_mass_delete = False
    page_size = 50
    can_set_page_size = True
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **FRENCH_TYPES}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **FRENCH_TYPES}

    def render(self, template, **kwargs):
        # Flask-Admin's list writes « Liste ({{ count }}) »: a grouped count (« 1 129 »).
        if isinstance(kwargs.get("count"), int) and template == "admin/model/list.html":
            kwargs["count"] = GroupedCount(kwargs["count"])
        return super().render(template, **kwargs)

    @abstractmethod
    def scope_clause(self):
        """The SQL condition that keeps the rows this user may see."""

    def _get_filter_groups(self):
        # Flask-Admin computes filter options once, at start-up; options given as a callable
        # (scoped_options) are recomputed here on each request, for the request's scope.
        groups = super()._get_filter_groups()
        if not groups or not self._filters or not has_request_context():
            return groups
        for items in groups.values():
            for item in items:
                flt = self._filters[item["index"]]
                if callable(flt.options):
                    item["options"] = [(k, str(v)) for k, v in (flt.options() or [])] or None
        return groups

    @abstractmethod
    def scope_relation(self, entity, query):
        """`query` (rows of `entity`, for a relation field or loader) cut to this scope."""

    def scoped(self, query):
        return query.filter(self.scope_clause())

    def get_query(self):
        return self.scoped(super().get_query())

    def get_count_query(self):
        return self.scoped(super().get_count_query())

    def get_one(self, id):
        pk = bounded.parse_id(id)
        if pk is None:
            return None
        return self.get_query().filter(self.model.id == pk).one_or_none()

    def get_export_value(self, model, name):
        # A spreadsheet runs cells starting with = + - @ as formulas (=HYPERLINK(...)):
        # exported text is neutralised with a leading apostrophe.
        return neutralise_formula(super().get_export_value(model, name))

    @action("delete", lazy_gettext("Delete"))  # confirmed on the server, not by confirm()
    def action_delete(self, ids):
        """Flask-Admin's bulk delete, scoped, and honest about the count: its French message for
        0 is « L'objet a bien été détruit. » (French plural rules make 0 singular)."""
        # Flask-Admin binds the ticked ids as strings: PostgreSQL (psycopg 3) refuses
        # `integer IN (varchar)`. Single integer keys are converted; junk ids are dropped.
        pk = sa_inspect(self.model).primary_key
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            ids = tuple(bounded.parse_ids(ids))
        if ids and (page := self.bulk_delete_confirmation(ids)) is not None:
            return page
        count = 0
        if ids:
            for model in get_query_for_ids(self.get_query(), self.model, ids).all():
                if self.delete_model(model):
                    count += 1
            db.session.commit()
        if count:
            flash(f"{count} élément(s) supprimé(s).", "success")
        else:
            flash("Aucun élément n'a été supprimé : la sélection est vide ou introuvable.",
                  "warning")

    def _create_ajax_loader(self, name, options):
        attr = getattr(self.model, name)
        remote = attr.prop.mapper.class_
        return ScopedAjaxLoader(name, self.session, remote, self.scope_relation, **options)

    def _scope_relation_fields(self, form):
        for field in form:
            factory = getattr(field, "query_factory", None)
            if factory is None:
                continue
            query = factory()
            entity = query.column_descriptions[0]["entity"]
            field.query = self.scope_relation(entity, query)
        return form

    def create_form(self, obj=None):
        return self._scope_relation_fields(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_relation_fields(super().edit_form(obj))


class TenantModelView(ScopedModelView):
    """A model list of the current establishment. Read-only unless a view says otherwise.

    Changes made through the generic create/edit/delete forms are audited (R-SEC-3) unless the
    view's own code already wrote an audit entry in the same transaction."""

    form_excluded_columns = ("etablissement",)
    column_exclude_list = ("etablissement",)

    # The column that names the row's establishment; a view may point at a joined one.
    def tenant_column(self):
        return self.model.etablissement_id

    def scope_clause(self):
        return self.tenant_column() == require_etablissement_id()

    def scope_relation(self, entity, query):
        etab_id = require_etablissement_id()
        if entity is Etablissement:
            return query.filter(Etablissement.id == etab_id)
        if hasattr(entity, "etablissement_id"):
            return query.filter(entity.etablissement_id == etab_id)
        return query

    def on_model_change(self, form, model, is_created):
        # The establishment is never taken from a form.
        model.etablissement_id = require_etablissement_id()
        super().on_model_change(form, model, is_created)
        _audit_generic(model, "creation" if is_created else "modification")

    def on_model_delete(self, model):
        super().on_model_delete(model)
        _audit_generic(model, "suppression")


def _audit_generic(model, what: str) -> None:
    """One audit entry per generic change, unless the view's domain code already wrote one."""
    if any(isinstance(obj, AuditEntry) for obj in db.session.new):
        return
    audit.record(
        f"{model.__tablename__}.{what}",
        etablissement_id=getattr(model, "etablissement_id", None),
        target=str(model)[:300],
        rows=[model.id] if getattr(model, "id", None) else None,
    )


def current_academie_id() -> int:
    """The académie of an académie administrator; anyone else is refused (403)."""
    user = current_user
    if (not user.is_authenticated or user.role != Role.ACADEMIE
            or getattr(user, "academie_id", None) is None):
        abort(403)
    return user.academie_id


def academie_etablissement_ids(academie_id: int):
    """Subquery: the ids of the establishments of an académie."""
    return db.select(Etablissement.id).where(Etablissement.academie_id == academie_id)


class AcademieModelView(ScopedModelView):
    """A model list of the académie administrator's académie (académie-wide screens): rows whose
    `academie_id` is its académie, or, for rows of an establishment, one of its establishments."""

    area = permissions.ACADEMIE_ADMIN

    def scope_clause(self):
        aid = current_academie_id()
        if hasattr(self.model, "academie_id"):
            return self.model.academie_id == aid
        return self.model.etablissement_id.in_(academie_etablissement_ids(aid))

    def scope_relation(self, entity, query):
        aid = current_academie_id()
        if hasattr(entity, "academie_id"):
            return query.filter(entity.academie_id == aid)
        if hasattr(entity, "etablissement_id"):
            return query.filter(entity.etablissement_id.in_(academie_etablissement_ids(aid)))
        return query


def per_establishment(options_fn):
    """Filter options computed per request by `options_fn(etablissement_id)`; none outside a
    request (Flask-Admin asks once at start-up) or without a current establishment."""

    def options():
        if not has_request_context():
            return []
        etab_id = current_etablissement_id()
        return options_fn(etab_id) if etab_id is not None else []

    return options


def scoped_options(model, label=lambda row: str(row), order_by=None):
    """Filter options: the rows of `model` of the current establishment, per request."""

    def rows(etab_id):
        stmt = db.select(model).where(model.etablissement_id == etab_id)
        stmt = stmt.order_by(order_by if order_by is not None else model.id)
        return [(str(row.id), label(row)) for row in db.session.scalars(stmt)]

    return per_establishment(rows)


# DSFR badge variants (issue 13): the label is the state's text, the colour only repeats it.
ETAT_BADGES = {
    EtatCompte.NON_NOTIFIE: "fr-badge--new",
    EtatCompte.NOTIFIE: "fr-badge--info",
    EtatCompte.EN_COURS_ACTIVATION: "fr-badge--warning",
    EtatCompte.UTILISE: "fr-badge--success",
}


def etat_badge(etat: str | None) -> Markup:
    """R-ACC-1: the state as a DSFR badge (its text says the state), the same everywhere."""
    if not etat:
        return Markup("")
    state = EtatCompte(etat)
    return Markup('<span class="fr-badge fr-badge--sm {} etat-{}">{}</span>').format(
        ETAT_BADGES[state], state.value, ETAT_LABELS[state]
    )


class HomeView(AdminIndexView):
    """The home page: the establishment and what there is to do."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    def is_visible(self) -> bool:
        return False
