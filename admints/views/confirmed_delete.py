"""Flask-Admin deletes confirmed on the server (issue 12 point 6), for every model list.

Flask-Admin asks with a JavaScript `confirm()` (and its stock, misspelt French text) before the
row's delete form posts, and before the « Supprimer » bulk action runs. Here the row's form has
no script: its first POST to `delete_view` renders the confirmation page (wording from
`admints.confirmations`), which posts the same `id` and `url` back with `confirme=1`; only then
does Flask-Admin's own `delete_view` delete (scoped `get_one`, audited `delete_model`). The bulk
action asks the same way (`bulk_delete_confirmation`).
"""

from __future__ import annotations

from flask import request
from flask_admin import expose
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import BaseListRowAction, DeleteRowAction
from markupsafe import Markup

from .. import confirmations
from .confirmation import ask, confirmed


class ConfirmedDeleteRowAction(BaseListRowAction):
    """The row's delete button: a plain form posting to `delete_view`, no `onclick`."""

    def __init__(self) -> None:
        super().__init__(title="Supprimer")

    def render(self, context, row_id, row):
        get_url, csrf_token = context.resolve("get_url"), context.resolve("csrf_token")
        token = Markup('<input type="hidden" name="csrf_token" value="{}">').format(
            csrf_token()) if callable(csrf_token) else Markup("")
        view = context.resolve("admin_view")
        label = view.row_label(row) if hasattr(view, "row_label") else str(row_id)
        # A DSFR button named after the row (« Supprimer Dupont Jean »), issue 13 point 1.
        return Markup(
            '<form class="admints-row-action" method="POST" action="{}">'
            '<input type="hidden" name="id" value="{}">'
            '<input type="hidden" name="url" value="{}">{}'
            '<button type="submit" class="fr-btn fr-btn--sm fr-btn--tertiary '
            'fr-icon-delete-line fr-btn--icon-left">Supprimer'
            '<span class="fr-sr-only"> {}</span></button></form>'
        ).format(get_url(".delete_view"), row_id, context.resolve("return_url") or "", token,
                 label)


class ConfirmedDeleteMixin:
    """For a Flask-Admin `ModelView`: confirmation page before any delete."""

    def get_list_row_actions(self):
        return [ConfirmedDeleteRowAction() if isinstance(a, DeleteRowAction) else a
                for a in super().get_list_row_actions()]

    def _cancel_url(self) -> str:
        return get_redirect_target() or self.get_url(".index_view")

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if self.can_delete and not confirmed():
            model = self.get_one(request.form.get("id"))
            if model is not None:
                return ask(self, confirmations.delete_record(str(model)),
                           cancel_url=self._cancel_url())
        return super().delete_view()

    def bulk_delete_confirmation(self, ids):
        """The page to show before the bulk delete of `ids`, or None once confirmed."""
        if confirmed():
            return None
        found = get_query_for_ids(self.get_query(), self.model, ids).count()  # scoped
        if not found:
            return None  # nothing to delete: the action says so
        return ask(self, confirmations.delete_records(found), cancel_url=self._cancel_url(),
                   action_url=self.get_url(".action_view"))
