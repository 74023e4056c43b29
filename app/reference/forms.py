"""Forms for the reference lists and SLA policies."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.forms import blank_to_none, int_or_none, options, strip
from app.models import Category, Department, HandlingMode, Topic
from app.services.reference import (
    LIMIT_FIELDS,
    active_entries,
    duplicate_name_message,
    duplicate_scope_message,
    entry_named,
    limit_problems,
    mode_with_code,
    policy_for_scope,
)


class _EntryForm(FlaskForm):
    """Name checks shared by the three lists: the name must not clash with another entry's."""

    model: type = Topic

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._entry = entry

    def validate_name(self, field):
        other = entry_named(self.model, field.data or "", exclude=self._entry)
        if other is not None:
            raise ValidationError(duplicate_name_message(other))


class TopicForm(_EntryForm):
    model = Topic
    name = StringField(_l("Name (English)"), filters=[strip],
                       validators=[DataRequired(message=_l("Give a name.")), Length(max=80)])
    name_zh = StringField(_l("Name (Chinese)"), filters=[blank_to_none], validators=[Optional(), Length(max=80)])


class DepartmentForm(_EntryForm):
    model = Department
    name = StringField(_l("Name (English)"), filters=[strip],
                       validators=[DataRequired(message=_l("Give a name.")), Length(max=120)])
    name_zh = StringField(_l("Name (Chinese)"), filters=[blank_to_none], validators=[Optional(), Length(max=120)])


class HandlingModeForm(_EntryForm):
    """Add or rename a handling mode; the code is set once, when it is added."""

    model = HandlingMode
    code = StringField(
        _l("Code"),
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        validators=[
            DataRequired(message=_l("Give a short code.")),
            Length(max=32),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and single hyphens, e.g. “remote-call”.")),
        ],
    )
    name = StringField(_l("Name (English)"), filters=[strip],
                       validators=[DataRequired(message=_l("Give a name.")), Length(max=80)])
    name_zh = StringField(_l("Name (Chinese)"), filters=[blank_to_none], validators=[Optional(), Length(max=80)])
    staged = BooleanField(_l("Staged: long-running, with reply deadlines in days instead of the 5/15/30-minute clock"))

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, entry=entry, **kwargs)
        if entry is not None:
            del self.code  # fixed once added: code and data refer to it

    def validate_code(self, field):
        if mode_with_code(field.data or "") is not None:
            raise ValidationError(_l("The code “%(code)s” is already used by another handling mode.", code=field.data))


class ActiveForm(FlaskForm):
    """The state a deactivate/reactivate button asks for (not a toggle: a double click changes nothing twice)."""

    active = SelectField(choices=options([("0", _l("Inactive")), ("1", _l("Active"))]))


ENTRY_FORMS: dict[str, type[_EntryForm]] = {
    "topics": TopicForm,
    "handling-modes": HandlingModeForm,
    "departments": DepartmentForm,
}


class WholeNumberField(IntegerField):
    """An integer input whose parse error says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Give a whole number, like 15.")) from exc


_WHOLE_MINUTES = _l("Give a whole number of minutes.")
_WHOLE_DAYS = _l("Give a whole number of days.")


def _limit(label, message) -> WholeNumberField:
    return WholeNumberField(
        label, validators=[InputRequired(message=message)],
        render_kw={"min": 1, "step": 1, "inputmode": "numeric"},
    )


class PolicyLimitsForm(FlaskForm):
    """The six limits of a policy: 51530 minutes, and days for staged (tracked) handling."""

    respond_minutes = _limit(_l("Respond within (minutes)"), _WHOLE_MINUTES)
    on_site_minutes = _limit(_l("On site within (minutes)"), _WHOLE_MINUTES)
    solve_minutes = _limit(_l("Solved or plan given within (minutes)"), _WHOLE_MINUTES)
    staged_respond_days = _limit(_l("First reply within (days)"), _WHOLE_DAYS)
    staged_reply_days = _limit(_l("Staged reply within (days)"), _WHOLE_DAYS)
    staged_solve_days = _limit(_l("Solved or plan given within (days)"), _WHOLE_DAYS)

    def limits(self) -> dict[str, int | None]:
        return {name: getattr(self, name).data for name in LIMIT_FIELDS}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Ranges and order (respond ≤ on site ≤ solve) are the service's rules, shown per field.
        for name, message in limit_problems(self.limits()).items():
            field = getattr(self, name)
            if not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


class PolicyForm(PolicyLimitsForm):
    """A new policy: its scope (category and/or topic) and its limits."""

    category = SelectField(
        _l("Category"), choices=lambda: options([("", _l("Any category"))] + [(c.value, c.label) for c in Category])
    )
    topic_id = SelectField(_l("Topic"), coerce=int_or_none)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic_id.choices = options([(None, _l("Any topic"))] + [(t.id, t.name) for t in active_entries(Topic)])

    @property
    def scope_category(self) -> Category | None:
        return Category(self.category.data) if self.category.data else None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.category.errors or self.topic_id.errors:
            return False
        existing = policy_for_scope(self.scope_category, self.topic_id.data)
        if existing is not None:
            field = self.topic_id if self.topic_id.data else self.category
            field.errors = [*field.errors, duplicate_scope_message(existing)]
            return False
        return ok
