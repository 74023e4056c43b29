"""Login form, and the empty form that carries CSRF for POST-only buttons."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, Length


class LoginForm(FlaskForm):
    # Labels are lazy (_l): the class is built at import, the label is read in the user's language.
    # The validators' own messages come translated from WTForms' bundled catalogues (Flask-WTF).
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class ConfirmForm(FlaskForm):
    """No fields: a POST-only button still carries a CSRF token."""
