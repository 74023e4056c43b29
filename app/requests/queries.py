"""The queue query: open requests with their next due time and breach flag, computed in SQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from app.models import OPEN_STATES, Category, Enterprise, Level, Milestone, ServiceRequest, State
from app.params import id_arg


def _current_cycle(*conditions):
    """Milestones of the correlated request's current cycle that meet the conditions."""
    return and_(Milestone.request_id == ServiceRequest.id, Milestone.cycle == ServiceRequest.cycle, *conditions)


def _earliest_unmet(column):
    """min(column) over the unmet milestones of the correlated request's current cycle (NULL when all are met)."""
    return (
        select(func.min(column))
        .where(_current_cycle(Milestone.met_at.is_(None)))
        .correlate(ServiceRequest)
        .scalar_subquery()
    )


def next_due_column():
    """The earliest unmet milestone due time of the request's current cycle."""
    return _earliest_unmet(Milestone.due_at)


def next_start_column():
    """When the clock of that milestone started (the cycle's start): the countdown's allowed time."""
    return _earliest_unmet(Milestone.started_at)


def breached_condition(now: datetime):
    """A milestone of the current cycle was marked breached, or is unmet and past its due time."""
    return (
        exists()
        .where(_current_cycle(or_(Milestone.breached_at.is_not(None),
                                  and_(Milestone.met_at.is_(None), Milestone.due_at < now))))
        .correlate(ServiceRequest)
    )


@dataclass
class QueueFilters:
    state: State | None = None
    category: Category | None = None
    topic: int | None = None
    building: int | None = None
    breached: bool = False

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        """Read ?state=&category=&topic=&building=&breached=1, ignoring values that are not valid."""
        state = args.get("state", "")
        category = args.get("category", "")
        return cls(
            state=State(state) if state in {s.value for s in OPEN_STATES} else None,
            category=Category(category) if category in {c.value for c in Category} else None,
            topic=id_arg("topic"),
            building=id_arg("building"),
            breached=args.get("breached") == "1",
        )

    @property
    def active(self) -> bool:
        return any((self.state, self.category, self.topic, self.building, self.breached))


def queue_select(now: datetime, filters: QueueFilters, *, assigned_to: int | None = None,
                 levels: tuple[Level, ...] | None = None) -> Select:
    """Open requests, soonest next due first (those with nothing due last), with what a row shows.

    Rows are (ServiceRequest, next_due, next_start, breached); the enterprise, its building, the
    topic and the assigned officer come in the same statement.
    """
    next_due = next_due_column()
    breached = breached_condition(now)
    stmt = (
        select(ServiceRequest, next_due.label("next_due"), next_start_column().label("next_start"),
               breached.label("breached"))
        .join(ServiceRequest.enterprise)
        .options(
            contains_eager(ServiceRequest.enterprise).joinedload(Enterprise.building),
            joinedload(ServiceRequest.topic),
            joinedload(ServiceRequest.assigned_officer),
        )
        .where(ServiceRequest.state.in_(OPEN_STATES))
    )
    if assigned_to is not None:
        stmt = stmt.where(ServiceRequest.assigned_officer_id == assigned_to)
    if levels:
        stmt = stmt.where(ServiceRequest.level.in_(levels))
    if filters.state:
        stmt = stmt.where(ServiceRequest.state == filters.state)
    if filters.category:
        stmt = stmt.where(ServiceRequest.category == filters.category)
    if filters.topic:
        stmt = stmt.where(ServiceRequest.topic_id == filters.topic)
    if filters.building:
        stmt = stmt.where(Enterprise.building_id == filters.building)
    if filters.breached:
        stmt = stmt.where(breached)
    # NULLs last without NULLS LAST, which not every database spells the same way.
    return stmt.order_by(next_due.is_(None), next_due, ServiceRequest.received_at, ServiceRequest.id)

