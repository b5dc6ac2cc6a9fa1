"""Configuration classes. Every key can be overridden by an environment variable of the same
name (typed after the default's type); secrets come from `instance/` files made at first run."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


class Config:
    SECRET_KEY = "change-me"  # replaced from instance/secret_key or the environment
    # Comma-separated Fernet keys, newest first (MultiFernet: rotatable).
    DATA_KEYS = ""
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE / 'admints.sqlite'}"
    DATABASE_URL = ""
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # forced on by PREFERRED_URL_SCHEME=https (derive())
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "http"
    # Server-side sessions (admints.sessions, R-SEC-4): the cookie dies with the browser; the
    # stored session lasts this many seconds after its last change, and is not rewritten on
    # every request (a write per page would queue behind background jobs on SQLite).
    SESSION_PERMANENT = False
    SESSION_REFRESH_EACH_REQUEST = False
    PERMANENT_SESSION_LIFETIME = 10 * 3600
    # Redis for sessions and rate limits when set (several processes or machines).
    REDIS_URL = ""
    # Behind N reverse proxies: trust their X-Forwarded-For/-Proto/-Host/-Port (0: off).
    PROXY_FIX_COUNT = 0
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    # SIECLE uploads; larger is refused (413). The XML of a 20,000-pupil establishment
    # (pupils with addresses, guardians, nomenclature) is ~60 MB.
    MAX_CONTENT_LENGTH = 100 * 1024 * 1024
    # Bounds of the work of one SIECLE XML file (siecle_stream.Limits), refused beyond: inflated
    # bytes, elements (a real 20,000-pupil ElevesAvecAdresses has ~1.3 million), records read.
    SIECLE_MAX_XML_BYTES = 150 * 1024 * 1024
    SIECLE_MAX_ELEMENTS = 3_000_000
    SIECLE_MAX_RECORDS = 300_000
    # An import that would take away more than this share of the establishment's pupils or
    # guardians waits for an explicit confirmation (R-DAT-3).
    SIECLE_DEPARTURE_THRESHOLD = 0.2
    # Uploads above this many bytes (the files together) are imported by a background job, on
    # a Celery worker when CELERY_BROKER_URL is set (issue 14); smaller ones in the request.
    SIECLE_JOB_MIN_BYTES = 5 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    FLASK_ADMIN_SWATCH = "cerulean"
    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION = False
    LOGIN_RATE_LIMIT = "10 per minute"  # failed logins per IP address
    # Failed logins per login, whatever the address: high, so that a stranger cannot easily
    # lock a head out (R-SEC-2); reaching it is audited.
    LOGIN_ACCOUNT_RATE_LIMIT = "50 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_DEFAULT_SENDER = "ne-pas-repondre@admints.localhost"
    MAIL_TIMEOUT = 10
    MAIL_SUPPRESS_SEND = False
    # Where generated PDFs and job outputs are kept.
    OUTPUT_DIR = str(INSTANCE / "output")
    # Jobs above this many accounts run in the background (R-ACC-6).
    JOB_THRESHOLD = 300
    # « Exporter (CSV) » of more accounts than this is a background job writing the file under
    # OUTPUT_DIR (issue 14, comptes.export_jobs); at most this many, streamed in the request.
    EXPORT_JOB_MIN_ROWS = 2000
    JOB_RUNNER = "thread"  # thread | inline | celery (the default when CELERY_BROKER_URL is set)
    # Jobs on Celery workers (issue 14, README « Tâches sur Celery »): the broker (Redis), empty =
    # jobs in-process; an optional result backend; seconds a request waits for the broker; after
    # how long a message of a vanished worker is handed out again; runs of a job at most.
    CELERY_BROKER_URL = ""
    CELERY_RESULT_BACKEND = ""
    CELERY_CONNECT_TIMEOUT = 2.0
    CELERY_VISIBILITY_TIMEOUT = 3600
    CELERY_BEAT_FILE = str(INSTANCE / "celerybeat-schedule")
    JOB_MAX_ATTEMPTS = 3
    # Celery beat: the daily expiry (R-ACC-10) at this time, Europe/Paris, and the recovery of
    # interrupted jobs every JOB_RECOVER_EVERY seconds; a queued job not started after
    # JOB_QUEUE_STALE_SECONDS counts as lost (its message gone with the broker).
    EXPIRY_HOUR = 3
    EXPIRY_MINUTE = 30
    JOB_RECOVER_EVERY = 300
    JOB_QUEUE_STALE_SECONDS = 6 * 3600
    # A running job bumps its heartbeat this often; one whose runner is on another host and
    # silent for JOB_STALE_SECONDS is orphaned; orphans are recovered at start-up (R-ACC-6).
    JOB_HEARTBEAT_SECONDS = 15
    JOB_STALE_SECONDS = 120
    JOB_RECOVER_ON_START = True
    # Scolarité services, as families reach it (letters, emails, activation links): this app's
    # /scolarite/ (`make run`); derived from SERVER_NAME when that is set (derive()).
    PORTAL_URL = "http://127.0.0.1:5000/scolarite/"
    ACADEMIE_URL_TEMPLATE = "https://teleservices.ac-{academie}.fr/"
    # The families' portal (admints.portail, R-POR-1/3, R-SEC-2). Failed logins per IP address
    # and per identifier (like the staff's); self-help requests per IP and per address typed;
    # new activation links per IP.
    PORTAIL_LOGIN_RATE_LIMIT = "10 per minute"
    PORTAIL_ACCOUNT_RATE_LIMIT = "50 per hour"
    PORTAIL_OUBLI_RATE_LIMIT = "5 per 15 minutes"
    PORTAIL_OUBLI_ADDRESS_RATE_LIMIT = "3 per hour"
    PORTAIL_LIEN_RATE_LIMIT = "5 per 15 minutes"
    # Wrong birth dates at first connection before that account's first connection is locked,
    # and for how long (audited « portail.verrouillage »).
    PORTAIL_NAISSANCE_ESSAIS = 3
    PORTAIL_VERROU_MINUTES = 15
    PORTAIL_ACTIVATION_MAX_AGE = 30 * 24 * 3600  # seconds an activation link stays valid
    PORTAIL_OUBLI_MAX_AGE = 3 * 24 * 3600  # seconds a self-help temporary password is valid
    # Seconds a staff member's read-only simulation of a family's portal lasts (R-POR-4)
    # before it ends by itself (admints.portail.simulation).
    PORTAIL_SIMULATION_MAX_AGE = 20 * 60
    # argon2id for every staff and family password (R-SEC-2, RFC 9106 low-memory profile:
    # 5× OWASP's minimum m×t; bench/security.py prints the logins/s they allow). Below OWASP's
    # floor (m×t ≥ 19 MiB × 2, m ≥ 7 MiB) the app refuses to start (`check_password_hashing`).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    ARGON2_PARALLELISM = 4
    # Days the files a job leaves (letters' PDF with temporary passwords, CSV exports) are kept
    # after it ended, if staff did not delete them (admints.comptes.job_files, daily pass).
    JOB_FILES_MAX_DAYS = 14


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    DATA_KEYS = "bGV0bWVpbnRoaXNpc2F0ZXN0a2V5Zm9yYWRtaW50cyE="
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION = True
    LOGIN_RATE_LIMIT = "5 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "12 per hour"
    PORTAIL_LOGIN_RATE_LIMIT = "5 per minute"
    PORTAIL_ACCOUNT_RATE_LIMIT = "12 per hour"
    JOB_RUNNER = "inline"
    JOB_RECOVER_ON_START = False  # each test starts on an empty database
    # Test speed only (a login costs 0.7 ms of CPU instead of 250): the settings deployments
    # run are Config's, checked by tests/test_argon2_strength.py; only TESTING may go below.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    ARGON2_PARALLELISM = 1


def _coerce(default: object, raw: str) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on", "oui"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list | dict):
        return json.loads(raw)
    return raw


def apply_environment(config: dict) -> None:
    """Override every upper-case key present in the environment; DATABASE_URL sets the URI."""
    for key in list(config):
        if key.isupper() and key in os.environ:
            config[key] = _coerce(config[key], os.environ[key])
    url = config.get("DATABASE_URL")
    if url:
        # SQLAlchemy wants an explicit driver for psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        config["SQLALCHEMY_DATABASE_URI"] = url


def derive(config: dict) -> None:
    """Settings that follow from others: HTTPS-only cookies when the app is served over HTTPS;
    jobs on Celery when a broker is configured; rate limits shared through Redis when it is
    configured; the portal's address from SERVER_NAME when PORTAL_URL was left at its
    default."""
    if config.get("PREFERRED_URL_SCHEME") == "https":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    if config.get("CELERY_BROKER_URL") and config.get("JOB_RUNNER") == "thread":
        config["JOB_RUNNER"] = "celery"  # never a job thread in a web worker then
    if config.get("REDIS_URL") and config.get("RATELIMIT_STORAGE_URI") == "memory://":
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
    if config.get("SERVER_NAME") and config.get("PORTAL_URL") == Config.PORTAL_URL:
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        config["PORTAL_URL"] = f"{scheme}://{config['SERVER_NAME']}{root}/scolarite/"


OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME = 19 * 1024, 2  # argon2id minimum (ASVS 5.0 V11.4)
OWASP_FLOOR_MEMORY_KIB = 7 * 1024  # the cheat sheet's lowest equivalent (7 MiB × 5)


def check_password_hashing(config: dict) -> None:
    """Refuse to start with argon2id settings under OWASP's minimum (an environment variable
    can set them); the tests alone may run cheaper ones."""
    if config.get("TESTING"):
        return
    memory, time_cost = int(config["ARGON2_MEMORY_KIB"]), int(config["ARGON2_TIME_COST"])
    if memory < OWASP_FLOOR_MEMORY_KIB or memory * time_cost < OWASP_MIN_MEMORY_KIB * \
            OWASP_MIN_TIME or int(config["ARGON2_PARALLELISM"]) < 1:
        raise RuntimeError(
            "Paramètres argon2id sous le minimum OWASP (ARGON2_MEMORY_KIB × ARGON2_TIME_COST "
            f"≥ {OWASP_MIN_MEMORY_KIB * OWASP_MIN_TIME} Kio, ARGON2_MEMORY_KIB ≥ "
            f"{OWASP_FLOOR_MEMORY_KIB}, ARGON2_PARALLELISM ≥ 1) : l'application ne démarre pas.")


def ensure_instance_secrets(config: dict, instance: Path) -> None:
    """Create `instance/secret_key` and `instance/data_keys` at first run (never committed)."""
    import secrets

    from cryptography.fernet import Fernet

    instance.mkdir(parents=True, exist_ok=True)
    secret_file = instance / "secret_key"
    keys_file = instance / "data_keys"
    if config.get("SECRET_KEY") in (None, "", "change-me"):
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(48))
            secret_file.chmod(0o600)
        config["SECRET_KEY"] = secret_file.read_text().strip()
    if not config.get("DATA_KEYS"):
        if not keys_file.exists():
            keys_file.write_text(Fernet.generate_key().decode())
            keys_file.chmod(0o600)
        config["DATA_KEYS"] = keys_file.read_text().strip()
