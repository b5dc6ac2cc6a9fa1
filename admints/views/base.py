"""Base classes of every screen: access by menu area and establishment isolation (R-SEC-1).

`TenantModelView` scopes `get_query`, `get_count_query`, `get_one` and the relation fields of
its forms to the establishment of the request, and forces that establishment on save; views
only declare columns, filters and formatters.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from markupsafe import Markup, escape

from .. import permissions
from ..extensions import db
from ..models import ETAT_LABELS, EtatCompte
from ..tenancy import current_etablissement_id, require_etablissement_id


class AreaAccessMixin:
    """Open to the users whose role reaches `area` (permissions.allowed)."""

    area: str = permissions.ACADEMIE_ADMIN

    def is_accessible(self) -> bool:
        return permissions.allowed(current_user, self.area)

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


class TenantModelView(AreaAccessMixin, ModelView):
    """A model list of the current establishment. Read-only unless a view says otherwise."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    page_size = 50
    can_set_page_size = True
    form_excluded_columns = ("etablissement",)
    column_exclude_list = ("etablissement",)

    # The column that names the row's establishment; a view may point at a joined one.
    def tenant_column(self):
        return self.model.etablissement_id

    def scoped(self, query):
        return query.filter(self.tenant_column() == require_etablissement_id())

    def get_query(self):
        return self.scoped(super().get_query())

    def get_count_query(self):
        return self.scoped(super().get_count_query())

    def get_one(self, id):
        try:
            pk = int(id)
        except (TypeError, ValueError):
            return None
        return self.get_query().filter(self.model.id == pk).one_or_none()

    def _scope_relation_fields(self, form):
        etab_id = require_etablissement_id()
        for field in form:
            factory = getattr(field, "query_factory", None)
            if factory is None:
                continue
            query = factory()
            entity = query.column_descriptions[0]["entity"]
            if hasattr(entity, "etablissement_id"):
                field.query = query.filter(entity.etablissement_id == etab_id)
        return form

    def create_form(self, obj=None):
        return self._scope_relation_fields(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_relation_fields(super().edit_form(obj))

    def on_model_change(self, form, model, is_created):
        # The establishment is never taken from a form.
        model.etablissement_id = require_etablissement_id()
        super().on_model_change(form, model, is_created)


def scoped_options(model, label=lambda row: str(row), order_by=None):
    """Filter options of the current establishment, computed per request."""

    def options():
        etab_id = current_etablissement_id()
        if etab_id is None:
            return []
        stmt = db.select(model).where(model.etablissement_id == etab_id)
        stmt = stmt.order_by(order_by if order_by is not None else model.id)
        return [(str(row.id), label(row)) for row in db.session.scalars(stmt)]

    return options


ETAT_BADGES = {
    EtatCompte.NON_NOTIFIE: "secondary",
    EtatCompte.NOTIFIE: "info",
    EtatCompte.EN_COURS_ACTIVATION: "warning",
    EtatCompte.UTILISE: "success",
}


def etat_badge(etat: str | None) -> Markup:
    """R-ACC-1: the state as a colour badge, the same everywhere."""
    if not etat:
        return Markup("")
    state = EtatCompte(etat)
    return Markup('<span class="badge badge-{} etat-{}">{}</span>').format(
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


def esc(value) -> str:
    return str(escape(value))
