"""The vocabulary of the request workflow: categories, channels, states, milestones, events."""
from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    @property
    def label(self) -> str:
        return LABELS.get(self, self.value.replace("_", " ").replace("-", " ").capitalize())


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


LABELS = {
    Category.difficulty: "Difficulty (困难)",
    Category.problem: "Problem (问题)",
    Category.need: "Need (需求)",
    Channel.walk_in: "Walk-in",
    State.on_site: "On site",
    State.plan_given: "Plan given",
    MilestoneKind.respond: "Respond",
    MilestoneKind.on_site: "On site",
    MilestoneKind.solve: "Solved or plan",
}
