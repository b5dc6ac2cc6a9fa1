"""The one helper that writes the append-only audit trail (R-SEC-3).

Domain functions call `record(...)`; it adds the entry to the current session and flushes
nothing: the caller's transaction decides, so an action and its audit land together.
"""

from __future__ import annotations

import json

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEntry


def short(value: object, limit: int = 2000) -> str | None:
    """Short JSON for the before/after fields."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(
        value, ensure_ascii=False, default=str, sort_keys=True
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _actor() -> tuple[int | None, str | None, str | None]:
    if not has_request_context():
        return None, "cli", None
    ip = request.remote_addr
    user = current_user._get_current_object() if current_user else None
    if user is not None and user.is_authenticated:
        return user.id, user.login, ip
    return None, None, ip


def record(
    action: str,
    *,
    etablissement_id: int | None = None,
    target: str | None = None,
    rows: list | None = None,
    before: object = None,
    after: object = None,
    login: str | None = None,
    user_id: int | None = None,
) -> AuditEntry:
    actor_id, actor_login, ip = _actor()
    entry = AuditEntry(
        user_id=user_id if user_id is not None else actor_id,
        login=login if login is not None else actor_login,
        ip=ip,
        etablissement_id=etablissement_id,
        action=action,
        target=(target or "")[:300] or None,
        rows=rows[:1000] if rows else None,
        before=short(before),
        after=short(after),
    )
    db.session.add(entry)
    return entry


def record_academie_list(model, what: str, *, by: str | None = None, before: object = None,
                         after: object = None) -> AuditEntry:
    """`academie.<table>.<what>` for a row of one of the académie's lists (R-SEC-3)."""
    return record(f"academie.{model.__tablename__}.{what}", login=by, target=str(model)[:300],
                  before=before, after=after)
