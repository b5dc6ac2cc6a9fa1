"""Staff login and logout (Flask-Login), rate-limited per IP and per login (R-SEC-2); a session
ends at logout and whenever the user's session version moves (R-SEC-4, admints.sessions).

Failed logins are limited per IP address (LOGIN_RATE_LIMIT, tight) and per login whatever the
address (LOGIN_ACCOUNT_RATE_LIMIT, much higher): a stranger typing a head's login from one place
is stopped long before the head is; only a distributed attack reaches the per-login limit, and
that is written to the establishment's journal (« connexion.blocage »).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from . import audit, bounded, sessions, tenancy
from .academie.users import authenticate, end_sessions, mark_login
from .clock import utcnow
from .extensions import db, limiter, login_manager
from .models import AuditEntry, StaffUser

bp = Blueprint("auth", __name__)


@bp.record_once
def _fresh_g_per_request(state) -> None:
    """`g` belongs to the app context, which a request reuses when one is already pushed (the
    test fixtures, scripts). Its per-request caches (Flask-Login's user, Flask-WTF's token, the
    current establishment) must never outlive a request: a stale user or establishment would
    cross tenants. Runs before every other hook."""

    def _clear_g() -> None:
        for name in list(vars(g)):
            delattr(g, name)

    state.app.before_request_funcs.setdefault(None, []).insert(0, _clear_g)


class LoginForm(FlaskForm):
    login = StringField("Identifiant", validators=[DataRequired("Saisissez votre identifiant.")])
    password = PasswordField(
        "Mot de passe", validators=[DataRequired("Saisissez votre mot de passe.")]
    )


# The user of a request and their establishment (nearly every page shows it), in one query
# built once: `Session.get` builds its statement and cache key on every request.
_USER_BY_ID = (select(StaffUser).options(joinedload(StaffUser.etablissement))
               .where(StaffUser.id == bindparam("user_id")))


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """`<id>:<session version>` (StaffUser.get_id): a session of an older version (before a
    logout, a password change or a deactivation) no longer opens anything."""
    raw_id, _, version = (user_id or "").partition(":")
    if not raw_id.isdigit() or not version.isdigit() or len(raw_id) > 18 or len(version) > 18:
        return None
    user = db.session.execute(_USER_BY_ID, {"user_id": int(raw_id)}).scalar_one_or_none()
    if user is None or not user.actif or (user.session_version or 0) != int(version):
        return None
    return user


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_blocked(request_limit) -> None:
    """The per-login limit was reached: one journal entry per window, not one per attempt."""
    typed = (request.form.get("login") or "").strip().lower()[:80]
    since = utcnow() - dt.timedelta(seconds=request_limit.limit.get_expiry())
    if db.session.scalar(db.select(AuditEntry.id).where(
            AuditEntry.action == "connexion.blocage", AuditEntry.target == typed,
            AuditEntry.at >= since).limit(1)):
        return None
    known_etab = db.session.scalar(
        db.select(StaffUser.etablissement_id).where(StaffUser.login == typed))
    audit.record("connexion.blocage", etablissement_id=known_etab, target=typed, login=typed,
                 after={"limite": str(request_limit.limit)})
    db.session.commit()
    return None


def _login_key() -> str:
    return "login:" + (request.form.get("login") or "").strip().lower()


def _failed(response) -> bool:
    """Only failed attempts count against the limits."""
    return response.status_code != 302


def _safe_next(url: str) -> bool:
    """Only a local path: no scheme, no host, no `//` or `/\\` that browsers read as a host."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return False
    if any(ord(c) < 32 for c in url):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed,
               error_message="Trop de tentatives de connexion. Réessayez dans une minute.")
@limiter.limit(_account_limit, methods=["POST"], key_func=_login_key, deduct_when=_failed,
               on_breach=_account_blocked,
               error_message="Trop de tentatives de connexion pour cet identifiant. "
                             "Réessayez plus tard ou contactez votre administrateur.")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is None:
            typed = (form.login.data or "").strip().lower()[:80]
            # A failed login on a known account shows in that establishment's journal.
            known_etab = db.session.scalar(
                db.select(StaffUser.etablissement_id).where(StaffUser.login == typed))
            audit.record("connexion.echec", etablissement_id=known_etab, target=typed,
                         login=typed)
            db.session.commit()
            flash("Identifiant ou mot de passe incorrect.", "error")
            return render_template("auth/login.html", form=form), 200
        next_url = request.args.get("next") or ""
        # A new session at login: nothing of the anonymous session survives, not even its id.
        session.clear()
        sessions.renew(session)
        login_user(user)
        mark_login(user)
        audit.record("connexion", etablissement_id=user.etablissement_id, target=user.login,
                     login=user.login, user_id=user.id)
        db.session.commit()
        if not _safe_next(next_url):
            next_url = url_for("admin.index")
        return redirect(next_url)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    from flask_login import current_user

    user = current_user._get_current_object()
    audit.record("deconnexion", etablissement_id=user.etablissement_id, target=user.login)
    end_sessions(user)  # every session of the user, on any browser (R-SEC-4)
    db.session.commit()
    logout_user()
    session.clear()
    sessions.renew(session)
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/etablissement", methods=["POST"])
@login_required
def switch():
    """The académie administrator's establishment switcher."""
    from flask_login import current_user

    wanted = bounded.parse_id(request.form.get("etablissement_id"))
    if wanted is None or not tenancy.switch_etablissement(current_user, wanted):
        flash("Établissement inaccessible.", "error")
    else:
        audit.record("etablissement.choix", etablissement_id=wanted, target=str(wanted))
        db.session.commit()
    return redirect(url_for("admin.index"))
