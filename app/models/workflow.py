"""The vocabulary of the request workflow: categories, channels, states, milestones, events."""
from __future__ import annotations

import enum

from flask_babel import force_locale, lazy_gettext as _l


class LabelledEnum(str, enum.Enum):
    @property
    def label(self) -> str:
        """The label in the current locale (a plain str, translated when read)."""
        return str(LABELS.get(self, self.value.replace("_", " ").replace("-", " ").capitalize()))

    @property
    def english_label(self) -> str:
        """The English label, for text that is stored (timeline texts are never translated)."""
        with force_locale("en"):
            return self.label


class Category(LabelledEnum):
    """The three haves (三有)."""

    difficulty = "difficulty"
    problem = "problem"
    need = "need"


class Channel(LabelledEnum):
    portal = "portal"
    visit = "visit"
    phone = "phone"
    walk_in = "walk-in"


class Priority(LabelledEnum):
    normal = "normal"
    high = "high"
    urgent = "urgent"


class State(LabelledEnum):
    submitted = "submitted"
    accepted = "accepted"
    on_site = "on_site"
    plan_given = "plan_given"
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"
    returned = "returned"


OPEN_STATES = frozenset({State.submitted, State.accepted, State.on_site, State.plan_given, State.reopened})


class MilestoneKind(LabelledEnum):
    respond = "respond"
    on_site = "on_site"
    solve = "solve"


class Level(LabelledEnum):
    """The escalation ladder."""

    officer = "officer"
    chief = "chief"
    leadership = "leadership"

    def up(self) -> "Level":
        order = list(Level)
        return order[min(order.index(self) + 1, len(order) - 1)]


class EventKind(LabelledEnum):
    created = "created"
    transition = "transition"
    note = "note"
    comment = "comment"
    dispatch = "dispatch"
    escalation = "escalation"
    breach = "breach"
    rating = "rating"


#: Every member's label (lazy: translated when read). The keys are the members, which compare and
#: hash as their string values: State.on_site and MilestoneKind.on_site are one key, with one label.
LABELS = {
    Category.difficulty: _l("Difficulty (困难)"),
    Category.problem: _l("Problem (问题)"),
    Category.need: _l("Need (需求)"),
    Channel.portal: _l("Portal"),
    Channel.visit: _l("Visit"),
    Channel.phone: _l("Phone"),
    Channel.walk_in: _l("Walk-in"),
    Priority.normal: _l("Normal"),
    Priority.high: _l("High"),
    Priority.urgent: _l("Urgent"),
    State.submitted: _l("Submitted"),
    State.accepted: _l("Accepted"),
    State.on_site: _l("On site"),
    State.plan_given: _l("Plan given"),
    State.resolved: _l("Resolved"),
    State.closed: _l("Closed"),
    State.reopened: _l("Reopened"),
    State.returned: _l("Returned"),
    MilestoneKind.respond: _l("Respond"),
    MilestoneKind.on_site: _l("On site"),
    MilestoneKind.solve: _l("Solved or plan"),
    Level.officer: _l("Officer"),
    Level.chief: _l("Chief"),
    Level.leadership: _l("Leadership"),
    EventKind.created: _l("Created"),
    EventKind.transition: _l("Transition"),
    EventKind.note: _l("Note"),
    EventKind.comment: _l("Comment"),
    EventKind.dispatch: _l("Dispatch"),
    EventKind.escalation: _l("Escalation"),
    EventKind.breach: _l("Breach"),
    EventKind.rating: _l("Rating"),
}
