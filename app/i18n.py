"""Chinese and English: the locale of each request, and the language switch.

The locale is, in order: the logged-in user's saved choice (staff and portal alike); the
`lang` cookie set by the switch (the login page, and a user who never chose); the best match
of the browser's Accept-Language; English. Times are always shown in Asia/Shanghai.

Conventions for wrapping strings are in README.md, "Translations".
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from app.auth.views import home_for, safe_next
from app.extensions import babel, db
from app.forms import options
from app.permissions import public

#: The interface languages: code → its own name, as shown on the switch. English is the source
#: language; zh_Hans_CN (not zh_CN) because Babel normalises zh_CN to zh_Hans_CN and looks the
#: catalogue up under that name (app/translations/zh_Hans_CN/LC_MESSAGES/messages.po).
LANGUAGES = {"en": "English", "zh_Hans_CN": "中文"}
DEFAULT_LOCALE = "en"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).parent / "translations"

log = logging.getLogger(__name__)
bp = Blueprint("i18n", __name__)


def supported(code: str | None) -> str | None:
    """The code if it is one of LANGUAGES, else None (never trust a stored or sent value)."""
    return code if code in LANGUAGES else None


def match_accept_language(header_values) -> str | None:
    """The first supported language in the browser's preference order: any zh-* means Chinese."""
    for tag, quality in header_values:  # werkzeug keeps them sorted by quality
        if quality <= 0:
            continue
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary == "en":
            return "en"
        if primary == "zh":
            return "zh_Hans_CN"
    return None


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    if not has_request_context():  # a job or CLI command: English unless wrapped in force_locale(user_locale(user))
        return DEFAULT_LOCALE
    if current_user.is_authenticated and supported(current_user.locale):
        return current_user.locale
    chosen = supported(request.cookies.get(current_app.config["LANGUAGE_COOKIE"]))
    if chosen:
        return chosen
    g.locale_from_header = True
    return match_accept_language(request.accept_languages) or DEFAULT_LOCALE


def user_locale(user) -> str:
    """The locale to produce something for a user outside their request (a report, a mail)."""
    return supported(getattr(user, "locale", None)) or DEFAULT_LOCALE


def current_locale() -> str:
    """The code of this request's locale, as in LANGUAGES."""
    return supported(str(get_locale())) or DEFAULT_LOCALE


class LanguageForm(FlaskForm):
    """The top bar's switch: one button per language; the choice must be one of LANGUAGES."""

    locale = SelectField(_l("Language"), choices=options(LANGUAGES.items()))
    next = HiddenField()


@bp.route("/language", methods=["POST"])
@public
def switch():
    """Change the interface language: saved on the user when logged in, and in a cookie."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    code = form.locale.data
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    home = home_for(current_user.role) if current_user.is_authenticated else url_for("auth.login")
    response = redirect(safe_next(form.next.data) or home)
    _set_cookie(response, code)
    return response


def _set_cookie(response, code: str) -> None:
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"], code, max_age=COOKIE_MAX_AGE, httponly=True,
        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )


def _remember_user_choice(response):
    """Keep the cookie in step with a logged-in user's saved language, so the login page after
    logging out (and the flash it shows) stays in that language."""
    if request.endpoint != "static" and current_user.is_authenticated and supported(current_user.locale):
        if request.cookies.get(current_app.config["LANGUAGE_COOKIE"]) != current_user.locale:
            _set_cookie(response, current_user.locale)
    if g.get("locale_from_header"):
        response.vary.add("Accept-Language")
    return response


def _template_globals() -> dict:
    locale = current_locale()
    return {
        "LANGUAGES": LANGUAGES,
        "current_locale": locale,
        "html_lang": locale.replace("_", "-"),  # BCP 47: zh-Hans-CN
    }


def _check_compiled() -> None:
    """Say so when a catalogue is not compiled (or older than its .po): that language would show English."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            log.warning("%s is not compiled or out of date: run `make translations-compile`", po)


def init_i18n(app: Flask) -> None:
    """Flask-Babel with our locale selector, the switch's route, and the template globals."""
    babel.init_app(app, locale_selector=select_locale)
    # {% trans %} blocks: whitespace and line breaks are collapsed, in templates and in msgids alike.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.register_blueprint(bp)
    app.after_request(_remember_user_choice)
    app.context_processor(_template_globals)
    _check_compiled()
