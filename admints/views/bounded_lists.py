"""Hostile input of every Flask-Admin model view (R-SEC-5): page numbers, filter values, form
numbers and dates, and view errors, handled once for all the model views (`ScopedModelView`
inherits the mixin and uses the form converter).

- `page` is bounded when read (10**18 overflows SQL OFFSET, -5 is refused by PostgreSQL) and
  the list shows its last page when asked beyond it (`get_list`, `shown_page`).
- A filter value must pass Flask-Admin's check and fit the database once cleaned: a huge id or
  9999-12-31 is an invalid value, flashed in French and ignored, like « abc ».
- Form fields scaffolded from integer and date columns are bounded like the database
  (`BoundedModelConverter`): 10**20 in « Ordre d'affichage » is a French field error.
- A `DomainError` raised while saving is shown as its French message; any other exception:
Flask-Admin flashes its text (SQL, paths); here, outside tests, the user reads a French sentence and
the log keeps the details.
"""

from __future__ import annotations

from flask import current_app, flash, g, request
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from wtforms import validators

from .. import bounded
from ..errors import DomainError

FILTER_MAX_CHARS = 200


def date_in_range(form, field):
    if field.data is not None and not bounded.date_in_range(field.data):
        raise validators.ValidationError(
            f"Date hors limites : années {bounded.YEAR_MIN} à {bounded.YEAR_MAX}.")


class BoundedModelConverter(AdminModelConverter):
    """Flask-Admin's form scaffolding, with the database's bounds on numbers and dates."""

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        field_args["validators"].append(validators.NumberRange(
            min=bounded.INT_MIN, max=bounded.INT_MAX,
            message=f"Nombre hors limites (de {bounded.INT_MIN} à {bounded.INT_MAX})."))
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args["validators"].append(date_in_range)
        return super().convert_date(field_args=field_args, **extra)

    @converts("DateTime")
    def convert_datetime(self, field_args, **extra):
        field_args["validators"].append(date_in_range)
        return super().convert_datetime(field_args=field_args, **extra)


class BoundedListMixin:
    """Mixed into a Flask-Admin `ModelView` (before it in the bases)."""

    model_form_converter = BoundedModelConverter

    # -- hostile input (R-SEC-5): pages, filter values and errors, parsed once for every list
    def _get_list_extra_args(self):
        # Flask-Admin reads `page` with `type=int`: 10**18 overflows OFFSET, -5 is refused by
        # PostgreSQL. Bounded here; `get_list` then clamps it to the last page.
        return super()._get_list_extra_args().clone(
            page=bounded.parse_page(request.args.get("page")))

    def filter_value_ok(self, flt, value) -> bool:
        """Flask-Admin's check of a filter value, then the database's bounds: every integer
        and date it stands for must fit (a huge id, 9999-12-31 are invalid values)."""
        if len(str(value)) > FILTER_MAX_CHARS:
            return False
        try:
            return bool(flt.validate(value)) and bounded.within_sql_range(flt.clean(value))
        except (ValueError, TypeError, ArithmeticError):
            return False

    def invalid_filter(self, value) -> None:
        flash(f"Valeur de filtre invalide : « {str(value)[:60]} ». Le filtre est ignoré.",
              "error")

    # A repeated filter argument (`?flt0_division=3&flt0_division=5`, a multi-select): False,
    # its first value, as Flask-Admin; True, all its non-blank values, « any of » (`3,5`).
    multi_valued_filters = False

    def filter_arg_value(self, arg: str) -> str | None:
        """The value of filter argument `arg` (None: the filter is not set)."""
        if not self.multi_valued_filters:
            return request.args[arg]
        values = [v for v in request.args.getlist(arg) if v.strip()]
        return ",".join(values) if values else None

    def _get_list_filter_args(self):
        """Flask-Admin's parsing of `flt<pos>_<key>` arguments, with values checked against
        the database's bounds (`filter_value_ok`): the one parser of every list."""
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
            value = self.filter_arg_value(arg)
            if value is None:
                continue
            if self.filter_value_ok(flt, value):
                found.append((bounded.parse_int(pos, 0, 999) or 0, (idx, str(flt.name), value)))
            else:
                self.invalid_filter(value)
        return [item for _, item in sorted(found, key=lambda p: p[0])]

    def shown_page(self, page, count, page_size) -> int:
        """The page a list shows (the last one when asked beyond it), remembered for the pager."""
        size = self.page_size if page_size is None else page_size
        page = bounded.clamp_page(page, count, size)
        g.admints_shown_page = page
        return page

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        count, data = super().get_list(page, sort_column, sort_desc, search, filters,
                                       execute=execute, page_size=page_size)
        if execute and page:
            last = self.shown_page(page, count, page_size)
            if last != page:
                count, data = super().get_list(last, sort_column, sort_desc, search, filters,
                                               execute=execute, page_size=page_size)
        return count, data

    def render(self, template, **kwargs):
        if template == self.list_template and "admints_shown_page" in g:
            kwargs["page"] = g.pop("admints_shown_page")
        return super().render(template, **kwargs)

    def handle_view_exception(self, exc):
        """Flask-Admin flashes an exception's text (SQL, paths) when a save fails: in
        production the user reads a French sentence and the log keeps the details."""
        if isinstance(exc, validators.ValidationError):
            return super().handle_view_exception(exc)
        if isinstance(exc, DomainError):
            flash(exc.message, "error")
            return True
        if current_app.config.get("FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"):
            raise
        current_app.logger.exception("Erreur de la vue %s", self.endpoint)
        flash("L'opération n'a pas pu être effectuée ; rien n'a été modifié.", "error")
        return True

