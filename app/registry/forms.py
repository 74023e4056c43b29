"""Forms for buildings and enterprises."""
from __future__ import annotations

from app import clock

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
from app.uscc import USCCProblem, check, normalise


def officer_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(User.id, User.name)
        .where(User.role.in_([Role.officer, Role.chief]), User.active.is_(True))
        .order_by(User.name)
    )
    return [(r.id, r.name) for r in rows]


class BuildingForm(FlaskForm):
    name = StringField("Name (English)", filters=[strip], validators=[DataRequired(), Length(max=120)])
    name_zh = StringField("Name (Chinese)", filters=[blank_to_none], validators=[Optional(), Length(max=120)])
    address = StringField("Address", filters=[strip], validators=[DataRequired(), Length(max=255)])
    grid_id = SelectField("Grid", coerce=int_or_none, validators=[InputRequired(message="Choose a grid.")])
    gross_floor_area = DecimalField(
        "Gross floor area (m²)", places=2, validators=[Optional(), NumberRange(min=0, max=10_000_000, message="Must be an area in m², 0 or more.")]
    )
    office_area = DecimalField(
        "Office area (m²)",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message="Must be an area in m², 0 or more.")],
    )
    floors = IntegerField(
        "Floors", validators=[Optional(), NumberRange(min=0, max=300, message="Must be a whole number from 0 to 300.")]
    )
    officer_ids = SelectMultipleField("Liaison officers", coerce=int, validators=[Optional()])

    def __init__(self, *args, building: Building | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._building = building
        grids = db.session.execute(select(Grid.id, Grid.name).order_by(Grid.name)).all()
        self.grid_id.choices = options([(None, "— choose —")] + [(g.id, g.name) for g in grids])
        self.officer_ids.choices = options(officer_choices())

    def validate_grid_id(self, field):
        if field.data is None:
            raise ValidationError("Choose a grid.")

    def validate_name(self, field):
        stmt = select(Building.id).where(Building.name == field.data)
        if self._building is not None:
            stmt = stmt.where(Building.id != self._building.id)
        if db.session.scalar(stmt) is not None:
            raise ValidationError("Another building already has this name.")

    def validate_office_area(self, field):
        if field.data is not None and self.gross_floor_area.data is not None and field.data > self.gross_floor_area.data:
            raise ValidationError("Office area cannot exceed the gross floor area.")


class EnterpriseForm(FlaskForm):
    name = StringField("Legal name (English)", filters=[strip], validators=[DataRequired(), Length(max=200)])
    name_zh = StringField("Legal name (Chinese)", filters=[blank_to_none], validators=[Optional(), Length(max=200)])
    uscc = StringField(
        "USCC (统一社会信用代码)",
        filters=[lambda v: normalise(v) if isinstance(v, str) else v],
        validators=[DataRequired()],
    )
    uscc_override = BooleanField("Checksum override: this code is legal although its check character fails")
    industry = SelectField(
        "Industry (GB/T 4754)",
        choices=options([("", "— choose —")] + [(k, f"{k} · {v}") for k, v in INDUSTRIES.items()]),
        validators=[DataRequired(message="Choose an industry.")],
    )
    hq_type = SelectField(
        "Headquarters type", choices=options((t.value, t.label) for t in HQType), default=HQType.none.value
    )
    hq_recognised_on = DateField("HQ recognition date", validators=[Optional()])
    building_id = SelectField("Building", coerce=int_or_none, validators=[Optional()])
    unit = StringField("Floor / unit", filters=[blank_to_none], validators=[Optional(), Length(max=40)])
    registered_in_district = BooleanField("Registered in the district (tax follows the registered address)", default=True)
    employees = IntegerField(
        "Employees", validators=[Optional(), NumberRange(min=0, max=10_000_000, message="Must be a whole number, 0 or more.")]
    )
    moved_in_on = DateField("Moved in on", validators=[Optional()])
    key_tier = SelectField("Key tier", choices=options((t.value, t.label) for t in KeyTier), default=KeyTier.normal.value)
    officer_id = SelectField("Responsible officer", coerce=int_or_none, validators=[Optional()])
    status = SelectField(
        "Status",
        choices=options((s.value, s.label) for s in (EnterpriseStatus.active, EnterpriseStatus.at_risk)),
        default=EnterpriseStatus.active.value,
    )
    relocation_intent_on = DateField("Relocation intent recorded on", validators=[Optional()])
    relocation_intent_note = TextAreaField(
        "What the enterprise said, and where to",
        filters=[blank_to_none],
        validators=[Optional(), Length(max=2000)],
    )
    contact_name = StringField("Contact person", filters=[blank_to_none], validators=[Optional(), Length(max=120)])
    contact_phone = StringField("Contact phone", filters=[blank_to_none], validators=[Optional(), Length(max=40)])
    contact_email = EmailField(
        "Contact email",
        filters=[blank_to_none],
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )

    def __init__(self, *args, enterprise: Enterprise | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._enterprise = enterprise
        buildings = db.session.execute(select(Building.id, Building.name).order_by(Building.name)).all()
        self.building_id.choices = options([(None, "— none —")] + [(b.id, b.name) for b in buildings])
        self.officer_id.choices = options([(None, "— none —")] + officer_choices())
        self.uscc_flagged = False
        if enterprise is not None and enterprise.status is EnterpriseStatus.moved_out:
            # Only move-out sets this status and the form does not show the field: without this the
            # missing field fails as "not a valid choice" and a moved-out enterprise cannot be edited.
            moved_out = EnterpriseStatus.moved_out
            self.status.choices = options([(moved_out.value, moved_out.label)])
            self.status.data = moved_out.value

    def validate_uscc(self, field):
        result = check(field.data or "")
        if result.problem in (USCCProblem.length, USCCProblem.alphabet):
            raise ValidationError(f"This USCC {result.message}.")
        if result.problem is USCCProblem.checksum:
            if not self.uscc_override.data:
                raise ValidationError(
                    f"This USCC fails the GB 32100 check: {result.message}. "
                    "Check the code; if it is confirmed legal, tick “checksum override”."
                )
            self.uscc_flagged = True
        stmt = select(Enterprise.id, Enterprise.name).where(Enterprise.uscc == field.data)
        if self._enterprise is not None:
            stmt = stmt.where(Enterprise.id != self._enterprise.id)
        other = db.session.execute(stmt).first()
        if other is not None:
            raise ValidationError(f"This USCC is already registered to “{other.name}” (#{other.id}).")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Here rather than in validate_hq_recognised_on: Optional() ends that field's chain when empty.
        if self.hq_type.data != HQType.none.value and self.hq_recognised_on.data is None and not self.hq_recognised_on.errors:
            self.hq_recognised_on.errors = [*self.hq_recognised_on.errors, "A headquarters needs its recognition date."]
            ok = False
        # A relocation intent is the date and what was said, or nothing; the same Optional() reason.
        on, note = self.relocation_intent_on, self.relocation_intent_note
        if note.data and on.data is None and not on.errors:
            on.errors = [*on.errors, "Give the date the relocation intent was recorded, or clear the note."]
            ok = False
        if on.data is not None and not note.data and not note.errors:
            note.errors = [*note.errors, "Say what the enterprise said and where it means to go, or clear the date."]
            ok = False
        return ok

    def validate_hq_recognised_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("The recognition date cannot be in the future.")

    def validate_moved_in_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("The move-in date cannot be in the future.")

    def validate_relocation_intent_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("The relocation intent cannot be recorded on a future date.")


class MoveOutForm(FlaskForm):
    moved_out_on = DateField("Moved out on", validators=[InputRequired(message="Give the date it moved out.")])
    reason = TextAreaField(
        "Reason", filters=[strip], validators=[DataRequired(message="Say why it moved out."), Length(max=1000)]
    )

    def __init__(self, *args, enterprise: Enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self._enterprise = enterprise

    def validate_moved_out_on(self, field):
        if field.data > clock.today():
            raise ValidationError("The move-out date cannot be in the future.")
        if self._enterprise.moved_in_on and field.data < self._enterprise.moved_in_on:
            raise ValidationError(f"It moved in on {self._enterprise.moved_in_on}; it cannot move out before that.")
