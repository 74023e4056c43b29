"""The upload form of a web import."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired, ValidationError

from app.forms import options
from app.models import ImportKind
from app.services import attachments

KIND_LABELS = {kind: kind.label for kind in ImportKind}  # lazy: "Monthly tax records", "Enterprises"
SUFFIXES = ("xlsx", "csv")


def size_text(n: int) -> str:
    """A file size for people: 50 MB, 1.5 MB, 12 KB, 800 bytes."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return ngettext("%(num)d byte", "%(num)d bytes", n)


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("What the file holds"),
        choices=options([(k.value, label) for k, label in KIND_LABELS.items()]),
        validators=[DataRequired(message=_l("Choose tax records or enterprises."))],
    )
    file = FileField(_l("File"), render_kw={"accept": ".xlsx,.csv"}, validators=[
        FileRequired(message=_l("Choose the .xlsx or .csv file to import.")),
        FileAllowed(SUFFIXES, message=_l("Upload an .xlsx or a .csv file (an old .xls workbook: open it in Excel "
                                         "and save it as .xlsx).")),
    ])

    def validate_file(self, field):
        """Refuse an empty or oversized file, or one whose content is not what its name says, before queueing it."""
        storage = field.data
        name = attachments.display_name(storage.filename)
        stream = storage.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        limit = current_app.config["MAX_IMPORT_BYTES"]
        if size == 0:
            raise ValidationError(_("“%(name)s” is empty: it has no header row and no data.", name=name))
        if size > limit:
            raise ValidationError(_(
                "“%(name)s” is %(size)s, more than the %(limit)s an import may be; split it into smaller files "
                "(for example one per month) and import them one after another.",
                name=name, size=size_text(size), limit=size_text(limit),
            ))
        content = attachments.sniff(stream)
        if name.lower().endswith(".xlsx") and content is not attachments.XLSX:
            raise ValidationError(_("“%(name)s” is not a real .xlsx workbook; save it from Excel as .xlsx "
                                    "(Excel Workbook) and upload it again.", name=name))
        if name.lower().endswith(".csv") and content is not None:
            with force_locale("en"):  # English grammar: "a PDF", "an Excel workbook"
                vowel = str(content.label)[0] in "AEIOU"
            if vowel:
                raise ValidationError(_("“%(name)s” is named .csv but is an %(type)s, not text; save the sheet as "
                                        "CSV UTF-8, or upload the workbook as .xlsx.", name=name, type=content.label))
            raise ValidationError(_("“%(name)s” is named .csv but is a %(type)s, not text; save the sheet as "
                                    "CSV UTF-8, or upload the workbook as .xlsx.", name=name, type=content.label))
