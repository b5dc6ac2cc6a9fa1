"""R-ACC-4 (issue 10 point 3): the account lists keep Flask-Admin's `ModelView` for its pager,
actions, filter URLs and « Gérer » row, and use only these private members of it. Each is
pinned here against the installed flask_admin (signature, who calls it, what it holds), so an
upgrade that changes one fails this file rather than a list page:

1. `_get_list_filter_args()` — overridden once for every list (`bounded_lists.py`: bounded
   values, multi-valued filters); Flask-Admin's `_get_list_extra_args` calls it.
2. `_get_list_extra_args()` — overridden (`bounded_lists.py`: bounded `page`, through
   `ViewArgs.clone`) and called by « Sélectionner les M comptes » for the active filters.
3. `_filters` — the view's filter objects (filled by `_refresh_filters_cache`).
4. `_filter_args` — URL key -> (index, filter) (filled by `_refresh_filters_cache`).
5. `_get_filter_groups()` — overridden (per-request options; no JavaScript filter builder);
   `index_view` passes it to the template.
6. `_create_ajax_loader(name, options)` — overridden in `views/base.py` (scoped ajax loaders).

Nothing else: `get_list` is Core-only whatever asks (plain rows of `select_accounts`), so
Flask-Admin's `_apply_sorting`, `_apply_pagination`, `_filter_joins` and `_sortable_joins` are
no longer used, and a test below fails if a new private member creeps into the lists' code.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import flask_admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.model.base import BaseModelView, ViewArgs

from admints.views import (
    base,
    bounded_lists,
    comptes,
    comptes_actions,
    comptes_filtres,
    comptes_gerer,
    eleves,
    responsables,
)
from admints.views.comptes import ComptesListView
from admints.views.eleves import ElevesView
from admints.views.responsables import ResponsablesView

PINNED_METHODS = {
    "_get_list_filter_args": ["self"],
    "_get_list_extra_args": ["self"],
    "_get_filter_groups": ["self"],
    "_create_ajax_loader": ["self", "name", "options"],
}
PINNED_ATTRIBUTES = {"_filters", "_filter_args"}

# The modules the two account lists are made of (their classes and bases).
LIST_MODULES = (base, bounded_lists, comptes, comptes_actions, comptes_filtres, comptes_gerer,
                eleves, responsables)


def _flask_admin_private_names() -> set[str]:
    """Every `self._name` Flask-Admin's model views define or read."""
    root = Path(flask_admin.__file__).parent
    names = set()
    sources = (root / "base.py", root / "model" / "base.py", root / "contrib" / "sqla" / "view.py")
    for path in sources:
        names |= set(re.findall(r"\bself\.(_[a-z]\w*)", path.read_text()))
        names |= set(re.findall(r"\bdef (_[a-z]\w*)\(", path.read_text()))
    return names


def _private_names_used(module) -> set[str]:
    """`_name` attributes read or defined as methods in a module's classes."""
    tree = ast.parse(inspect.getsource(module))
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr.startswith("_")
            and not node.attr.startswith("__")}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        used |= {n.name for n in cls.body if isinstance(n, ast.FunctionDef)
                 and n.name.startswith("_") and not n.name.startswith("__")}
    return used


def test_r_acc_4_the_lists_use_only_the_pinned_private_members():
    """Any private Flask-Admin name the lists' modules read or override is one of the six."""
    flask_admin_names = _flask_admin_private_names()
    used = set().union(*(_private_names_used(m) for m in LIST_MODULES)) & flask_admin_names
    assert used == set(PINNED_METHODS) | PINNED_ATTRIBUTES, sorted(used)


def test_r_acc_4_private_flask_admin_methods_pinned():
    for name, params in PINNED_METHODS.items():
        assert list(inspect.signature(getattr(ModelView, name)).parameters) == params, name
    # Who calls the overridden ones: the list's arguments and the index view.
    extra_src = inspect.getsource(BaseModelView._get_list_extra_args)
    assert "filters=self._get_list_filter_args()" in extra_src
    assert "return ViewArgs(" in extra_src
    assert "page" in inspect.signature(ViewArgs).parameters
    assert list(inspect.signature(ViewArgs.clone).parameters) == ["self", "kwargs"]
    index_src = inspect.getsource(BaseModelView.index_view)
    for call in ("self._get_list_extra_args()", "filter_groups=self._get_filter_groups()",
                 "self.get_list(", "active_filters=view_args.filters"):
        assert call in index_src, call
    # The ajax loaders are made by `_create_ajax_loader` (scaffolded at start-up).
    assert "self._create_ajax_loader(" in inspect.getsource(ModelView._process_ajax_references)
    # The attributes the filters' cache fills.
    cache_src = inspect.getsource(BaseModelView._refresh_filters_cache)
    assert "self._filters = self.get_filters()" in cache_src
    assert "self._filter_args[self.get_filter_arg(i, flt)] = (i, flt)" in cache_src


def test_r_acc_4_get_list_keeps_flask_admins_signature():
    """Flask-Admin's `index_view` calls `get_list` with five positional arguments and
    `page_size=`; ours overrides the SQLAlchemy view's with the same parameters."""
    ours = list(inspect.signature(ComptesListView.get_list).parameters)
    assert ours == list(inspect.signature(ModelView.get_list).parameters)
    call = re.search(r"self\.get_list\((.*?)\)\n", inspect.getsource(BaseModelView.index_view),
                     re.S).group(1)
    args = [a.strip() for a in call.split(",") if a.strip()]
    assert len(args) == 6 and args[-1] == "page_size=page_size", args


def _view(app, cls):
    return next(v for v in app.extensions["admin"][0]._views if type(v) is cls)


def test_r_acc_4_private_flask_admin_attributes_hold_the_filters(app):
    for cls in (ElevesView, ResponsablesView):
        view = _view(app, cls)
        assert list(view._filters) == list(cls.column_filters)
        for key, (idx, flt) in view._filter_args.items():
            assert view._filters[idx] is flt and key == flt.url_key
        assert {"division", "mef", "etat", "nom", "continuite"} <= set(view._filter_args)
    assert "qualite" in _view(app, ResponsablesView)._filter_args


def test_r_acc_4_get_list_is_core_only_everywhere():
    """`get_list` has one face: plain rows of `select_accounts`, never Flask-Admin's ORM list
    (the request flag on `g` that switched between the two is gone)."""
    src = inspect.getsource(ComptesListView.get_list)
    assert "super().get_list" not in src and "select_accounts" in inspect.getsource(
        ComptesListView.selection_query)
    # Flask-Admin's own index view, reached through the one shared step of every list
    # (views/list_page: the DSFR filter form's rows turned into Flask-Admin's URL), no override
    # of the account lists' own.
    assert ComptesListView.index_view.__qualname__ == "ListPageMixin.index_view"
    assert "super().index_view()" in inspect.getsource(ComptesListView.index_view)
    assert not hasattr(ComptesListView, "list_page")
    from_flask = {alias.name for node in ast.walk(ast.parse(inspect.getsource(comptes)))
                  if isinstance(node, ast.ImportFrom) and node.module == "flask"
                  for alias in node.names}
    assert "g" not in from_flask


def test_r_acc_4_list_template_macros_exist(app):
    """templates/admints/comptes/list.html draws its pager with Flask-Admin's `lib.html`."""
    with app.test_request_context():
        lib = app.jinja_env.get_template("admin/lib.html").module
        assert lib.pager.arguments == ("page", "pages", "generator")
        assert lib.simple_pager.arguments == ("page", "have_next", "generator")
