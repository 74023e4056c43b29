"""Writes to the reference lists: topics, handling modes, departments and SLA policies.

Entries of the three lists are never deleted (requests refer to them): they are deactivated,
and inactive entries are not offered for new requests. SLA policies apply when a request is
created (its milestones keep their due times), so editing or deleting one changes only
requests created afterwards. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

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
    noun: str
    plural: str
    #: Must at least one entry stay active for requests to be filed at all?
    keep_one_active: bool


LIST_KINDS: dict[str, ListKind] = {
    k.slug: k
    for k in (
        ListKind("topics", Topic, "topic", "Topics", keep_one_active=True),
        ListKind("handling-modes", HandlingMode, "handling mode", "Handling modes", keep_one_active=True),
        ListKind("departments", Department, "department", "Departments", keep_one_active=False),
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
    """Default, category, topic or category + topic."""
    if policy.category and policy.topic_id:
        return "Category + topic"
    if policy.category:
        return "Category"
    if policy.topic_id:
        return "Topic"
    return "Default"


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
    for fields, unit, top in ((MINUTE_FIELDS, "minutes", MAX_MINUTES), (DAY_FIELDS, "days", MAX_DAYS)):
        for name in fields:
            value = limits.get(name)
            if value is None:
                problems[name] = f"Give a whole number of {unit}."
            elif not 1 <= value <= top:
                problems[name] = f"Must be a whole number of {unit} from 1 to {top:,}."
        for earlier, later in pairwise(fields):
            a, b = limits.get(earlier), limits.get(later)
            if earlier in problems or later in problems or a is None or b is None:
                continue
            if b < a:
                problems[later] = f"Must be at least {_LIMIT_LABELS[earlier]} ({a} {unit})."
    return problems


_LIMIT_LABELS = {
    "respond_minutes": "the respond limit",
    "on_site_minutes": "the on-site limit",
    "solve_minutes": "the solve limit",
    "staged_respond_days": "the first-reply limit",
    "staged_reply_days": "the staged-reply limit",
    "staged_solve_days": "the solve limit",
}


# --- the three lists -----------------------------------------------------------------------


def _check_name(model: type[Entry], entry: Entry | None, name: str) -> None:
    if not name or not name.strip():
        raise ReferenceListError("Give a name.", "name")
    other = entry_named(model, name, exclude=entry)
    if other is not None:
        raise ReferenceListError(duplicate_name_message(other), "name")


def duplicate_name_message(other: Entry) -> str:
    kind = kind_of(other)
    state = "" if other.active else " (inactive: reactivate it instead)"
    return f"There is already a {kind.noun} called “{other.name}”{state}."


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
                raise ReferenceListError("Give a short code.", "code")
            if mode_with_code(code) is not None:
                raise ReferenceListError(f"The code “{code}” is already used by another handling mode.", "code")
            entry.code = code
        db.session.add(entry)
    entry.name = name.strip()
    entry.name_zh = name_zh.strip() if name_zh and name_zh.strip() else None
    if model is HandlingMode and staged is not None:
        entry.staged = staged
    if model is HandlingMode:  # only its code is unique in the database
        flush_unique(ReferenceListError("Another handling mode has just been added with this code.", "code"))
    else:
        flush_unique(ReferenceListError(f"Another {kind_of(entry).noun} has just been given this name.", "name"))
    return entry


def set_entry_active(entry: Entry, active: bool) -> None:
    """Deactivate an entry (no longer offered for new requests; existing requests keep it) or reactivate it."""
    kind = kind_of(entry)
    if entry.active == active:
        raise ReferenceListError(f"“{entry.name}” is already {'active' if active else 'inactive'}.")
    if not active and kind.keep_one_active:
        others = db.session.scalar(
            select(func.count()).select_from(kind.model).where(kind.model.active.is_(True), kind.model.id != entry.id)
        )
        if not others:
            raise ReferenceListError(
                f"“{entry.name}” is the last active {kind.noun}: new requests need at least one. "
                f"Add or reactivate another {kind.noun} first."
            )
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
    return f"There is already a policy for this scope: “{existing.scope}” (policy #{existing.id}). Edit that one instead."


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
    flush_unique(ReferenceListError("Someone has just added a policy for this scope; reload the page to see it.", field))
    return policy


def update_policy(policy: SLAPolicy, limits: dict[str, int | None]) -> None:
    """Change a policy's limits; requests already created keep their due times."""
    _apply_limits(policy, limits)
    db.session.flush()


def delete_policy(policy: SLAPolicy) -> None:
    """Delete a category/topic policy (its requests fall back to a broader one); never the default."""
    if policy.scope_key == DEFAULT_SCOPE:
        raise ReferenceListError("The default policy cannot be deleted: every request needs a policy. Edit its limits instead.")
    db.session.delete(policy)
    db.session.flush()
