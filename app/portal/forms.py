"""Portal forms: filing a request, commenting, confirming and rating, contact details, setting a password."""
from __future__ import annotations

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
        "What is it?",
        choices=options([("", "— choose —")] + [(c.value, c.label) for c in Category]),
        validators=[DataRequired(message="Choose difficulty, problem or need.")],
    )
    topic_id = SelectField("Topic", coerce=int_or_none, validators=[InputRequired(message="Choose a topic.")])
    title = StringField("Title", filters=[strip], validators=[
        DataRequired(message="Give the request a short title."),
        Length(max=TITLE_MAX, message=f"Keep the title to {TITLE_MAX} characters or fewer."),
    ])
    description = TextAreaField("Description", filters=[strip], validators=[
        DataRequired(message="Describe what you need, where and since when."),
        Length(max=TEXT_MAX, message=f"Keep the description to {TEXT_MAX} characters or fewer."),
    ])
    attachments = MultipleFileField("Attachments (optional)", render_kw={"accept": ACCEPT})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topics = db.session.execute(select_active_topics()).all()
        self.topic_id.choices = options([(None, "— choose —")] + [
            (t.id, f"{t.name} ({t.name_zh})" if t.name_zh else t.name) for t in topics
        ])

    def validate_topic_id(self, field):
        if field.data is None:
            raise ValidationError("Choose a topic.")


def select_active_topics():
    return db.select(Topic.id, Topic.name, Topic.name_zh).where(Topic.active.is_(True)).order_by(Topic.name)


class CommentForm(FlaskForm):
    text = TextAreaField("Your comment", filters=[strip], validators=[
        DataRequired(message="Write your comment."),
        Length(max=TEXT_MAX, message=f"Keep the comment to {TEXT_MAX} characters or fewer."),
    ])


RATINGS = [(5, "5 · Very satisfied"), (4, "4 · Satisfied"), (3, "3 · Neutral"),
           (2, "2 · Unsatisfied — reopens the request"), (1, "1 · Very unsatisfied — reopens the request")]


class RateForm(VersionedForm):
    """Confirm the resolution and rate it (1 or 2 reopens the request)."""

    rating = SelectField("How satisfied are you with how it was resolved?", coerce=int_or_none,
                         choices=options([(None, "— choose —")] + RATINGS),
                         validators=[InputRequired(message="Choose a rating from 1 to 5.")])
    comment = TextAreaField("Comment (optional)", filters=[blank_to_none], validators=[
        Length(max=TEXT_MAX, message=f"Keep the comment to {TEXT_MAX} characters or fewer."),
    ])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, id_prefix="rate", **kwargs)

    def validate_rating(self, field):
        if field.data not in {1, 2, 3, 4, 5}:
            raise ValidationError("Choose a rating from 1 to 5.")


class ContactDetailsForm(FlaskForm):
    contact_name = StringField("Contact person", filters=[blank_to_none],
                               validators=[Length(max=120, message="Keep the name to 120 characters or fewer.")])
    contact_phone = StringField("Phone", filters=[blank_to_none],
                                validators=[Length(max=40, message="Keep the phone number to 40 characters or fewer.")])
    contact_email = EmailField("Email", filters=[blank_to_none], validators=[
        Optional(), Email(message="Enter an email address like name@example.com.", check_deliverability=False),
        Length(max=254),
    ])


class SetPasswordForm(FlaskForm):
    password = PasswordField("Choose a password", validators=[
        DataRequired(message="Choose a password."), Length(max=200),
    ], render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Type it again", validators=[
        DataRequired(message="Type the password again."),
        EqualTo("password", message="The two passwords are not the same."),
    ], render_kw={"autocomplete": "new-password"})
