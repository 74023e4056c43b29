"""Service requests (诉求), their milestones and their append-only event timeline."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, event, text,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import enum_column
from app.models.workflow import Category, Channel, EventKind, Level, MilestoneKind, Priority, State

request_departments = Table(
    "request_departments",
    db.metadata,
    Column("request_id", ForeignKey("service_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

visit_officers = Table(
    "visit_officers",
    db.metadata,
    Column("visit_id", ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class ReferenceCounter(db.Model):
    """Last reference number issued per year; incremented under a row lock, never max()+1."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Visit(db.Model):
    """A liaison visit (走访) to an enterprise."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    summary: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    officers: Mapped[list["User"]] = relationship(secondary=visit_officers, order_by="User.name")  # noqa: F821
    created_by: Mapped["User"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    requests: Mapped[list["ServiceRequest"]] = relationship(back_populates="visit", order_by="ServiceRequest.id")


class ServiceRequest(db.Model):
    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_service_requests_year_seq"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        Index("ix_service_requests_state_level", "state", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    category: Mapped[Category] = mapped_column(enum_column(Category, "category"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"), index=True)
    handling_mode_id: Mapped[int] = mapped_column(ForeignKey("handling_modes.id", ondelete="RESTRICT"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), default=Priority.normal)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # Indexed by ix_service_requests_state_level (state first).
    state: Mapped[State] = mapped_column(enum_column(State, "request_state"), default=State.submitted)
    level: Mapped[Level] = mapped_column(enum_column(Level, "escalation_level"), default=Level.officer)
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    #: The cycle of milestones in force: 1, then +1 each time the request is reopened.
    cycle: Mapped[int] = mapped_column(default=1)
    #: Optimistic locking: a write from a stale page fails instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped["Enterprise"] = relationship()  # noqa: F821
    topic: Mapped["Topic"] = relationship()  # noqa: F821
    handling_mode: Mapped["HandlingMode"] = relationship()  # noqa: F821
    assigned_officer: Mapped["User | None"] = relationship(foreign_keys=[assigned_officer_id])  # noqa: F821
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    visit: Mapped[Visit | None] = relationship(back_populates="requests")
    departments: Mapped[list["Department"]] = relationship(  # noqa: F821
        secondary=request_departments, order_by="Department.name"
    )
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="request", order_by="(Milestone.cycle, Milestone.due_at)", cascade="all"
    )
    events: WriteOnlyMapped["RequestEvent"] = relationship(back_populates="request", passive_deletes="all")

    def current_milestones(self) -> list["Milestone"]:
        return [m for m in self.milestones if m.cycle == self.cycle]


OPEN_MILESTONE = "met_at IS NULL AND breached_at IS NULL"


class Milestone(db.Model):
    """One of a request's three clocks (respond, on site, solved-or-plan) in one cycle."""

    __tablename__ = "milestones"
    __table_args__ = (
        UniqueConstraint("request_id", "cycle", "kind", name="uq_milestones_request_cycle_kind"),
        # The breach scan looks only at unmet, unbreached milestones by due time.
        Index("ix_milestones_open_due", "due_at", postgresql_where=text(OPEN_MILESTONE),
              sqlite_where=text(OPEN_MILESTONE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by uq_milestones_request_cycle_kind (request_id first).
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(default=1)
    kind: Mapped[MilestoneKind] = mapped_column(enum_column(MilestoneKind, "milestone_kind"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set once, by the breach scan, when the milestone passes its due time unmet.
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which scan run marked the breach: that run's follow-up statements select by it.
    breach_scan: Mapped[str | None] = mapped_column(String(32), index=True)

    request: Mapped[ServiceRequest] = relationship(back_populates="milestones")

    @property
    def missed(self) -> bool:
        return self.breached_at is not None or (self.met_at is not None and self.met_at > self.due_at)


RATING_EVENT = "kind = 'rating'"


class RequestEvent(db.Model):
    """Append-only timeline entry. Never updated or deleted (enforced below)."""

    __tablename__ = "request_events"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        # Satisfaction counts the ratings given in a month; only rating events are indexed, so the
        # other events (breaches, escalations: the SLA scan writes many) cost nothing more.
        Index("ix_request_events_rating_at", "at", postgresql_where=text(RATING_EVENT), sqlite_where=text(RATING_EVENT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    from_state: Mapped[State | None] = mapped_column(enum_column(State, "from_state"))
    to_state: Mapped[State | None] = mapped_column(enum_column(State, "to_state"))
    action: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    #: Internal notes are for staff only; the enterprise portal never shows them.
    internal: Mapped[bool] = mapped_column(default=False)
    #: The rating given, on rating events (1-5): satisfaction is counted by the month it was given.
    rating: Mapped[int | None]

    request: Mapped[ServiceRequest] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()  # noqa: F821


@event.listens_for(RequestEvent, "before_update")
@event.listens_for(RequestEvent, "before_delete")
def _events_are_append_only(mapper, connection, target) -> None:
    raise ValueError("Request events are append-only: they are never updated or deleted.")
