"""Server-side sessions (R-SEC-4): the cookie carries a random id, the data stays on the server.

Built on Flask-Session 0.8: its Redis backend when `REDIS_URL` is set, else the
`server_session` table of the app's own database (created by our Alembic migration). Flask-Session's
own SQLAlchemy backend is not used: it creates its table at start-up (outside the migrations),
declares a new model class on every `create_app`, and commits the request's database session when
it saves (a view's uncommitted changes would be written). This backend talks to the table on its
own connection when it writes, so the request's transaction is never touched (it reads on the
request's connection: a read changes nothing of it).

Ending sessions: `renew()` gives a new id at login and logout (no fixation; the old id is deleted
from the store); the per-user `session_version` (admints.academie.users.end_sessions) ends every
session of a user at logout, password change and deactivation, whatever the store. Cookies are
`Secure` when `SESSION_COOKIE_SECURE` is on (PREFERRED_URL_SCHEME=https) or the request came over
HTTPS (as ProxyFix reports it, when enabled).

Two stores, chosen by path (`ByPath`): the families' portal (`/scolarite/…`, R-SEC-4: a family
session never opens the back-office and a staff session never opens the portal) has its own
cookie `scolarite_session` (Path=/scolarite, same HttpOnly / SameSite / Secure rules) and its own
key prefix in the same store; the staff cookie, sent by the browser with every path, is never
read under /scolarite, and the portal's cookie never leaves /scolarite. A session id copied
from one cookie to the other finds nothing (other prefix).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SessionInterface
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .clock import utcnow
from .extensions import db
from .models import ServerSession
from .static_delivery import STATIC_ENDPOINTS

KEY_PREFIX = "admints:session:"
PORTAL_KEY_PREFIX = "admints:portail:"
PORTAL_COOKIE = "scolarite_session"
PORTAL_PATH = "/scolarite"
log = logging.getLogger(__name__)


class _Common:
    """What both stores add to Flask-Session: the `Secure` flag over HTTPS, and the deletion,
    when the response is saved, of the id that `renew()` replaced."""

    def get_cookie_secure(self, app: Flask) -> bool:
        secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return secure or (has_request_context() and request.is_secure)

    def save_session(self, app: Flask, session: ServerSideSession, response) -> None:
        replaced = getattr(session, "replaced_store_id", None)
        if replaced:
            self._delete_session(replaced)
        super().save_session(app, session, response)


def _release_sqlite_writer() -> None:
    """SQLite has one writer at a time. A request that leaves a write transaction open (a view
    that neither committed nor rolled back) would make the session write, on its own
    connection, wait for the request itself until the busy timeout. Those writes are rolled back
    when the request ends anyway (Flask-SQLAlchemy's teardown): roll them back now."""
    request_session = db.session()  # the scoped session's current Session
    if db.engine.dialect.name != "sqlite" or not request_session.in_transaction():
        return
    raw = request_session.connection().connection.dbapi_connection
    if getattr(raw, "in_transaction", False):
        log.warning("request left uncommitted writes: rolled back before saving the session")
        request_session.rollback()


_SESSION_DATA = (select(ServerSession.data, ServerSession.expiry)
                 .where(ServerSession.session_id == bindparam("store_id")))


class DatabaseSessionInterface(_Common, ServerSideSessionInterface):
    """Sessions in the `server_session` table; expired rows are purged when a session is
    created (no cron needed)."""

    ttl = False

    def __init__(self, app: Flask, key_prefix: str = KEY_PREFIX):
        super().__init__(app, key_prefix=key_prefix, permanent=app.config["SESSION_PERMANENT"],
                         sid_length=32, serialization_format="msgpack")

    def _register_cleanup_app_command(self) -> None:
        """Flask-Session would add a `session_cleanup` command: `_upsert_session` purges."""

    def _retrieve_session_data(self, store_id: str) -> dict | None:
        # A read, so on the request's own connection: a connection of its own would cost a
        # pool checkout and a transaction of its own on every request.
        row = db.session.connection().execute(_SESSION_DATA, {"store_id": store_id}).first()
        if row is None or row.expiry <= utcnow():
            return None
        return self.serializer.decode(row.data)

    def _delete_session(self, store_id: str) -> None:
        _release_sqlite_writer()
        with db.engine.begin() as conn:
            conn.execute(delete(ServerSession).where(ServerSession.session_id == store_id))

    def _upsert_session(self, session_lifetime: dt.timedelta, session: ServerSideSession,
                        store_id: str) -> None:
        data = self.serializer.encode(session)
        now = utcnow()
        _release_sqlite_writer()
        values = {"data": data, "expiry": now + session_lifetime}
        with db.engine.begin() as conn:
            updated = conn.execute(update(ServerSession)
                                   .where(ServerSession.session_id == store_id)
                                   .values(**values)).rowcount
            if updated:
                return
            conn.execute(delete(ServerSession).where(ServerSession.expiry <= now))
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(ServerSession).values(session_id=store_id, **values))
        except IntegrityError:  # two first requests of one browser at once: the other won
            pass


class _PortalCookie:
    """The portal's cookie: its own name and path. (Flask-Session's `open_session` reads the
    name from the config, hence this one.)"""

    def get_cookie_name(self, app: Flask) -> str:
        return PORTAL_COOKIE

    def get_cookie_path(self, app: Flask) -> str:
        return PORTAL_PATH

    def open_session(self, app: Flask, request) -> ServerSideSession:
        sid = request.cookies.get(PORTAL_COOKIE) or ""
        data = None
        if 0 < len(sid) <= 128:  # ids are 43 characters; anything else is not ours
            data = self._retrieve_session_data(self._get_store_id(sid))
        if data is None:
            return self.session_class(sid=self._generate_sid(self.sid_length),
                                      permanent=self.permanent)
        return self.session_class(data, sid=sid)


class PortalDatabaseSessionInterface(_PortalCookie, DatabaseSessionInterface):
    pass


def is_portal_path(path: str) -> bool:
    return path == PORTAL_PATH or path.startswith(PORTAL_PATH + "/")


class ByPath(SessionInterface):
    """The staff store everywhere but under /scolarite, where the portal's store is used."""

    def __init__(self, staff: SessionInterface, portal: SessionInterface):
        self.staff, self.portal = staff, portal

    def for_request(self) -> SessionInterface:
        portal = has_request_context() and is_portal_path(request.path)
        return self.portal if portal else self.staff

    def open_session(self, app: Flask, request):
        return (self.portal if is_portal_path(request.path) else self.staff).open_session(
            app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if has_request_context() and request.endpoint in STATIC_ENDPOINTS:
            # A static file depends on no session: no row written, no `Vary: Cookie` (which
            # would make the browser fetch every asset again after each login).
            return
        self.for_request().save_session(app, session, response)


def _redis_interface(app: Flask, url: str, *, portal: bool = False):
    from flask_session.redis import RedisSessionInterface
    from redis import Redis

    class RedisSessions(_Common, RedisSessionInterface):
        pass

    class PortalRedisSessions(_PortalCookie, RedisSessions):
        pass

    cls = PortalRedisSessions if portal else RedisSessions
    return cls(app, client=Redis.from_url(url),
               key_prefix=PORTAL_KEY_PREFIX if portal else KEY_PREFIX,
               permanent=app.config["SESSION_PERMANENT"], sid_length=32,
               serialization_format="msgpack")


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        app.session_interface = ByPath(_redis_interface(app, url),
                                       _redis_interface(app, url, portal=True))
    else:
        app.session_interface = ByPath(DatabaseSessionInterface(app),
                                       PortalDatabaseSessionInterface(app, PORTAL_KEY_PREFIX))


def open_portal_session(app: Flask, data: dict, response) -> None:
    """Open, from a back-office request, a new portal session holding `data`, and set its
    cookie (`scolarite_session`, Path=/scolarite) on `response`: how a staff member's
    simulation of a family's access (R-POR-4) reaches /scolarite/. The staff session of the
    request is not touched; the session id never appears in a URL. Whatever uncommitted writes
    the request holds are rolled back first on SQLite (`_release_sqlite_writer`): commit before.
    """
    interface = app.session_interface
    portal = interface.portal if isinstance(interface, ByPath) else interface
    new = portal.session_class(data, sid=portal._generate_sid(portal.sid_length),
                               permanent=portal.permanent)
    new.modified = True
    portal.save_session(app, new, response)


def renew(session) -> None:
    """A new session id at login and logout (no fixation); the old id is deleted from the store
    when the response is saved. (Flask-Session's `regenerate` skips an empty session, which is
    what login and logout have just cleared, and writes in the middle of the view.)"""
    interface = current_app.session_interface
    if isinstance(interface, ByPath):
        interface = interface.for_request()
    if not isinstance(interface, ServerSideSessionInterface) or not isinstance(
            session, ServerSideSession):
        return
    if not getattr(session, "replaced_store_id", None):
        session.replaced_store_id = interface._get_store_id(session.sid)
    session.sid = interface._generate_sid(interface.sid_length)
    session.modified = True
