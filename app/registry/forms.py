"""Forms for buildings and enterprises."""
from __future__ import annotations

from app import clock

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.extensions import db
from app.forms import DecimalField, blank_to_none, int_or_none, options, strip
from app.models import INDUSTRIES, Building, Enterprise, EnterpriseStatus, Grid, HQType, KeyTier, Role, User
from app.uscc import ALPHABET, USCCProblem, check, check_character, normalise


def officer_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(User.id, User.name)
        .where(User.role.in_([Role.officer, Role.chief]), User.active.is_(True))
        .order_by(User.name)
    )
    return [(r.id, r.name) for r in rows]


class BuildingForm(FlaskForm):
    name = StringField(_l("Name (English)"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name (Chinese)"), filters=[blank_to_none], validators=[Optional(), Length(max=120)])
    address = StringField(_l("Address"), filters=[strip], validators=[DataRequired(), Length(max=255)])
    grid_id = SelectField(_l("Grid"), coerce=int_or_none, validators=[InputRequired(message=_l("Choose a grid."))])
    gross_floor_area = DecimalField(
        _l("Gross floor area (m²)"), places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l("Must be an area in m², 0 or more."))],
    )
    office_area = DecimalField(
        _l("Office area (m²)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l("Must be an area in m², 0 or more."))],
    )
    floors = IntegerField(
        _l("Floors"),
        validators=[Optional(), NumberRange(min=0, max=300, message=_l("Must be a whole number from 0 to 300."))],
    )
    officer_ids = SelectMultipleField(_l("Liaison officers"), coerce=int, validators=[Optional()])

    def __init__(self, *args, building: Building | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._building = building
        grids = db.session.execute(select(Grid.id, Grid.name).order_by(Grid.name)).all()
        self.grid_id.choices = options([(None, _("— choose —"))] + [(g.id, g.name) for g in grids])
        self.officer_ids.choices = options(officer_choices())

    def validate_grid_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose a grid."))

    def validate_name(self, field):
        stmt = select(Building.id).where(Building.name == field.data)
        if self._building is not None:
            stmt = stmt.where(Building.id != self._building.id)
        if db.session.scalar(stmt) is not None:
            raise ValidationError(_("Another building already has this name."))

    def validate_office_area(self, field):
        if field.data is not None and self.gross_floor_area.data is not None and field.data > self.gross_floor_area.data:
            raise ValidationError(_("Office area cannot exceed the gross floor area."))


def _industry_choices():
    """Called by each form (WTForms calls a callable), so the names are in the reader's language."""
    return options([("", _("— choose —"))] + [(k, f"{k} · {v}") for k, v in INDUSTRIES.items()])


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Legal name (English)"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_zh = StringField(_l("Legal name (Chinese)"), filters=[blank_to_none], validators=[Optional(), Length(max=200)])
    uscc = StringField(
        _l("USCC (统一社会信用代码)"),
        filters=[lambda v: normalise(v) if isinstance(v, str) else v],
        validators=[DataRequired()],
    )
    uscc_override = BooleanField(_l("Checksum override: this code is legal although its check character fails"))
    # Callables, not lists: the labels are read in the language of each request.
    industry = SelectField(
        _l("Industry (GB/T 4754)"),
        choices=_industry_choices,
        validators=[DataRequired(message=_l("Choose an industry."))],
    )
    hq_type = SelectField(
        _l("Headquarters type"), choices=lambda: options((t.value, t.label) for t in HQType), default=HQType.none.value
    )
    hq_recognised_on = DateField(_l("HQ recognition date"), validators=[Optional()])
    building_id = SelectField(_l("Building"), coerce=int_or_none, validators=[Optional()])
    unit = StringField(_l("Floor / unit"), filters=[blank_to_none], validators=[Optional(), Length(max=40)])
    registered_in_district = BooleanField(_l("Registered in the district (tax follows the registered address)"),
                                          default=True)
    employees = IntegerField(
        _l("Employees"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l("Must be a whole number, 0 or more."))],
    )
    moved_in_on = DateField(_l("Moved in on"), validators=[Optional()])
    key_tier = SelectField(_l("Key tier"), choices=lambda: options((t.value, t.label) for t in KeyTier),
                           default=KeyTier.normal.value)
    officer_id = SelectField(_l("Responsible officer"), coerce=int_or_none, validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=lambda: options((s.value, s.label) for s in (EnterpriseStatus.active, EnterpriseStatus.at_risk)),
        default=EnterpriseStatus.active.value,
    )
    relocation_intent_on = DateField(_l("Relocation intent recorded on"), validators=[Optional()])
    relocation_intent_note = TextAreaField(
        _l("What the enterprise said, and where to"),
        filters=[blank_to_none],
        validators=[Optional(), Length(max=2000)],
    )
    contact_name = StringField(_l("Contact person"), filters=[blank_to_none], validators=[Optional(), Length(max=120)])
    contact_phone = StringField(_l("Contact phone"), filters=[blank_to_none], validators=[Optional(), Length(max=40)])
    contact_email = EmailField(
        _l("Contact email"),
        filters=[blank_to_none],
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )

    def __init__(self, *args, enterprise: Enterprise | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._enterprise = enterprise
        buildings = db.session.execute(select(Building.id, Building.name).order_by(Building.name)).all()
        self.building_id.choices = options([(None, _("— none —"))] + [(b.id, b.name) for b in buildings])
        self.officer_id.choices = options([(None, _("— none —"))] + officer_choices())
        self.uscc_flagged = False
        if enterprise is not None and enterprise.status is EnterpriseStatus.moved_out:
            # Only move-out sets this status and the form does not show the field: without this the
            # missing field fails as "not a valid choice" and a moved-out enterprise cannot be edited.
            moved_out = EnterpriseStatus.moved_out
            self.status.choices = options([(moved_out.value, moved_out.label)])
            self.status.data = moved_out.value

    def validate_uscc(self, field):
        code = field.data or ""
        result = check(code)
        # Worded here rather than with result.message (app.uscc is English only) so it is translated.
        if result.problem is USCCProblem.length:
            raise ValidationError(_("This USCC must be 18 characters, not %(n)s.", n=len(code)))
        if result.problem is USCCProblem.alphabet:
            bad = " ".join(sorted({ch for ch in code if ch not in ALPHABET}))
            raise ValidationError(_("This USCC contains characters not allowed in a USCC: %(chars)s "
                                    "(I, O, S, V, Z are never used).", chars=bad))
        if result.problem is USCCProblem.checksum:
            if not self.uscc_override.data:
                raise ValidationError(_(
                    "This USCC fails the GB 32100 check: check character is %(found)s, expected %(expected)s. "
                    "Check the code; if it is confirmed legal, tick “checksum override”.",
                    found=code[17], expected=check_character(code[:17]),
                ))
            self.uscc_flagged = True
        stmt = select(Enterprise.id, Enterprise.name).where(Enterprise.uscc == field.data)
        if self._enterprise is not None:
            stmt = stmt.where(Enterprise.id != self._enterprise.id)
        other = db.session.execute(stmt).first()
        if other is not None:
            raise ValidationError(_("This USCC is already registered to “%(name)s” (#%(id)s).",
                                    name=other.name, id=other.id))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Here rather than in validate_hq_recognised_on: Optional() ends that field's chain when empty.
        if self.hq_type.data != HQType.none.value and self.hq_recognised_on.data is None and not self.hq_recognised_on.errors:
            self.hq_recognised_on.errors = [*self.hq_recognised_on.errors,
                                            _("A headquarters needs its recognition date.")]
            ok = False
        # A relocation intent is the date and what was said, or nothing; the same Optional() reason.
        on, note = self.relocation_intent_on, self.relocation_intent_note
        if note.data and on.data is None and not on.errors:
            on.errors = [*on.errors, _("Give the date the relocation intent was recorded, or clear the note.")]
            ok = False
        if on.data is not None and not note.data and not note.errors:
            note.errors = [*note.errors, _("Say what the enterprise said and where it means to go, or clear the date.")]
            ok = False
        return ok

    def validate_hq_recognised_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_("The recognition date cannot be in the future."))

    def validate_moved_in_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_("The move-in date cannot be in the future."))

    def validate_relocation_intent_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(_("The relocation intent cannot be recorded on a future date."))


class MoveOutForm(FlaskForm):
    moved_out_on = DateField(_l("Moved out on"), validators=[InputRequired(message=_l("Give the date it moved out."))])
    reason = TextAreaField(
        _l("Reason"), filters=[strip], validators=[DataRequired(message=_l("Say why it moved out.")), Length(max=1000)]
    )

    def __init__(self, *args, enterprise: Enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self._enterprise = enterprise

    def validate_moved_out_on(self, field):
        if field.data > clock.today():
            raise ValidationError(_("The move-out date cannot be in the future."))
        if self._enterprise.moved_in_on and field.data < self._enterprise.moved_in_on:
            raise ValidationError(_("It moved in on %(date)s; it cannot move out before that.",
                                    date=self._enterprise.moved_in_on.isoformat()))
