"""Forms for user administration."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.extensions import db
from app.models import Enterprise, Role
from app.models.user import find_user_by_email
from app.forms import blank_to_none, options, strip
from app.services.users import MIN_PASSWORD_LENGTH, UserError, check_password_policy
from app.uscc import normalise

def role_choices() -> list[tuple[str, str]]:
    """The roles with their labels in the reader's language (read per request, not at import)."""
    return [(r.value, r.label) for r in Role]


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), filters=[blank_to_none], validators=[Optional(), Length(max=40)])
    role = SelectField(_l("Role"), choices=lambda: options(role_choices()), default=Role.officer.value)
    enterprise_uscc = StringField(
        _l("Enterprise USCC (enterprise contacts only)"),
        filters=[lambda v: normalise(v) if isinstance(v, str) else v],
        validators=[Optional(), Length(max=18)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(
            min=MIN_PASSWORD_LENGTH, max=200, message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))]
    )
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])

    def validate_email(self, field):
        if find_user_by_email(field.data) is not None:
            raise ValidationError(_l("An account with this email already exists."))

    def validate_password(self, field):
        try:
            check_password_policy(field.data, email=self.email.data)
        except UserError as exc:
            raise ValidationError(str(exc)) from exc

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise: Enterprise | None = None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Here, not in validate_enterprise_uscc: Optional() skips that when the field is empty.
        field = self.enterprise_uscc
        if field.errors:
            return False
        if self.role.data == Role.enterprise.value:
            if not field.data:
                field.errors = [_l("An enterprise contact needs the USCC of its enterprise.")]
                return False
            self.enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == field.data))
            if self.enterprise is None:
                field.errors = [_l("No enterprise has this USCC.")]
                return False
        elif field.data:
            field.errors = [_l("Only enterprise contacts belong to an enterprise; leave this empty.")]
            return False
        return ok


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=lambda: options(c for c in role_choices() if c[0] != Role.enterprise.value))
