"""Menu « Journal »: the audit trail (R-SEC-3), read-only.

« Journal de l'établissement » shows the entries of the current establishment only (the
académie administrator: of the establishment it chose). « Journal académique » (académie role
only) shows the entries of its académie's establishments and of its own académie
administrators; never another académie's. No create, edit, delete, action or export.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import g, has_request_context
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    FilterEqual,
    FilterLike,
    IntEqualFilter,
)
from markupsafe import Markup
from sqlalchemy import or_

from .. import bounded, clock, permissions
from ..audit_labels import action_label, readable
from ..extensions import db
from ..formatting import format_datetime, format_number
from ..models import AuditEntry, Etablissement, Role, StaffUser
from .base import (
    AcademieModelView,
    TenantModelView,
    academie_etablissement_ids,
    current_academie_id,
)

CATEGORY = "Journal"

# The journal reads « JJ/MM/AAAA » days, Paris time; the typed value is bounded.
DAY_RANGE = re.compile(r"^\s*(\S{1,10})\s*(?:au\s*(\S{1,10})\s*)?$")
LIST_PAIRS = 4  # before/after pairs shown per row in the list (all of them in the details)


def _action_label(view, context, model, name):
    return Markup('<span data-code="{}">{}</span>').format(model.action,
                                                          action_label(model.action))


def _pairs(pairs, limit=None):
    shown = pairs if limit is None else pairs[:limit]
    items = [Markup("<li>{}{}</li>").format(Markup("<strong>{}</strong> : ").format(label)
                                            if label else "", _clip(value))
             for label, value in shown]
    if limit is not None and len(pairs) > limit:
        items.append(Markup("<li>… ({} de plus)</li>").format(len(pairs) - limit))
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(Markup("").join(items))


def _clip(value: str) -> str:
    return value if len(value) <= 120 else value[:119] + "…"


def _readable(view, context, model, name):
    return _pairs(readable(getattr(model, name)), LIST_PAIRS)


def _readable_detail(view, context, model, name):
    return _pairs(readable(getattr(model, name)))


def _rows(view, context, model, name):
    rows = model.rows or []
    if len(rows) > 10:
        return f"{format_number(len(rows))} lignes"
    return ", ".join(str(r) for r in rows)


def _at(view, context, model, name):
    if not model.at:
        return ""
    return Markup('<time datetime="{}Z">{}</time>').format(model.at.isoformat(timespec="seconds"),
                                                         format_datetime(model.at))


class DayRangeFilter(BaseSQLAFilter):
    """« Date » between two days typed JJ/MM/AAAA (« 01/09/2026 au 30/09/2026 », or one day),
    days of Europe/Paris: a plain text field, no English date picker (issue 12 point 8)."""

    def operation(self):
        return "entre (JJ/MM/AAAA au JJ/MM/AAAA)"

    def _days(self, value):
        match = DAY_RANGE.match(str(value or "")[:40])
        if not match:
            return None
        first = bounded.parse_date(match.group(1), ("%d/%m/%Y",))
        last = bounded.parse_date(match.group(2) or match.group(1), ("%d/%m/%Y",))
        if first is None or last is None or last < first:
            return None
        return first, last

    def validate(self, value):
        return self._days(value) is not None

    def clean(self, value):
        return self._days(value)

    def apply(self, query, value, alias=None):
        first, last = value
        column = self.get_column(alias)
        return query.filter(column >= clock.utc_start_of(first),
                            column < clock.utc_start_of(last + dt.timedelta(days=1)))


class _JournalBase:
    """What both journals share: read-only, newest first, filters."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    can_export = False
    details_modal = False
    column_display_actions = True
    column_default_sort = [("at", True), ("id", True)]
    column_list = ("at", "login", "ip", "action", "target", "rows", "before", "after")

    def row_label(self, row) -> str:
        return f"{row.action} du {format_datetime(row.at)}"
    column_details_list = ("at", "login", "ip", "action", "target", "rows", "before", "after")
    column_sortable_list = ("at", "login", "ip", "action", "target")
    column_searchable_list = ("action", "login", "target")
    column_labels = {
        "at": "Date et heure",
        "login": "Utilisateur",
        "ip": "Adresse IP",
        "action": "Action",
        "target": "Cible",
        "rows": "Lignes",
        "before": "Avant",
        "after": "Après",
        "etablissement_id": "Établissement",
    }
    column_formatters = {
        "at": _at,
        "action": _action_label,
        "before": _readable,
        "after": _readable,
        "rows": _rows,
    }
    column_formatters_detail = {"at": _at, "action": _action_label, "rows": _rows,
                                "before": _readable_detail, "after": _readable_detail}

    def _action_options(self):
        if not has_request_context():
            return []
        stmt = (db.select(AuditEntry.action).where(self.scope_clause())
                .distinct().order_by(AuditEntry.action))
        return [(a, action_label(a)) for a in db.session.scalars(stmt)]

    def _filters(self):
        return [
            FilterEqual(AuditEntry.action, "Action", options=self._action_options),
            FilterLike(AuditEntry.action, "Action"),
            FilterLike(AuditEntry.login, "Utilisateur"),
            FilterEqual(AuditEntry.login, "Utilisateur"),
            DayRangeFilter(AuditEntry.at, "Date"),
            FilterLike(AuditEntry.target, "Cible"),
            FilterLike(AuditEntry.ip, "Adresse IP"),
        ]


class JournalView(_JournalBase, TenantModelView):
    """The current establishment's entries; CSV export of what the filters select (scoped by
    the same query, so never another establishment's)."""

    area = permissions.JOURNAL
    can_export = True
    export_types = ["csv"]
    export_max_rows = 50000
    column_export_list = ("at", "login", "ip", "action", "target", "rows", "before", "after")
    column_formatters_export = {"action": lambda v, c, m, n: m.action,
                                "at": lambda v, c, m, n: format_datetime(m.at)}

    def __init__(self, *args, **kwargs):
        self.column_filters = self._filters()
        super().__init__(AuditEntry, db, *args, **kwargs)


def _uai(view, context, model, name):
    if model.etablissement_id is None:
        return "Académie"
    cache = g.setdefault("admints_uai_cache", {})
    if model.etablissement_id not in cache:
        cache[model.etablissement_id] = db.session.scalar(
            db.select(Etablissement.uai).where(Etablissement.id == model.etablissement_id))
    return cache[model.etablissement_id]


class JournalAcademiqueView(_JournalBase, AcademieModelView):
    """Entries of the académie's establishments and of its académie administrators."""

    column_list = ("at", "etablissement_id", *_JournalBase.column_list[1:])
    column_details_list = ("at", "etablissement_id", *_JournalBase.column_details_list[1:])
    column_formatters = {**_JournalBase.column_formatters, "etablissement_id": _uai}
    column_formatters_detail = {**_JournalBase.column_formatters_detail, "etablissement_id": _uai}

    def __init__(self, *args, **kwargs):
        self.column_filters = self._filters() + [
            IntEqualFilter(AuditEntry.etablissement_id, "Établissement",
                        options=self._etab_options),
        ]
        super().__init__(AuditEntry, db, *args, **kwargs)

    def scope_clause(self):
        aid = current_academie_id()
        admins = db.select(StaffUser.id).where(
            StaffUser.academie_id == aid, StaffUser.role == Role.ACADEMIE.value)
        admin_logins = db.select(StaffUser.login).where(
            StaffUser.academie_id == aid, StaffUser.role == Role.ACADEMIE.value)
        # Entries without an establishment: those of its administrators, and the failed
        # logins typed on their logins.
        return or_(
            AuditEntry.etablissement_id.in_(academie_etablissement_ids(aid)),
            AuditEntry.etablissement_id.is_(None) & or_(
                AuditEntry.user_id.in_(admins),
                (AuditEntry.user_id.is_(None) & AuditEntry.login.in_(admin_logins))),
        )

    def _etab_options(self):
        if not has_request_context():
            return []
        aid = current_academie_id()
        stmt = (db.select(Etablissement).where(Etablissement.academie_id == aid)
                .order_by(Etablissement.uai))
        return [(str(e.id), f"{e.uai} – {e.nom}") for e in db.session.scalars(stmt)]


def register(admin) -> None:
    admin.add_view(JournalView(name="Journal de l'établissement", category=CATEGORY,
                               endpoint="journal", url="journal"))
    admin.add_view(JournalAcademiqueView(name="Journal académique", category=CATEGORY,
                                         endpoint="journal_academique",
                                         url="journal-academique"))

