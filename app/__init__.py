"""Application factory."""
from __future__ import annotations

from flask import Flask

from config import Config


def create_app(config: type[Config] = Config) -> Flask:
    """Build the app: extensions, blueprints, CLI commands, error handlers."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config)
    if hasattr(config, "check"):
        config.check()

    from sqlalchemy.orm import configure_mappers

    from app import models  # noqa: F401  (registers every table)
    from app.extensions import csrf, db, login_manager, migrate

    # Now, not at the first ORM statement: each job the queue's worker forks would otherwise set the
    # mappers up again (0.17 s of a tax import), and a mistake in a relationship shows at start.
    configure_mappers()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app.params import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route: ids past INTEGER are a 404, not a 500

    from app import auth as _auth_setup  # noqa: F401  (user loader)
    from app.admin.views import bp as admin_bp
    from app.auth.views import bp as auth_bp
    from app.contacts.views import bp as contacts_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.imports.views import bp as imports_bp
    from app.main.views import bp as main_bp
    from app.portal.views import bp as portal_bp
    from app.reference.views import bp as reference_bp
    from app.registry.views import bp as registry_bp
    from app.report_centre.views import bp as reports_bp
    from app.requests.views import bp as requests_bp
    from app.visits.views import bp as visits_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(requests_bp, url_prefix="/requests")
    app.register_blueprint(visits_bp, url_prefix="/visits")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reference_bp, url_prefix="/admin/reference")
    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(contacts_bp)
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")

    from app.params import refuse_nul_bytes
    from app.permissions import enforce_access

    app.before_request(enforce_access)
    app.before_request(refuse_nul_bytes)

    from app.security import init_security

    init_security(app)  # headers on every response; login rate limit (after the blueprints: it wraps auth.login)

    from app import errors, formatting
    from app.cli import register_cli
    from app.i18n import init_i18n
    from app.queue import init_queue

    init_i18n(app)  # locale selector, the language switch's route, {{ _('...') }} in templates
    errors.register(app)
    formatting.register(app)
    init_queue(app)
    register_cli(app)
    return app
