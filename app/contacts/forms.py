"""The officer's invitation form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.forms import blank_to_none, strip


class InvitationForm(FlaskForm):
    name = StringField("Name", filters=[strip], validators=[
        DataRequired(message="Give the contact's name."), Length(max=120, message="Keep the name to 120 characters or fewer."),
    ])
    email = EmailField("Email", filters=[strip], validators=[
        DataRequired(message="Give the contact's email: the invitation is for that address."),
        Email(message="Enter an email address like name@example.com.", check_deliverability=False), Length(max=254),
    ])
    phone = StringField("Phone (optional)", filters=[blank_to_none], validators=[
        Length(max=40, message="Keep the phone number to 40 characters or fewer."),
    ])
