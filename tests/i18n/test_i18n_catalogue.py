"""The translation catalogues: they compile, keep every placeholder, and (once translated) are complete."""
import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.i18n import DEFAULT_LOCALE, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LOCALE]  # English is the source language
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def po_path(code: str) -> Path:
    return TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"


def load(code: str):
    with po_path(code).open("rb") as f:
        return read_po(f, locale=code)


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def extracted_msgids() -> dict[str, str]:
    """Every string wrapped in the sources, found as `make translations` finds them: msgid → where."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found.setdefault(message if isinstance(message, str) else message[0], filename)
    return found


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_compiles_and_is_used(code):
    catalog = load(code)
    assert [str(e) for _msg, errors in catalog.check() for e in errors] == []
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    assert Translations(compiled).gettext("Log out") != "Log out"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_msgid(code):
    """%(name)s in the English must be in the translation, or the page would fail or say the wrong thing."""
    wrong = []
    for message in load(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = placeholders(ids[-1])  # the plural msgid (Chinese has one form, used for every count)
        for string in strings:
            if string and placeholders(string) != expected:
                wrong.append(f"{ids[0]!r}: {string!r} should have {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalogue_is_up_to_date(code):
    mo = po_path(code).with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po_path(code).stat().st_mtime, (
        f"{mo} is missing or older than its .po: run `make translations-compile` (make run / make test do it)"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_is_complete(code):
    """Every wrapped string is in the catalogue, translated, and not fuzzy."""
    catalog = load(code)
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = [f"{where}: {msgid!r}" for msgid, where in extracted_msgids().items() if msgid not in in_catalogue]
    untranslated = [repr(i) for i, m in in_catalogue.items() if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    fuzzy = [repr(i) for i, m in in_catalogue.items() if m.fuzzy]
    report = []
    if missing:
        report.append(f"{len(missing)} not extracted yet (run `make translations`):\n  " + "\n  ".join(missing))
    if untranslated:
        report.append(f"{len(untranslated)} untranslated in {po_path(code)}:\n  " + "\n  ".join(untranslated))
    if fuzzy:
        report.append(f"{len(fuzzy)} fuzzy (check the translation, then delete the '#, fuzzy' line):\n  "
                      + "\n  ".join(fuzzy))
    assert not report, "\n".join(report)


def test_template_msgids_extracted_are_the_ones_looked_up(app, monkeypatch):
    """babel.cfg's Jinja options (newstyle, trimmed) must match the app's, or translations would never be found."""
    import flask_babel
    from babel.support import NullTranslations
    from flask import render_template_string
    from jinja2.ext import babel_extract

    source = (
        "{% trans name=who %}\n   Give this link to\n   <strong>{{ name }}</strong>, 100% once.\n{% endtrans %}"
        "{{ _('Open %(count)s requests', count=3) }}{{ ngettext('%(num)d field', '%(num)d fields', 2) }}"
        "{% trans %} 100% sure{% endtrans %}"
    )
    with (ROOT / "babel.cfg").open() as f:
        _method_map, options_map = parse_mapping_cfg(f)
    extracted = {
        message if isinstance(message, str) else message[0]
        for _line, _func, message, _comments in babel_extract(
            BytesIO(source.encode()), DEFAULT_KEYWORDS.keys(), [], options_map["app/templates/**.html"]
        )
    }
    looked_up = []

    class Recording(NullTranslations):
        def ugettext(self, message):
            looked_up.append(message)
            return message

        def ungettext(self, singular, plural, n):
            looked_up.append(singular)
            return singular if n == 1 else plural

    monkeypatch.setattr(flask_babel, "get_translations", Recording)
    with app.test_request_context():
        html = render_template_string(source, who="<Li>")
    assert set(looked_up) == extracted
    assert html == "Give this link to <strong>&lt;Li&gt;</strong>, 100% once.Open 3 requests2 fields100% sure"
