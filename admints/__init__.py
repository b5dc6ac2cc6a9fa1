"""AdminTS application factory: configuration, extensions, blueprints, admin shell, CLI."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import bounded
from .config import (
    INSTANCE,
    ROOT,
    Config,
    apply_environment,
    check_password_hashing,
    derive,
    ensure_instance_secrets,
)
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate


def create_app(config: dict | type | None = None) -> Flask:
    """Defaults, then environment overrides, then the mapping a test passes."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_object(Config)
    overrides: dict = {}
    if isinstance(config, type):
        app.config.from_object(config)
    elif config:
        overrides = dict(config)
    apply_environment(app.config)
    app.config.update(overrides)
    derive(app.config)
    check_password_hashing(app.config)
    if not app.config.get("TESTING"):
        ensure_instance_secrets(app.config, Path(app.instance_path))
    Path(app.config["OUTPUT_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_FIX_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_FIX_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    register_extensions(app)
    bounded.register_converters(app)  # before any route: every <int:…> is bounded
    register_blueprints(app)
    register_admin(app)
    register_cli(app)
    if app.config.get("CELERY_BROKER_URL"):
        from .celery_app import init_celery

        init_celery(app)  # jobs on Celery workers (issue 14)
    if app.config.get("JOB_RECOVER_ON_START"):
        from .job_recovery import recover_at_startup

        recover_at_startup(app)  # jobs whose runner died with the previous process (R-ACC-6)
    return app


def register_extensions(app: Flask) -> None:
    from . import database, fragments, i18n, sessions, static_delivery

    static_delivery.init_app(app)  # first: its compression hook then runs after every other
    db.init_app(app)
    database.configure_engine_events(app)
    sessions.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
    login_manager.login_message_category = "warning"
    i18n.init_app(app)
    fragments.init_app(app)


def register_blueprints(app: Flask) -> None:
    from . import error_pages, favicon
    from .auth import bp as auth_bp
    from .security_headers import register as register_headers
    from .views.scolarite import bp as scolarite_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(scolarite_bp)  # the families' portal, /scolarite/
    favicon.register(app)
    register_headers(app)
    error_pages.register(app)


def register_admin(app: Flask) -> None:
    from .views import init_admin

    init_admin(app)


def register_cli(app: Flask) -> None:
    from .cli import admints_cli

    app.cli.add_command(admints_cli)
