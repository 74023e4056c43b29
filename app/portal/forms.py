"""Portal forms: filing a request, commenting, confirming and rating, contact details, setting a password."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, MultipleFileField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from app.extensions import db
from app.forms import blank_to_none, int_or_none, options, strip
from app.models import Category, Topic
from app.requests.forms import TEXT_MAX, TITLE_MAX, VersionedForm
from app.services.attachments import ACCEPT


class PortalRequestForm(FlaskForm):
    """A request filed by the enterprise itself."""

    category = SelectField(
        _l("What is it?"),
        choices=lambda: options([("", _l("— choose —"))] + [(c.value, c.label) for c in Category]),
        validators=[DataRequired(message=_l("Choose difficulty, problem or need."))],
    )
    topic_id = SelectField(_l("Topic"), coerce=int_or_none, validators=[InputRequired(message=_l("Choose a topic."))])
    title = StringField(_l("Title"), filters=[strip], validators=[
        DataRequired(message=_l("Give the request a short title.")),
        Length(max=TITLE_MAX, message=_l("Keep the title to %(max)d characters or fewer.", max=TITLE_MAX)),
    ])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[
        DataRequired(message=_l("Describe what you need, where and since when.")),
        Length(max=TEXT_MAX, message=_l("Keep the description to %(max)d characters or fewer.", max=TEXT_MAX)),
    ])
    attachments = MultipleFileField(_l("Attachments (optional)"), render_kw={"accept": ACCEPT})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topics = db.session.execute(select_active_topics()).all()
        self.topic_id.choices = options([(None, _l("— choose —"))] + [
            (t.id, f"{t.name} ({t.name_zh})" if t.name_zh else t.name) for t in topics
        ])

    def validate_topic_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose a topic."))


def select_active_topics():
    return db.select(Topic.id, Topic.name, Topic.name_zh).where(Topic.active.is_(True)).order_by(Topic.name)


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Your comment"), filters=[strip], validators=[
        DataRequired(message=_l("Write your comment.")),
        Length(max=TEXT_MAX, message=_l("Keep the comment to %(max)d characters or fewer.", max=TEXT_MAX)),
    ])


RATINGS = [(5, _l("5 · Very satisfied")), (4, _l("4 · Satisfied")), (3, _l("3 · Neutral")),
           (2, _l("2 · Unsatisfied — reopens the request")), (1, _l("1 · Very unsatisfied — reopens the request"))]


class RateForm(VersionedForm):
    """Confirm the resolution and rate it (1 or 2 reopens the request)."""

    rating = SelectField(_l("How satisfied are you with how it was resolved?"), coerce=int_or_none,
                         choices=options([(None, _l("— choose —"))] + RATINGS),
                         validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))])
    comment = TextAreaField(_l("Comment (optional)"), filters=[blank_to_none], validators=[
        Length(max=TEXT_MAX, message=_l("Keep the comment to %(max)d characters or fewer.", max=TEXT_MAX)),
    ])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, id_prefix="rate", **kwargs)

    def validate_rating(self, field):
        if field.data not in {1, 2, 3, 4, 5}:
            raise ValidationError(_l("Choose a rating from 1 to 5."))


class ContactDetailsForm(FlaskForm):
    contact_name = StringField(_l("Contact person"), filters=[blank_to_none], validators=[
        Length(max=120, message=_l("Keep the name to %(max)d characters or fewer.", max=120))])
    contact_phone = StringField(_l("Phone"), filters=[blank_to_none], validators=[
        Length(max=40, message=_l("Keep the phone number to %(max)d characters or fewer.", max=40))])
    contact_email = EmailField(_l("Email"), filters=[blank_to_none], validators=[
        Optional(), Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
        Length(max=254),
    ])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("Choose a password"), validators=[
        DataRequired(message=_l("Choose a password.")), Length(max=200),
    ], render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Type it again"), validators=[
        DataRequired(message=_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same.")),
    ], render_kw={"autocomplete": "new-password"})
