"""Error pages in the site's layout; the 500 handler rolls the session back."""
from flask import Flask, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from app.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this page. Ask an administrator if you need it.")),
    404: (_l("Not found"), _l("There is nothing at this address. It may have been moved, or the link is wrong.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("The upload is larger than allowed.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Nothing was saved; please try again.")),
}


def _render(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/healthz"):
        return {"error": str(title)}, code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def register(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e, code=code: _render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _render(400, _("Your form expired or was sent from another site. Reload the page and try again."))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return _render(500)
