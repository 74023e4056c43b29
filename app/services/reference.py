"""Writes to the reference lists: topics, handling modes, departments and SLA policies.

Entries of the three lists are never deleted (requests refer to them): they are deactivated,
and inactive entries are not offered for new requests. SLA policies apply when a request is
created (its milestones keep their due times), so editing or deleting one changes only
requests created afterwards. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.services import flush_unique
from app.models import (
    Category,
    Department,
    HandlingMode,
    ServiceRequest,
    SLAPolicy,
    Topic,
)
from app.models.reference import scope_key
from app.models.request import request_departments

#: Bounds of the editable limits: generous, but no typo can make a clock run for years.
MAX_MINUTES = 43_200  # 30 days
MAX_DAYS = 365
MINUTE_FIELDS = ("respond_minutes", "on_site_minutes", "solve_minutes")
DAY_FIELDS = ("staged_respond_days", "staged_reply_days", "staged_solve_days")
LIMIT_FIELDS = MINUTE_FIELDS + DAY_FIELDS
DEFAULT_SCOPE = scope_key(None, None)

Entry = Topic | HandlingMode | Department


class ReferenceListError(ValueError):
    """A rule of the reference lists was broken; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ListKind:
    """One of the three editable lists, as the screens and services see it."""

    slug: str
    model: type[Entry]
    noun: str  # lazy: in the reader's language
    plural: str
    #: Must at least one entry stay active for requests to be filed at all?
    keep_one_active: bool


LIST_KINDS: dict[str, ListKind] = {
    k.slug: k
    for k in (
        ListKind("topics", Topic, _l("topic"), _l("Topics"), keep_one_active=True),
        ListKind("handling-modes", HandlingMode, _l("handling mode"), _l("Handling modes"), keep_one_active=True),
        ListKind("departments", Department, _l("department"), _l("Departments"), keep_one_active=False),
    )
}


def kind_of(entry: Entry) -> ListKind:
    return next(k for k in LIST_KINDS.values() if isinstance(entry, k.model))


# --- reading -------------------------------------------------------------------------------


def active_entries(model: type[Entry]) -> list[Entry]:
    """The active entries of a list, in the order they were added: what new requests may choose from."""
    return list(db.session.scalars(select(model).where(model.active.is_(True)).order_by(model.id)))


def entries(kind: ListKind) -> list[Entry]:
    """A whole list for the admin screen: active entries first, each group in the order they were added."""
    model = kind.model
    return list(db.session.scalars(select(model).order_by(model.active.desc(), model.id)))


def usage_counts(kind: ListKind) -> dict[int, int]:
    """Entry id -> how many requests refer to it (why entries are deactivated, never deleted)."""
    if kind.model is Department:
        column = request_departments.c.department_id
    else:
        column = ServiceRequest.topic_id if kind.model is Topic else ServiceRequest.handling_mode_id
    return dict(db.session.execute(select(column, func.count()).group_by(column)).all())


def entry_named(model: type[Entry], name: str, *, exclude: Entry | None = None) -> Entry | None:
    """Another entry of the list with this name, ignoring case and surrounding spaces."""
    stmt = select(model).where(func.lower(model.name) == name.strip().lower())
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(model.id != exclude.id)
    return db.session.scalars(stmt).first()


def mode_with_code(code: str, *, exclude: HandlingMode | None = None) -> HandlingMode | None:
    stmt = select(HandlingMode).where(func.lower(HandlingMode.code) == code.strip().lower())
    if exclude is not None and exclude.id is not None:
        stmt = stmt.where(HandlingMode.id != exclude.id)
    return db.session.scalars(stmt).first()


def policy_scope_key(category: Category | None, topic_id: int | None) -> str:
    """The unique key of a policy's scope: "category:topic_id", "*" standing for any."""
    return scope_key(category, topic_id)


def policy_for_scope(category: Category | None, topic_id: int | None) -> SLAPolicy | None:
    """The policy with exactly this scope, if there is one."""
    return db.session.scalar(select(SLAPolicy).where(SLAPolicy.scope_key == policy_scope_key(category, topic_id)))


def default_policy() -> SLAPolicy | None:
    """The policy for every request no narrower policy covers (51530 unless edited)."""
    return db.session.scalar(select(SLAPolicy).where(SLAPolicy.scope_key == DEFAULT_SCOPE))


def scope_kind(policy: SLAPolicy) -> str:
    """Default, category, topic or category + topic (English: also the sort key; SCOPE_KINDS translates it)."""
    if policy.category and policy.topic_id:
        return "Category + topic"
    if policy.category:
        return "Category"
    if policy.topic_id:
        return "Topic"
    return "Default"


SCOPE_KINDS = {"Default": _l("Default"), "Category": _l("Category"), "Topic": _l("Topic"),
               "Category + topic": _l("Category + topic")}


def scope_text(policy: SLAPolicy) -> str:
    """What a policy covers, in the reader's language: "Problem (问题) · Fire safety", or the default."""
    parts = [str(policy.category.label) if policy.category else None, policy.topic.name if policy.topic else None]
    return " · ".join(p for p in parts if p) or _("Default (all requests)")


def policies() -> list[SLAPolicy]:
    """Every SLA policy, the default first, then from the broadest scope to the most specific."""
    rows = db.session.scalars(select(SLAPolicy).options(joinedload(SLAPolicy.topic))).all()
    order = {"Default": 0, "Category": 1, "Topic": 2, "Category + topic": 3}
    categories = list(Category)
    return sorted(
        rows,
        key=lambda p: (order[scope_kind(p)], categories.index(p.category) if p.category else -1,
                       p.topic.name if p.topic else ""),
    )


def limit_problems(limits: dict[str, int | None]) -> dict[str, str]:
    """Field -> message for limits that are missing, out of range, or out of order.

    Both groups must run respond ≤ on site ≤ solve (the database checks the same), so a form
    shows these messages before the database ever refuses the row.
    """
    problems: dict[str, str] = {}
    for fields, minutes, top in ((MINUTE_FIELDS, True, MAX_MINUTES), (DAY_FIELDS, False, MAX_DAYS)):
        for name in fields:
            value = limits.get(name)
            if value is None:
                problems[name] = _("Give a whole number of minutes.") if minutes else _("Give a whole number of days.")
            elif not 1 <= value <= top:
                most = format(top, ",")
                problems[name] = (_("Must be a whole number of minutes from 1 to %(top)s.", top=most) if minutes
                                  else _("Must be a whole number of days from 1 to %(top)s.", top=most))
        for earlier, later in pairwise(fields):
            a, b = limits.get(earlier), limits.get(later)
            if earlier in problems or later in problems or a is None or b is None:
                continue
            if b < a:
                problems[later] = (
                    _("Must be at least %(limit)s (%(value)d minutes).", limit=_LIMIT_LABELS[earlier], value=a)
                    if minutes else
                    _("Must be at least %(limit)s (%(value)d days).", limit=_LIMIT_LABELS[earlier], value=a)
                )
    return problems


_LIMIT_LABELS = {
    "respond_minutes": _l("the respond limit"),
    "on_site_minutes": _l("the on-site limit"),
    "solve_minutes": _l("the solve limit"),
    "staged_respond_days": _l("the first-reply limit"),
    "staged_reply_days": _l("the staged-reply limit"),
    "staged_solve_days": _l("the solve limit"),
}


# --- the three lists -----------------------------------------------------------------------


def _check_name(model: type[Entry], entry: Entry | None, name: str) -> None:
    if not name or not name.strip():
        raise ReferenceListError(_("Give a name."), "name")
    other = entry_named(model, name, exclude=entry)
    if other is not None:
        raise ReferenceListError(duplicate_name_message(other), "name")


def duplicate_name_message(other: Entry) -> str:
    kind = kind_of(other)
    if other.active:
        return _("There is already a %(noun)s called “%(name)s”.", noun=kind.noun, name=other.name)
    return _("There is already a %(noun)s called “%(name)s” (inactive: reactivate it instead).",
             noun=kind.noun, name=other.name)


def save_entry(model: type[Entry], entry: Entry | None, *, name: str, name_zh: str | None,
               code: str | None = None, staged: bool | None = None) -> Entry:
    """Add (entry=None) or rename a topic, handling mode or department.

    A handling mode's code is set when it is added and never changes (code refers to it);
    its `staged` flag may change and applies to requests created afterwards.
    """
    _check_name(model, entry, name)
    if entry is None:
        entry = model(active=True)
        if model is HandlingMode:
            if not code:
                raise ReferenceListError(_("Give a short code."), "code")
            if mode_with_code(code) is not None:
                raise ReferenceListError(_("The code “%(code)s” is already used by another handling mode.", code=code),
                                         "code")
            entry.code = code
        db.session.add(entry)
    entry.name = name.strip()
    entry.name_zh = name_zh.strip() if name_zh and name_zh.strip() else None
    if model is HandlingMode and staged is not None:
        entry.staged = staged
    if model is HandlingMode:  # only its code is unique in the database
        flush_unique(ReferenceListError(_("Another handling mode has just been added with this code."), "code"))
    else:
        flush_unique(ReferenceListError(_("Another %(noun)s has just been given this name.", noun=kind_of(entry).noun),
                                        "name"))
    return entry


def set_entry_active(entry: Entry, active: bool) -> None:
    """Deactivate an entry (no longer offered for new requests; existing requests keep it) or reactivate it."""
    kind = kind_of(entry)
    if entry.active == active:
        raise ReferenceListError(_("“%(name)s” is already active.", name=entry.name) if active
                                 else _("“%(name)s” is already inactive.", name=entry.name))
    if not active and kind.keep_one_active:
        others = db.session.scalar(
            select(func.count()).select_from(kind.model).where(kind.model.active.is_(True), kind.model.id != entry.id)
        )
        if not others:
            raise ReferenceListError(_(
                "“%(name)s” is the last active %(noun)s: new requests need at least one. "
                "Add or reactivate another %(noun)s first.", name=entry.name, noun=kind.noun,
            ))
    entry.active = active
    db.session.flush()


# --- SLA policies --------------------------------------------------------------------------


def _apply_limits(policy: SLAPolicy, limits: dict[str, int | None]) -> None:
    problems = limit_problems(limits)
    if problems:
        field, message = next(iter(problems.items()))
        raise ReferenceListError(message, field)
    for name in LIMIT_FIELDS:
        setattr(policy, name, limits[name])


def duplicate_scope_message(existing: SLAPolicy) -> str:
    return _("There is already a policy for this scope: “%(scope)s” (policy #%(id)d). Edit that one instead.",
             scope=scope_text(existing), id=existing.id)


def add_policy(category: Category | None, topic: Topic | None, limits: dict[str, int | None]) -> SLAPolicy:
    """Add a policy for a category and/or topic; it applies to requests created from now on."""
    key = policy_scope_key(category, topic.id if topic else None)
    field = "topic_id" if topic else "category"
    existing = policy_for_scope(category, topic.id if topic else None)
    if existing is not None:
        raise ReferenceListError(duplicate_scope_message(existing), field)
    policy = SLAPolicy(scope_key=key, category=category, topic=topic)
    _apply_limits(policy, limits)
    db.session.add(policy)
    flush_unique(ReferenceListError(_("Someone has just added a policy for this scope; reload the page to see it."),
                                    field))
    return policy


def update_policy(policy: SLAPolicy, limits: dict[str, int | None]) -> None:
    """Change a policy's limits; requests already created keep their due times."""
    _apply_limits(policy, limits)
    db.session.flush()


def delete_policy(policy: SLAPolicy) -> None:
    """Delete a category/topic policy (its requests fall back to a broader one); never the default."""
    if policy.scope_key == DEFAULT_SCOPE:
        raise ReferenceListError(
            _("The default policy cannot be deleted: every request needs a policy. Edit its limits instead."))
    db.session.delete(policy)
    db.session.flush()
