"""What the two account lists (« Accès des responsables », « Accès des élèves ») share.

- The list page reads plain rows: a count and the rows of the shown columns, two Core
  statements built once per view, scoped, filtered, sorted and paged per request
  (`ComptesListView.get_list`); the table body is built in Python (`table_rows`).
- Filters (`comptes_filters.py`) take several values (`?flt0_division=3&flt0_division=5`, or
  `3,5`), shown in a plain filter bar rather than Flask-Admin's JavaScript filter builder.
- « Sélectionner les M comptes correspondant aux filtres » (R-ACC-4): Flask-Admin actions see
  only the ticked rows, so the action form is posted to `/action/?<the list's query string>`
  and, when the hidden `select_all` flag is set, the selection is rebuilt on the server from
  those filter arguments with `get_list(..., execute=False)` — always through the view's
  establishment-scoped query, never from ids sent by the browser.
- Mass actions are refused (403) to the helpdesk (permissions.can_mass_act).
- Formatters: state badge, dates, modes; the account columns and their sorts both lists show
  (`COMPTE_COLUMN_LABELS`, `COMPTE_FORMATTERS`, `COMPTE_SORTS`).
"""
from __future__ import annotations

import functools
import html
from abc import abstractmethod
from collections import namedtuple
from dataclasses import dataclass, field

from flask import abort, g, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import Query

from .. import bounded, permissions
from ..comptes.lifecycle import (
    MODE_LABELS as MODES_LABELS,  # the one copy of the labels
)
from ..extensions import db
from ..i18n import format_date
from ..models import Compte, Eleve
from .base import TenantModelView, etat_badge

# ---------------------------------------------------------------------------- formatters

def fmt_mode(value) -> str:
    return MODES_LABELS.get(value or "", value or "")


_BADGES: dict[str, Markup] = {}


def fmt_etat(value) -> Markup:
    # Four states: the badges are built once (the list page formats hundreds of rows).
    if value not in _BADGES:
        _BADGES[value] = etat_badge(value)
    return _BADGES[value]


# Account columns the list pages read, as plain row fields (`row.etat`, …).
LIST_COMPTE_COLUMNS = (Compte.etat.label("etat"),
                       Compte.date_notification.label("date_notification"),
                       Compte.mode_notification.label("mode_notification"),
                       Compte.derniere_connexion.label("derniere_connexion"),
                       Compte.continuite.label("continuite"))


# The account columns both lists end with: labels, formatters, sorts.
COMPTE_COLUMN_LABELS = {
    "compte.date_notification": "Date de notification",
    "compte.mode_notification": "Mode de notification", "compte.etat": "État du compte",
    "compte.derniere_connexion": "Dernier accès au compte",
}
# Formatters read the list's plain rows (LIST_COMPTE_COLUMNS), not ORM objects.
COMPTE_FORMATTERS = {
    "compte.date_notification": lambda v, c, m, n: format_date(m.date_notification),
    "compte.mode_notification": lambda v, c, m, n: fmt_mode(m.mode_notification),
    "compte.etat": lambda v, c, m, n: fmt_etat(m.etat),
    "compte.derniere_connexion": lambda v, c, m, n: format_date(m.derniere_connexion),
}
COMPTE_SORTS = {
    "compte.date_notification": (Compte.date_notification,),
    "compte.etat": (Compte.etat, Eleve.nom),
    "compte.derniere_connexion": (Compte.derniere_connexion,),
}


_CONTINUITE = ' class="compte-continuite"'


@functools.cache
def _row_type(fields: tuple[str, ...]):
    return namedtuple("ListRow", fields)


def _cell(value) -> str:
    # Formatters' Markup (badges, pictogram) is kept; anything else is escaped. html.escape is
    # markupsafe.escape's rule (& < > " ') at a third of its cost per cell.
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return html.escape(value if isinstance(value, str) else str(value))


# ------------------------------------------------------------------------------ selection

@dataclass
class Selection:
    """The rows an action applies to, resolved on the server and scoped to the establishment."""

    row_ids: list[int] = field(default_factory=list)
    compte_ids: list[int] = field(default_factory=list)
    select_all: bool = False

    @property
    def count(self) -> int:
        return len(self.compte_ids)


class ComptesListView(TenantModelView):
    """Base of the two account lists: filter bar, select-all-matching, guarded actions."""

    list_template = "admints/comptes/list.html"
    named_filter_urls = True
    page_size = 50
    page_size_options = (50, 100, 200, 500)
    can_set_page_size = True
    column_display_actions = False
    # get_query eager-loads the joined rows itself (contains_eager); Flask-Admin's automatic
    # joinedload of the same relations would conflict.
    column_auto_select_related = False
    kind: str = ""  # KindCompte of the rows
    # column name -> tuple of SQL expressions to order by (the list query joins them already)
    sort_map: dict = {}
    default_sort_key: str | None = None

    @expose("/")
    def index_view(self):
        g.admints_list_page = True
        try:
            return super().index_view()
        finally:
            g.pop("admints_list_page", None)

    def list_page(self) -> bool:
        """True while the list page itself runs: it reads plain rows (`get_list`)."""
        return bool(g.get("admints_list_page"))

    def badge(self, etat) -> Markup:
        return etat_badge(etat)

    # -- access ------------------------------------------------------------------------
    def is_action_allowed(self, name: str) -> bool:
        return permissions.can_mass_act(current_user) and super().is_action_allowed(name)

    @expose("/action/", methods=("POST",))
    def action_view(self):
        if not permissions.can_mass_act(current_user):
            abort(403)
        return self.handle_action()

    # -- filters -------------------------------------------------------------------------
    def _get_list_filter_args(self):
        """Like Flask-Admin's, but a repeated argument (multi-select) means « any of »."""
        if not self._filters:
            return None
        found = []
        for arg in request.args:
            if not arg.startswith("flt") or "_" not in arg:
                continue
            pos, key = arg[3:].split("_", 1)
            if key not in self._filter_args:
                continue
            idx, flt = self._filter_args[key]
            values = [v for v in request.args.getlist(arg) if v.strip()]
            if not values:
                continue
            value = ",".join(values)
            if self.filter_value_ok(flt, value):
                found.append((bounded.parse_int(pos, 0, 999) or 0, (idx, str(flt.name), value)))
            else:
                self.invalid_filter(value)
        return [item for _, item in sorted(found, key=lambda p: p[0])]

    def get_filters(self):
        filters = super().get_filters()
        # get_query / get_count_query join every table a filter reads; Flask-Admin's own
        # join-path guess (through any relationship, e.g. compte.remplace_par) would add more.
        self._filter_joins = {}
        return filters

    def _get_filter_groups(self):
        # Flask-Admin's JavaScript filter builder is replaced by `filter_bar`: don't compute
        # (and query) its options a second time.
        return None

    def get_filter_arg(self, index, flt) -> str:
        # Short stable URL names: ?flt0_division=3&flt1_etat=notifie
        return getattr(flt, "url_key", None) or super().get_filter_arg(index, flt)

    def filter_bar(self, active_filters) -> list[dict]:
        """The filter bar's fields: name, label, options (computed now), current values."""
        current: dict[int, list[str]] = {}
        for idx, _name, value in active_filters or []:
            current.setdefault(idx, []).extend(v for v in str(value).split(",") if v)
        fields = []
        for idx, flt in enumerate(self._filters or []):
            options = flt.get_options(self)
            fields.append({
                "name": f"flt{idx}_{self.get_filter_arg(idx, flt)}",
                "label": str(flt.name),
                "kind": type(flt).__name__,
                "options": [(str(k), str(v)) for k, v in (options or [])],
                "values": current.get(idx, []),
            })
        return fields

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["filter_bar"] = self.filter_bar(kwargs.get("active_filters"))
            # Our own filter bar replaces Flask-Admin's JavaScript filter builder.
            kwargs["filters"] = None
            kwargs["filter_groups"] = None
            kwargs["can_mass_act"] = permissions.can_mass_act(current_user)
            kwargs["table_rows"] = self.table_rows(kwargs.get("data") or [],
                                                   kwargs.get("list_columns") or [],
                                                   bool(kwargs.get("actions")))
        return super().render(template, **kwargs)

    def table_rows(self, data, list_columns, with_checkbox: bool) -> Markup:
        """The table body as one Markup, built here with the formatters directly: per-cell
        template calls through Flask-Admin's value machinery cost more than the SQL (bench/
        list_page.py). Every value is escaped (`_cell`)."""
        formatters = [(c, self.column_formatters[c]) for c, _label in list_columns]
        gerer = self.get_url(".gerer_view", id=0)[: -len("0/")]
        out = []
        for row in data:
            row_id = row.id
            cells = "</td><td>".join([_cell(fmt(self, None, row, name))
                                      for name, fmt in formatters])
            out.append(
                f'<tr{_CONTINUITE if row.continuite else ""} data-row-id="{row_id}">'
                + (f'<td><input type="checkbox" name="rowid" class="action-checkbox" '
                   f'value="{row_id}" aria-label="Sélectionner"></td>' if with_checkbox else "")
                + f'<td>{cells}</td><td><a class="btn btn-sm btn-outline-primary text-nowrap" '
                f'href="{gerer}{row_id}/">Gérer le compte</a></td></tr>')
        return Markup("".join(out))

    # -- sorting: the list query already joins what it sorts on -------------------------
    def get_sortable_columns(self):
        self._sortable_joins = {}
        return {name: name for name in self.sort_map}

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        key = sort_column if sort_column in self.sort_map else self.default_sort_key
        desc = bool(sort_desc) if sort_column in self.sort_map else False
        for expr in self.sort_map.get(key, ()):
            query = query.order_by(expr.desc() if desc else expr)
        query = query.order_by(self.model.id)
        return query, joins

    # -- queries: built once, bound to the request's session ---------------------------------
    @abstractmethod
    def build_query(self) -> Query:
        """The rows' query without session, scope nor loader options: the joins."""

    @abstractmethod
    def row_options(self) -> tuple:
        """Loader options of the ORM rows (joined rows come with them: no N+1)."""

    @abstractmethod
    def build_count_query(self) -> Query:
        """The count's query without session nor scope, with only the joins filters read."""

    def _built(self, key, build):
        # Resolving relationship joins costs more than running the query: each view builds
        # its queries once; Query is generative, so the cached ones are never changed.
        cache = self.__dict__.setdefault("_built_queries", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def get_query(self):
        query = self._built("rows", lambda: self.build_query().options(*self.row_options()))
        return self.scoped(query.with_session(db.session()))

    def get_count_query(self):
        query = self._built("count", self.build_count_query)
        return self.scoped(query.with_session(db.session()))

    # -- rows and selection ----------------------------------------------------------------
    @abstractmethod
    def list_row_columns(self) -> tuple:
        """The labelled columns one list row reads (`id`, the shown values, LIST_COMPTE_COLUMNS);
        every column of `column_list` has a formatter over these plain rows."""

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The list page runs two Core statements built once per view (the count and the rows
        of the shown columns) on the session's connection: Flask-Admin's way — rebuilding ORM
        queries and objects on each request — cost several times the SQL (bench/
        list_page.py). The same scope, filters, sorting and pagination apply. Selections for
        actions and the « Gérer » page keep the ORM query (`filtered_query`, `get_one`)."""
        # These lists have no search box (`column_searchable_list`): `search` is ignored, as
        # Flask-Admin does; the first letters of the name are a filter.
        if not (execute and self.list_page()):
            return super().get_list(page, sort_column, sort_desc, search, filters,
                                    execute=execute, page_size=page_size)
        scope = self.scope_clause()
        rows = self._built("list_rows", lambda: self.build_query().with_entities(
            *self.list_row_columns()).statement).where(scope)
        count = self._built("list_count", lambda: self.build_count_query().statement).where(scope)
        for idx, _name, value in filters or ():
            flt = self._filters[idx]
            clean = flt.clean(value)
            rows, count = flt.apply(rows, clean), flt.apply(count, clean)
        rows, _joins = self._apply_sorting(rows, {}, sort_column, sort_desc)
        conn = db.session.connection()
        total = conn.execute(count).scalar()
        # Beyond the last page: the last page (bounded.clamp_page).
        rows = self._apply_pagination(rows, self.shown_page(page, total, page_size), page_size)
        result = conn.execute(rows)
        # Named tuples: a hundred attribute reads per row are cheaper than on SQLAlchemy rows.
        row_type = _row_type(tuple(result.keys()))
        return total, [row_type._make(row) for row in result.all()]

    def row_compte(self, row):
        return row.compte

    def compte_id_column(self):
        # Both list models (Eleve, ResponsableEleve) name their account `compte_id`.
        return self.model.compte_id

    def filtered_query(self):
        """The list's query with the request's filters and search, every page, unexecuted."""
        view_args = self._get_list_extra_args()
        _count, query = self.get_list(
            0, None, None, view_args.search, view_args.filters, execute=False, page_size=0
        )
        return query

    def selection(self, ids) -> Selection:
        select_all = request.form.get("select_all") == "1"
        if select_all:
            query = self.filtered_query()
        else:
            pks = sorted(bounded.parse_ids(ids))
            query = self.get_query().filter(self.model.id.in_(pks)) if pks else None
        if query is None:
            return Selection(select_all=select_all)
        rows = query.with_entities(self.model.id, self.compte_id_column()).all()
        seen: set[int] = set()
        compte_ids = []
        for _row_id, compte_id in rows:
            if compte_id is not None and compte_id not in seen:
                seen.add(compte_id)
                compte_ids.append(compte_id)
        return Selection(row_ids=[r for r, _ in rows], compte_ids=compte_ids,
                         select_all=select_all)

    def return_url(self) -> str:
        """The list URL to go back to: the form's `url` when it is a local one, else the list
        (never a URL of another site, nor `javascript:`)."""
        return get_redirect_target() or self.get_url(".index_view")

    def selection_form_state(self, sel: Selection) -> dict:
        """What a confirmation page posts back so the second POST re-resolves the same rows."""
        return {
            "select_all": sel.select_all,
            "row_ids": [] if sel.select_all else sel.row_ids,
            "action_url": request.full_path if request.query_string else request.path,
            "return_url": self.return_url(),
        }
