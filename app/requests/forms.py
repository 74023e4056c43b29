"""Forms for taking a request and acting on one (each action form carries the request's version)."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from app.extensions import db
from app.forms import blank_to_none, int_or_none, options, strip
from app.models import (
    Category, Channel, Department, Enterprise, EnterpriseStatus, HandlingMode, Priority, Topic, Visit,
)
from app.params import MAX_ID
from app.registry.forms import officer_choices
from app.services.requests import Transition

TITLE_MAX = 200  # the column's length
TEXT_MAX = 5000

#: Staff take requests by phone, at the counter or during a visit; the portal channel is the enterprise's own.
STAFF_CHANNELS = (Channel.phone, Channel.walk_in, Channel.visit)


class RequestForm(FlaskForm):
    """A request taken by phone, at the counter or during a visit."""

    enterprise_id = SelectField(_l("Enterprise"), coerce=int_or_none,
                                validators=[InputRequired(message=_l("Choose the enterprise."))])
    # Callables, not lists: the labels are read in the language of each request.
    category = SelectField(
        _l("Category (three haves)"),
        choices=lambda: options([("", _("— choose —"))] + [(c.value, c.label) for c in Category]),
        validators=[DataRequired(message=_l("Choose difficulty, problem or need."))],
    )
    topic_id = SelectField(_l("Topic"), coerce=int_or_none, validators=[InputRequired(message=_l("Choose a topic."))])
    handling_mode_id = SelectField(_l("Handling mode (four handles)"), coerce=int_or_none,
                                   validators=[InputRequired(message=_l("Choose how it will be handled."))])
    channel = SelectField(_l("Channel"), choices=lambda: options((c.value, c.label) for c in STAFF_CHANNELS),
                          default=Channel.phone.value)
    priority = SelectField(_l("Priority"), choices=lambda: options((p.value, p.label) for p in Priority),
                           default=Priority.normal.value)
    # Length fills in %(max)d itself.
    title = StringField(_l("Title"), filters=[strip], validators=[
        DataRequired(message=_l("Give the request a short title.")),
        Length(max=TITLE_MAX, message=_l("Keep the title to %(max)d characters or fewer.")),
    ])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[
        DataRequired(message=_l("Describe what the enterprise needs.")),
        Length(max=TEXT_MAX, message=_l("Keep the description to %(max)d characters or fewer.")),
    ])
    assigned_officer_id = SelectField(_l("Assign to"), coerce=int_or_none, validators=[Optional()])
    visit_id = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = db.session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.uscc)
            .where(Enterprise.status != EnterpriseStatus.moved_out)
            .order_by(Enterprise.name)
        ).all()
        self.enterprise_id.choices = options(
            [(None, _("— choose —"))] + [(e.id, f"{e.name} · {e.uscc}") for e in enterprises]
        )
        topics = db.session.execute(select(Topic.id, Topic.name).where(Topic.active.is_(True)).order_by(Topic.name)).all()
        self.topic_id.choices = options([(None, _("— choose —"))] + [(t.id, t.name) for t in topics])
        modes = db.session.execute(
            select(HandlingMode.id, HandlingMode.name, HandlingMode.name_zh)
            .where(HandlingMode.active.is_(True)).order_by(HandlingMode.id)
        ).all()
        self.handling_mode_id.choices = options(
            [(None, _("— choose —"))] + [(m.id, f"{m.name} ({m.name_zh})" if m.name_zh else m.name) for m in modes]
        )
        self.assigned_officer_id.choices = options(
            [(None, _("The enterprise's responsible officer"))] + officer_choices()
        )
        self.visit: Visit | None = None

    def validate_enterprise_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose the enterprise."))

    def validate_topic_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose a topic."))

    def validate_handling_mode_id(self, field):
        if field.data is None:
            raise ValidationError(_("Choose how it will be handled."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Here, not in validate_visit_id: Optional() skips that, and the check needs the enterprise.
        if self.visit_id.errors:  # tampered with: the visit page links here with a valid id
            self.enterprise_id.errors = [
                *self.enterprise_id.errors,
                _("The visit this request was raised from is not valid; start again from the visit."),
            ]
        elif self.visit_id.data is not None:
            self.visit = db.session.get(Visit, self.visit_id.data)
            if self.visit is None:
                self.enterprise_id.errors = [*self.enterprise_id.errors,
                                             _("The visit this request was raised from no longer exists.")]
                ok = False
            elif self.enterprise_id.data is not None and self.visit.enterprise_id != self.enterprise_id.data:
                self.enterprise_id.errors = [
                    *self.enterprise_id.errors,
                    _("This request is raised from the visit of %(date)s to %(name)s; choose that enterprise.",
                      date=self.visit.visited_on.isoformat(), name=self.visit.enterprise.name),
                ]
                ok = False
        return ok


class VersionedForm(FlaskForm):
    """A form acting on one request: it carries the version of the request the page showed."""

    version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired(message=_l("This form is missing the request's version; reload the page and try again.")),
    ])

    def __init__(self, *args, id_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Several of these forms share a page: unique ids keep labels pointing at their own field,
        # while names stay plain ("note", "version") for the views.
        if id_prefix:
            for f in self:
                f.id = f"{id_prefix}-{f.name}"
                f.label.field_id = f.id


#: What the text of each transition is, when it asks for one.
NOTE_LABELS = {
    "give_plan": _l("The plan: what will be done, by whom and by when"),
    "resolve": _l("What was done"),
    "return": _l("Reason, and the right channel for it"),
    "confirm": _l("Enterprise's comment (optional)"),
}


class TransitionForm(VersionedForm):
    """One transition of the state machine, with its note (required where the transition needs one)."""

    note = TextAreaField(_l("Note (optional)"), filters=[blank_to_none], validators=[
        Length(max=TEXT_MAX, message=_l("Keep the note to %(max)d characters or fewer.")),
    ])

    def __init__(self, *args, transition: Transition, **kwargs):
        super().__init__(*args, id_prefix=transition.name, **kwargs)
        self.transition = transition
        self.note.label.text = NOTE_LABELS.get(transition.name, _("Note (optional)"))
        if transition.needs_text:
            # A new list: the validators given in the class are shared by every instance.
            self.note.validators = [DataRequired(message=_("“%(action)s” needs this note.", action=transition.label)),
                                    *self.note.validators]
            self.note.flags.required = True


RATINGS = [(5, _l("5 · Very satisfied")), (4, _l("4 · Satisfied")), (3, _l("3 · Neutral")),
           (2, _l("2 · Unsatisfied (reopens it)")), (1, _l("1 · Very unsatisfied (reopens it)"))]


class ConfirmForm(TransitionForm):
    """The enterprise's confirmation and rating (an officer records it when given by phone)."""

    rating = SelectField(_l("Rating"), coerce=int_or_none, choices=options([(None, _l("— choose —"))] + RATINGS),
                         validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))])

    def validate_rating(self, field):
        if field.data is None:
            raise ValidationError(_("Choose a rating from 1 to 5."))


def transition_form(transition: Transition, **kwargs) -> TransitionForm:
    return (ConfirmForm if transition.name == "confirm" else TransitionForm)(transition=transition, **kwargs)


class NoteForm(VersionedForm):
    text = TextAreaField(_l("Note"), filters=[strip], validators=[
        DataRequired(message=_l("Write the note.")),
        Length(max=TEXT_MAX, message=_l("Keep the note to %(max)d characters or fewer.")),
    ])
    internal = BooleanField(_l("Internal: staff only, never shown to the enterprise"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, id_prefix="note", **kwargs)


class DispatchForm(VersionedForm):
    departments = SelectMultipleField(_l("Departments"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one department.")),
    ])
    note = TextAreaField(_l("Instructions (optional)"), filters=[blank_to_none], validators=[
        Length(max=1000, message=_l("Keep the instructions to %(max)d characters or fewer.")),
    ])

    def __init__(self, *args, exclude: list[int] | None = None, **kwargs):
        super().__init__(*args, id_prefix="dispatch", **kwargs)
        rows = db.session.execute(
            select(Department.id, Department.name, Department.name_zh)
            .where(Department.active.is_(True), Department.id.not_in(exclude or []))
            .order_by(Department.name)
        ).all()
        self.departments.choices = options((d.id, f"{d.name} {d.name_zh or ''}".strip()) for d in rows)


class EscalateForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[
        DataRequired(message=_l("Say why the request is escalated.")),
        Length(max=2000, message=_l("Keep the reason to %(max)d characters or fewer.")),
    ])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, id_prefix="escalate", **kwargs)
