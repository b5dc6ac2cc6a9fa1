"""What the two account lists (« Accès des responsables », « Accès des élèves ») share.

- The list page reads plain rows: the rows of the shown columns and their count, one Core
  statement over the domain's one selection query (`comptes.selection.select_accounts`),
  sorted and paged per request (`ComptesListView.get_list`, whatever asks: it has one face);
  the table body is built in Python (`table_rows`).
- Filters (`comptes_filtres.py`) take several values (`?flt0_division=3&flt0_division=5`, or
  `3,5`), shown in a plain filter bar rather than Flask-Admin's JavaScript filter builder.
- « Sélectionner les M comptes correspondant aux filtres » (R-ACC-4): Flask-Admin actions see
  only the ticked rows, so the action form is posted to `/action/?<the list's query string>`
  and, when the hidden `select_all` flag is set, the selection is rebuilt on the server from
  those filter arguments with the same `select_accounts` query the page counted — scoped to
  the establishment, never from ids sent by the browser.
- Flask-Admin's `ModelView` is kept for its pager, actions, filter URLs and « Gérer » row
  (`get_one`); the private members of it still used are pinned by
  tests/test_comptes_flask_admin_private_api.py.
- Mass actions are refused (403) to the helpdesk (permissions.can_mass_act).
- The cells (state badge, dates, modes) and the account columns both lists show are in
  `comptes_columns.py`.
"""
from __future__ import annotations

import functools
import html
from abc import abstractmethod
from collections import namedtuple
from dataclasses import dataclass, field

from flask import abort, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Select
from sqlalchemy.orm import Query

from .. import bounded, permissions
from ..comptes import activation
from ..comptes import selection as comptes_selection
from ..comptes.selection import AccountFilters
from ..extensions import db
from .base import TenantModelView, etat_badge
from .comptes_columns import cell, option_elements
from .comptes_filtres import account_filters

_CONTINUITE = ' class="compte-continuite"'
# A list view keeps at most this many built statements (`ComptesListView._built`).
BUILT_MAX = 256
# A list asked for a page beyond this one counts its rows first (`get_list`).
GUESSED_PAGE_MAX = 10_000
# The mass actions that hand out temporary passwords (refused before activation, R-SRV-1).
PASSWORD_ACTIONS = ("notifier", "reinitialiser")


@functools.cache
def _row_type(fields: tuple[str, ...]):
    return namedtuple("ListRow", fields)


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
    multi_valued_filters = True  # `?flt0_division=3&flt0_division=5`: « any of »

    def badge(self, etat) -> Markup:
        return etat_badge(etat)

    @abstractmethod
    def row_label(self, row) -> str:
        """Who a list row is, in words (« DUPONT Jean »): names its checkbox and its
        « Gérer le compte » link for screen readers (issue 13 point 4)."""

    # -- access ------------------------------------------------------------------------
    def is_action_allowed(self, name: str) -> bool:
        return permissions.can_mass_act(current_user) and super().is_action_allowed(name)

    @expose("/action/", methods=("POST",))
    def action_view(self):
        if not permissions.can_mass_act(current_user):
            abort(403)
        return self.handle_action()

    # -- filters (parsed by BoundedListMixin._get_list_filter_args) --------------------------
    def _get_filter_groups(self):
        # Flask-Admin's JavaScript filter builder is replaced by `filter_bar`: don't compute
        # (and query) its options a second time.
        return None

    def get_filter_arg(self, index, flt) -> str:
        # Short stable URL names: ?flt0_division=3&flt1_etat=notifie
        return getattr(flt, "url_key", None) or super().get_filter_arg(index, flt)

    def filter_bar(self, active_filters) -> list[dict]:
        """The filter bar's fields: name, label, options (computed now), current values, and
        the options' `<option>` elements (`options_html`)."""
        current: dict[int, list[str]] = {}
        for idx, _name, value in active_filters or []:
            current.setdefault(idx, []).extend(v for v in str(value).split(",") if v)
        fields = []
        for idx, flt in enumerate(self._filters or []):
            options = [(str(k), str(v)) for k, v in (flt.get_options(self) or [])]
            values = current.get(idx, [])
            fields.append({
                "name": f"flt{idx}_{self.get_filter_arg(idx, flt)}",
                "label": str(flt.name),
                "kind": getattr(flt, "bar_kind", type(flt).__name__),
                "options": options,
                "values": values,
                "options_html": option_elements(options, values),
            })
        return fields

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["filter_bar"] = self.filter_bar(kwargs.get("active_filters"))
            # Our own filter bar replaces Flask-Admin's JavaScript filter builder.
            kwargs["filters"] = None
            kwargs["filter_groups"] = None
            kwargs["can_mass_act"] = permissions.can_mass_act(current_user)
            # R-SRV-1: before activation the actions that hand out passwords are not offered,
            # and the page says why (the operations refuse them anyway).
            blocked = activation.blocked_reason(self.etablissement_id())
            kwargs["activation_requise"] = blocked
            if blocked:
                kwargs["actions"] = [(name, label) for name, label in kwargs.get("actions") or []
                                     if name not in PASSWORD_ACTIONS]
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
            who = html.escape(self.row_label(row))
            cells = "</td><td>".join([cell(fmt(self, None, row, name))
                                      for name, fmt in formatters])
            out.append(
                f'<tr{_CONTINUITE if row.continuite else ""} data-row-id="{row_id}">'
                + (f'<td><div class="fr-checkbox-group admints-row-check">'
                   f'<input type="checkbox" name="rowid" class="action-checkbox" '
                   f'id="sel-{row_id}" value="{row_id}"><label class="fr-label" '
                   f'for="sel-{row_id}"><span class="fr-sr-only">Sélectionner {who}</span>'
                   f'</label></div></td>' if with_checkbox else "")
                + f'<td>{cells}</td><td><a class="fr-btn fr-btn--sm fr-btn--secondary '
                f'admints-gerer" href="{gerer}{row_id}/">Gérer le compte'
                f'<span class="fr-sr-only"> de {who}</span></a></td></tr>')
        return Markup("".join(out))

    # -- sorting and paging: the list's statement already joins what it sorts on ----------
    def get_sortable_columns(self):
        # The names the header's sort links use; `get_list` orders by `sort_map` itself.
        return {name: name for name in self.sort_map}

    def order_rows(self, stmt: Select, sort_column, sort_desc) -> Select:
        key = sort_column if sort_column in self.sort_map else self.default_sort_key
        desc = bool(sort_desc) if sort_column in self.sort_map else False
        for expr in self.sort_map.get(key, ()):
            stmt = stmt.order_by(expr.desc() if desc else expr)
        return stmt.order_by(self.model.id)

    def page_rows(self, stmt: Select, page: int, page_size) -> Select:
        size = self.page_size if page_size is None else page_size
        if not size:  # 0: every row
            return stmt
        return stmt.limit(size).offset(page * size if page else 0)

    # -- the ORM row of « Gérer le compte » (`get_one`): built once, bound per request ------
    @abstractmethod
    def build_query(self) -> Query:
        """The rows' query without session, scope nor loader options: the joins."""

    @abstractmethod
    def row_options(self) -> tuple:
        """Loader options of the ORM rows (joined rows come with them: no N+1)."""

    def _built(self, key, build):
        # Resolving relationship joins costs more than running the query: each view builds its
        # queries once, and keeps the statements of the pages asked recently (SQLAlchemy
        # computes a statement's cache key once per statement object: building a page's
        # statements and keys cost as much as running them, bench/academie.py). Statements are
        # generative, so the kept ones are never changed. Bounded: page keys come from URLs.
        cache = self.__dict__.setdefault("_built_queries", {})
        found = cache.get(key)
        if found is None:
            if len(cache) >= BUILT_MAX:
                cache.clear()
            found = cache[key] = build()
        return found

    def get_query(self):
        """The ORM rows (the « Gérer » page's `get_one`), scoped."""
        query = self._built("rows", lambda: self.build_query().options(*self.row_options()))
        return self.scoped(query.with_session(db.session()))

    # -- rows and selection: the domain's one query (comptes.selection) -----------------------
    @abstractmethod
    def list_row_columns(self) -> tuple:
        """The labelled columns one list row reads (`id`, the shown values, LIST_COMPTE_COLUMNS);
        every column of `column_list` has a formatter over these plain rows."""

    @abstractmethod
    def list_joins(self, stmt: Select) -> Select:
        """`stmt` (`selection.base`) with the tables the shown columns and sorts read."""

    def domain_filters(self, filters) -> AccountFilters:
        """The domain's filters of the request's active ones (Flask-Admin's `(index, name,
        value)`)."""
        return account_filters([(self._filters[idx], value) for idx, _name, value in filters or ()])

    def selection_query(self, filters) -> Select:
        """The rows the request's active filters select (`select_accounts`): what an action
        on « every account matching the filters » acts on."""
        return comptes_selection.select_accounts(self.etablissement_id(), self.kind,
                                                 self.domain_filters(filters))

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The count and one page of plain rows, from `select_accounts` (the query « Sélectionner
        les M comptes » acts on): one Core statement on the session's connection — Flask-Admin's
        way, rebuilding ORM queries and objects on each request, cost several times the SQL
        (bench/list_page.py). Only Flask-Admin's `index_view` calls it; `execute` is ignored."""
        # These lists have no search box (`column_searchable_list`): `search` is ignored, as
        # Flask-Admin does; the first letters of the name are a filter.
        etab_id, chosen = self.etablissement_id(), self.domain_filters(filters)
        count = self._built(("count", etab_id, chosen), lambda: comptes_selection.count_statement(
            comptes_selection.select_accounts(etab_id, self.kind, chosen, count=True)))
        connection = db.session.connection()
        # The count rides on the page's statement as one more column: one round trip, not two
        # (each costs about as much as the page's SQL, bench/academie.py). Only an empty page
        # asks the count alone: an empty list, or a page beyond the last, which shows the last.
        def read(shown: int):
            return connection.execute(self.counted_page_statement(
                count, etab_id, chosen, sort_column, sort_desc, shown, page_size))

        wanted, total = bounded.clamp_page(page, None, None), None
        if wanted > GUESSED_PAGE_MAX:  # counted first: such an offset could overflow
            total = connection.execute(count).scalar()
        shown = self.shown_page(wanted, total, page_size)
        result = read(shown)
        rows = result.all()
        if not rows and total is None:
            total = connection.execute(count).scalar()
            last = self.shown_page(wanted, total, page_size)
            if last != shown:
                result = read(last)
                rows = result.all()
        total = rows[0][-1] if rows else total
        # Named tuples: a hundred attribute reads per row are cheaper than on SQLAlchemy rows.
        row_type = _row_type(tuple(result.keys())[:-1])
        return total, [row_type._make(row[:-1]) for row in rows]

    def counted_page_statement(self, count: Select, etab_id: int, chosen: AccountFilters,
                               sort_column, sort_desc, page: int, page_size) -> Select:
        """`page_statement` with the selection's `count` as a last column, kept per page."""
        return self._built(
            ("rows", etab_id, chosen, sort_column, bool(sort_desc), page, page_size),
            lambda: self.page_statement(etab_id, chosen, sort_column, sort_desc, page, page_size)
            .add_columns(count.scalar_subquery().label("list_total")))

    def page_statement(self, etab_id: int, chosen: AccountFilters, sort_column, sort_desc,
                       page: int, page_size) -> Select:
        """The shown columns of one page of the selected rows, in the list's order."""
        # The shown columns' statement (the same FROM plus the tables they read) is built once
        # per view; each page adds the selection's own WHERE.
        where = comptes_selection.select_accounts(etab_id, self.kind, chosen,
                                                  page=True).whereclause
        rows = self.order_rows(self._built("list_rows", lambda: self.list_joins(
            comptes_selection.base(self.kind, *self.list_row_columns()))).where(where),
            sort_column, sort_desc)
        if not (self.page_size if page_size is None else page_size):  # 0: every row, no page
            return rows
        # The page's keys first, then the shown columns of those rows only: the keys'
        # statement reads only what the filters and the order read (PostgreSQL drops the
        # unused outer joins and walks the name index), where the whole statement would
        # join every account of the school before keeping 50 (bench/academie.py, 1M
        # accounts: 2.6–11 → 0.9 ms for the pupils' list).
        keys = self.page_rows(self.order_rows(self._built("list_keys", lambda: self.list_joins(
            comptes_selection.base(self.kind, self.model.id))).where(where),
            sort_column, sort_desc), page, page_size)
        return rows.where(self.model.id.in_(keys))

    def row_compte(self, row):
        return row.compte

    def selection(self, ids) -> Selection:
        select_all = request.form.get("select_all") == "1"
        if select_all:
            stmt = self.selection_query(self._get_list_extra_args().filters)
        else:
            pks = sorted(bounded.parse_ids(ids))
            if not pks:
                return Selection(select_all=False)
            stmt = self.selection_query(None).where(self.model.id.in_(pks))
        row_ids, compte_ids = comptes_selection.row_and_compte_ids(stmt)
        return Selection(row_ids=row_ids, compte_ids=compte_ids, select_all=select_all)

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
