"""The visit form."""
from __future__ import annotations

from flask_babel import LazyString, format_number, gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app import clock
from app.extensions import db
from app.forms import options, strip
from app.models import Enterprise, EnterpriseStatus, User
from app.params import MAX_ID
from app.services.visits import SUMMARY_MAX, VISITORS


def _id_or_none(value) -> int | None:
    """An id from the form, or None for anything else (the empty choice, junk, out of range)."""
    value = str(value).strip()
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_ID else None


def _summary_too_long() -> str:
    # Length applies "%" to its message: this one is already formatted and has no "%" left.
    return _("The summary is limited to %(max)s characters.", max=format_number(SUMMARY_MAX))


class VisitForm(FlaskForm):
    # The choices are checked in validate_* with messages that say what is wrong, not WTForms'
    # generic "Not a valid choice".
    enterprise_id = SelectField(_l("Enterprise"), coerce=_id_or_none, validate_choice=False,
                                validators=[InputRequired(message=_l("Choose the enterprise visited."))])
    visited_on = DateField(_l("Date of the visit"), validators=[InputRequired(message=_l("Give the date of the visit."))])
    officer_ids = SelectMultipleField(
        _l("Officers who made the visit"), validate_choice=False,
        validators=[InputRequired(message=_l("Choose at least one officer who made the visit."))],
    )
    summary = TextAreaField(
        _l("Summary"), filters=[strip],
        validators=[DataRequired(message=_l("Write a summary of the visit.")),
                    Length(max=SUMMARY_MAX, message=LazyString(_summary_too_long))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = db.session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.name_zh)
            .where(Enterprise.status != EnterpriseStatus.moved_out)
            .order_by(Enterprise.name, Enterprise.id)
        ).all()
        self.enterprise_id.choices = options(
            [(None, _("— choose —"))] + [(e.id, f"{e.name} {e.name_zh or ''}".strip()) for e in enterprises]
        )
        officers = db.session.execute(
            select(User.id, User.name).where(User.role.in_(VISITORS), User.active.is_(True)).order_by(User.name)
        ).all()
        self.officer_ids.choices = options((str(u.id), u.name) for u in officers)
        # Tall enough to show every officer without scrolling (a district has a handful).
        self.officer_ids.render_kw = {"size": min(max(len(officers), 4), 12)}
        self.visited_on.render_kw = {"max": clock.today().isoformat()}
        self.enterprise: Enterprise | None = None
        self.officers: list[User] = []

    def validate_enterprise_id(self, field):
        enterprise = db.session.get(Enterprise, field.data) if field.data else None
        if enterprise is None:
            raise ValidationError(_("Choose the enterprise visited."))
        if enterprise.status is EnterpriseStatus.moved_out:
            raise ValidationError(_("%(name)s has moved out; visits are logged only for enterprises in the district.",
                                    name=enterprise.name))
        self.enterprise = enterprise

    def validate_visited_on(self, field):
        today = clock.today()
        if field.data is not None and field.data > today:
            raise ValidationError(_("The visit date cannot be in the future (today is %(today)s).",
                                    today=today.isoformat()))

    def validate_officer_ids(self, field):
        if not field.data:
            raise ValidationError(_("Choose at least one officer who made the visit."))
        ids = {_id_or_none(v) for v in field.data} - {None}
        officers = list(db.session.scalars(
            select(User).where(User.id.in_(ids), User.role.in_(VISITORS), User.active.is_(True))
        )) if ids else []
        if len(officers) != len(set(field.data)):
            raise ValidationError(_("Choose officers from the list (active liaison officers and chiefs)."))
        self.officers = officers
