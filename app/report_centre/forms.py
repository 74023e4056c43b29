"""The report centre's form: which report, for which month."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from app.forms import options, strip
from app.models import ReportKind
from app.reports import Period, PeriodError
from app.services.reports import check_period, current_month


class ReportForm(FlaskForm):
    # Checked in validate_kind with a message that says what to do, not WTForms' "Not a valid choice".
    kind = SelectField(_l("Report"), validate_choice=False, default=ReportKind.pack.value,
                       choices=options((k.value, k.label) for k in ReportKind),
                       validators=[InputRequired(message=_l("Choose a report."))])
    # A month picker where the browser has one; elsewhere a text box that takes YYYY-MM.
    month = StringField(_l("Month"), filters=[strip],
                        validators=[InputRequired(message=_l("Choose the month to report on."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.month.render_kw = {"type": "month", "max": current_month(), "placeholder": "YYYY-MM",
                                "pattern": r"\d{4}-\d{2}"}
        self.period: Period | None = None

    def validate_kind(self, field):
        if field.data not in {k.value for k in ReportKind}:
            raise ValidationError(_l("Choose one of the reports in the list."))

    def validate_month(self, field):
        try:
            self.period = check_period(field.data)
        except PeriodError as exc:
            raise ValidationError(str(exc)) from exc
