"""The generic Flask-Admin list page on the DSFR (issue 13 points 1, 4, 5, 7): its filter form
and the names of its rows (`ListPageMixin`, mixed into every model view).

Flask-Admin builds its filter bar in the browser (filters.js: jQuery, select2, inline JSON);
here the form is plain HTML, one fieldset per filter, usable with the keyboard and without
script. A form row submits `f<r>_op` (the Flask-Admin filter argument of the chosen operation)
and `f<r>_val` (its value); `canonical_list_url` turns such a request into the query string
Flask-Admin itself reads (`flt<pos>_<arg>=value`), so links, tests and bookmarks keep one form.

Rows: per filter group, the operations without fixed options share one row (an operation
select when there are several, a text value); each operation with options (« vide » : Oui/Non,
a division…) has its own row with a select of those options. A row shows the active filter it
holds; several active filters on the same row kind are shown as several rows.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import has_request_context, redirect, request
from flask_admin import expose
from flask_admin.model.base import ViewArgs
from flask_admin.tools import rec_getattr
from markupsafe import Markup
from werkzeug.datastructures import iter_multi_items

from . import per_request

ROW_ARG = re.compile(r"^f(\d{1,3})_(op|val)$")
URL_SAFE = "!$'()*,/:;?@"  # werkzeug.urls._urlencode's


def _row_specs(filter_groups):
    """(group name, items) per form row kind, in the groups' order."""
    specs = []
    for name, items in (filter_groups or {}).items():
        free = [item for item in items if not item.get("options")]
        if free:
            specs.append((name, free))
        specs.extend((name, [item]) for item in items if item.get("options"))
    return specs


def filter_rows(filter_groups, active_filters):
    """The filter form, one fieldset per filter group: dicts with `group` and `rows`; a row
    has `number` (its f<r>_ prefix), `items`, `selected` (the chosen filter argument),
    `options` and `value` (the active value, or "")."""
    active = list(active_filters or [])
    groups, number = [], 0
    for name, items in _row_specs(filter_groups):
        if not groups or groups[-1]["group"] != name:
            groups.append({"group": name, "rows": []})
        indexes = {item["index"]: item for item in items}
        mine = [(idx, value) for idx, _name, value in active if idx in indexes]
        for idx, value in mine or [(None, "")]:
            item = indexes.get(idx, items[0])
            groups[-1]["rows"].append({"number": number, "items": items, "selected": item["arg"],
                                       "value": value, "options": item.get("options")})
            number += 1
    return groups


def active_summary(view, filter_groups, view_args):
    """The active filters as sentences (« Division vaut « 3A » »), each with the URL of the
    list without it."""
    labels = {}
    for name, items in (filter_groups or {}).items():
        for item in items:
            labels[item["index"]] = (name, str(item["operation"]), dict(item.get("options") or []))
    summary = []
    filters = list(view_args.filters or [])
    for position, (idx, _name, value) in enumerate(filters):
        name, operation, options = labels.get(idx, (_name, "", {}))
        rest = filters[:position] + filters[position + 1:]
        summary.append({
            "text": f"{name} {operation} « {options.get(str(value), value)} »",
            "remove_url": view._get_list_url(view_args.clone(page=None, filters=rest or None)),
        })
    return summary


def has_form_rows() -> bool:
    return any(ROW_ARG.match(arg) for arg in request.args)


def canonical_list_url(view) -> str:
    """The list URL, with Flask-Admin's `flt<pos>_<arg>` arguments, of a request made by the
    filter form (`f<r>_op`, `f<r>_val`): blank values and unknown operations are dropped;
    the filters already in the URL are replaced by the form's (the form shows them all)."""
    view_args = view._get_list_extra_args()
    chosen = []
    numbers = sorted({int(m.group(1)) for m in map(ROW_ARG.match, request.args) if m})
    for number in numbers:
        arg = request.args.get(f"f{number}_op", "")
        value = request.args.get(f"f{number}_val", "").strip()
        if not value or arg not in (view._filter_args or {}):
            continue
        idx, flt = view._filter_args[arg]
        chosen.append((idx, str(flt.name), value))
    extra = {k: v for k, v in view_args.extra_args.items() if not ROW_ARG.match(k)}
    return view._get_list_url(view_args.clone(page=None, filters=chosen or None,
                                              extra_args=extra))


class ListPageMixin:
    """For a Flask-Admin `ModelView`: the filter form's request turned into Flask-Admin's
    query string, the form rows and active filters given to the list template, and
    `row_label(row)`, the words naming a row (« Sélectionner Dupont Jean »)."""

    @expose("/")
    def index_view(self):
        if self._filters and has_form_rows():
            return redirect(canonical_list_url(self))
        return super().index_view()

    def get_url(self, endpoint, **kwargs):
        """Flask-Admin's `url_for`, with the list's own URL built once per request: a list page
        asks for some twenty of them (sort, pager, page size, filters) and each `url_for`
        costs more than its query string. The query string is Werkzeug's (`None` dropped,
        lists repeated, the same safe characters)."""
        if endpoint != ".index_view" or not has_request_context():
            return super().get_url(endpoint, **kwargs)
        # ".index_view" is resolved against the request's blueprint, as url_for does.
        base = per_request.once(f"admints.list_url:{request.blueprint}",
                                lambda: super(ListPageMixin, self).get_url(endpoint))
        query = urlencode([item for item in iter_multi_items(kwargs) if item[1] is not None],
                          safe=URL_SAFE)
        return f"{base}?{query}" if query else base

    def row_label(self, row) -> str:
        """The row's name for screen readers; the first listed column by default (a view
        overrides it when that column does not name the row)."""
        columns = getattr(self, "_list_columns", None) or []
        value = rec_getattr(row, columns[0][0], None) if columns else None
        if value is None or value == "":
            value = row
        text = str(value)
        if isinstance(value, Markup):
            text = value.striptags()
        return " ".join(text.split())[:120]

    def render(self, template, **kwargs):
        if template == self.list_template and "filter_groups" in kwargs:
            groups = kwargs["filter_groups"]
            kwargs["filter_rows"] = filter_rows(groups, kwargs.get("active_filters"))
            view_args = ViewArgs(page=None, page_size=kwargs.get("page_size"),
                                 sort=kwargs.get("sort_column"), sort_desc=kwargs.get("sort_desc"),
                                 search=kwargs.get("search"), filters=kwargs.get("active_filters"),
                                 extra_args=kwargs.get("extra_args") or {})
            kwargs["active_summary"] = active_summary(self, groups, view_args)
        return super().render(template, **kwargs)
