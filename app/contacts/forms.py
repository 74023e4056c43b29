"""The officer's invitation form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.forms import blank_to_none, strip


class InvitationForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[
        DataRequired(message=_l("Give the contact's name.")),
        Length(max=120, message=_l("Keep the name to %(max)d characters or fewer.", max=120)),
    ])
    email = EmailField(_l("Email"), filters=[strip], validators=[
        DataRequired(message=_l("Give the contact's email: the invitation is for that address.")),
        Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False), Length(max=254),
    ])
    phone = StringField(_l("Phone (optional)"), filters=[blank_to_none], validators=[
        Length(max=40, message=_l("Keep the phone number to %(max)d characters or fewer.", max=40)),
    ])
