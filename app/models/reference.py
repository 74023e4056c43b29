"""Editable reference lists: request topics, handling modes ("four handles"), departments, SLA policies."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.user import enum_column
from app.models.workflow import Category


class Topic(db.Model):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class HandlingMode(db.Model):
    """How a request is handled: immediate, on-site, joint, tracked (editable)."""

    __tablename__ = "handling_modes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str | None] = mapped_column(String(80))
    #: Long-running: milestones are staged replies due in days, not the 5/15/30-minute clock.
    staged: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class Department(db.Model):
    """A government department a joint request can be dispatched to."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class SLAPolicy(db.Model):
    """Time limits for a category and/or topic; the row with neither is the default (51530)."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint(
            "respond_minutes > 0 AND on_site_minutes >= respond_minutes AND solve_minutes >= on_site_minutes",
            name="minutes_ordered",
        ),
        CheckConstraint(
            "staged_respond_days > 0 AND staged_reply_days >= staged_respond_days "
            "AND staged_solve_days >= staged_reply_days",
            name="days_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "category:topic_id" with "*" for any: unique, since NULLs never clash in a unique constraint.
    scope_key: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[Category | None] = mapped_column(enum_column(Category, "category"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    respond_minutes: Mapped[int] = mapped_column(default=5)
    on_site_minutes: Mapped[int] = mapped_column(default=15)
    solve_minutes: Mapped[int] = mapped_column(default=30)
    #: For staged (tracked) handling: first reply, staged reply and solution/plan deadlines in days.
    staged_respond_days: Mapped[int] = mapped_column(default=1)
    staged_reply_days: Mapped[int] = mapped_column(default=7)
    staged_solve_days: Mapped[int] = mapped_column(default=30)

    topic: Mapped[Topic | None] = relationship()

    @property
    def scope(self) -> str:
        parts = [self.category.label if self.category else None, self.topic.name if self.topic else None]
        return " · ".join(p for p in parts if p) or "Default (all requests)"


def scope_key(category: Category | None, topic_id: int | None) -> str:
    return f"{category.value if category else '*'}:{topic_id if topic_id else '*'}"
