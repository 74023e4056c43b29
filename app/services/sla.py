"""The SLA breach scan: marks milestones past due, records each breach and escalates, in set-based SQL.

A scan is four statements, whatever the number of rows:

1. mark: every unmet, unbreached milestone of the current cycle of an open request whose due
   time has passed gets ``breached_at = now`` and this run's token in ``breach_scan``;
2. one ``breach`` event per milestone this run marked;
3. one ``escalation`` event per step up the ladder officer → chief → leadership, one step per
   breach, capped at leadership;
4. the requests' new level, with ``version + 1`` (the ORM's optimistic lock) so a page opened
   before the escalation cannot write over it.

Exactly once under concurrency: statement 1 only touches rows with ``breached_at IS NULL``, and
on PostgreSQL an UPDATE that meets a row changed by a concurrent transaction re-checks that
condition on the committed row; statements 2–4 select by this run's token only. On PostgreSQL
statement 1 also locks the rows of the requests concerned, in the same statement, with ``FOR NO
KEY UPDATE SKIP LOCKED``: a request locked by another scan (or by an officer's transaction in
flight) is left to that transaction and picked up by the next scan, so the scan never waits on,
or deadlocks with, the web requests (which write a request before its milestones). SQLite
serialises writers.

Like the other services it leaves the commit to the caller.
"""
from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from uuid import uuid4

from sqlalchemy import and_, case, exists, false, func, true, insert, literal, select, union_all, update

from app import clock
from app.extensions import db
from app.models import OPEN_STATES, EventKind, Level, Milestone, MilestoneKind, RequestEvent, ServiceRequest
from app.models.types import UTCDateTime

LADDER = list(Level)  # officer, chief, leadership: one step per breach, capped at the top

service_requests = ServiceRequest.__table__
milestones = Milestone.__table__
request_events = RequestEvent.__table__


def breach_text(kind: MilestoneKind) -> str:
    """The timeline text of a breach event, e.g. 'Missed: on site'."""
    return f"Missed: {kind.english_label.lower()}"  # stored: English whatever the reader's language


def escalation_text(old: Level, new: Level) -> str:
    """The timeline text of one automatic step up the ladder."""
    return (f"Escalated automatically from {old.english_label.lower()} to {new.english_label.lower()} "
            "after a missed milestone")  # stored: English whatever the reader's language


def scan_breaches(now: datetime | None = None) -> int:
    """Mark the milestones past due as breached, record and escalate them; return how many."""
    now = now or clock.now()
    token = uuid4().hex
    db.session.flush()  # pending ORM changes first: they are part of what the scan must see

    marked = db.session.execute(_mark_breaches(now, token)).rowcount
    if marked:
        db.session.execute(_breach_events(now, token))
        db.session.execute(_escalation_events(now, token))
        db.session.execute(_raise_levels(token))
        # The statements above bypass the identity map: make loaded requests and milestones
        # reload, or the session would carry a stale version and fail its next flush.
        db.session.expire_all()
    return marked


def _is_due(m, now: datetime):
    return and_(m.c.met_at.is_(None), m.c.breached_at.is_(None), m.c.due_at < now)


def _mark_breaches(now: datetime, token: str):
    """UPDATE milestones … FROM (the open requests with a milestone past due, locked)."""
    m = milestones.alias("m")
    due_requests = (
        select(service_requests.c.id, service_requests.c.cycle)
        .where(
            service_requests.c.state.in_(OPEN_STATES),
            exists().where(
                m.c.request_id == service_requests.c.id, m.c.cycle == service_requests.c.cycle, _is_due(m, now)
            ),
        )
        # PostgreSQL only (SQLite renders no locking clause); NO KEY: event inserts' FK checks still pass.
        .with_for_update(of=service_requests, key_share=True, skip_locked=True)
        .subquery("due_requests")  # not a CTE: Python's sqlite3 gives no rowcount for WITH … UPDATE
    )
    return (
        update(milestones)
        .where(
            milestones.c.request_id == due_requests.c.id,
            milestones.c.cycle == due_requests.c.cycle,
            _is_due(milestones, now),
        )
        .values(breached_at=now, breach_scan=token)
    )


def _at(now: datetime):
    return literal(now, UTCDateTime())


def _kind(kind: EventKind):
    return literal(kind, request_events.c.kind.type)


def _breach_events(now: datetime, token: str):
    """INSERT INTO request_events … SELECT one 'breach' event per milestone marked by this run."""
    text = case({kind: breach_text(kind) for kind in MilestoneKind}, value=milestones.c.kind)
    rows = (
        select(milestones.c.request_id, _at(now), _kind(EventKind.breach), text, false())
        .where(milestones.c.breach_scan == token)
        .order_by(milestones.c.request_id, milestones.c.due_at)
    )
    return insert(request_events).from_select(["request_id", "at", "kind", "text", "internal"], rows)


def _breaches_per_request(token: str):
    return (
        select(milestones.c.request_id, func.count().label("n"))
        .where(milestones.c.breach_scan == token)
        .group_by(milestones.c.request_id)
        .subquery("breaches")
    )


def _rank(level_column):
    """A level's place on the ladder: officer 0, chief 1, leadership 2."""
    return case({level: i for i, level in enumerate(LADDER)}, value=level_column)


def _escalation_events(now: datetime, token: str):
    """INSERT … SELECT one 'escalation' event per step climbed: steps rank .. rank+n-1, capped."""
    breaches = _breaches_per_request(token)
    steps = union_all(*(
        select(literal(i).label("step"), literal(escalation_text(old, new)).label("text"))
        for i, (old, new) in enumerate(pairwise(LADDER))
    )).subquery("ladder")
    rank = _rank(service_requests.c.level)
    rows = (
        # Escalations are staff business: internal, never shown on the portal.
        select(breaches.c.request_id, _at(now), _kind(EventKind.escalation), steps.c.text, true())
        .select_from(breaches)
        .join(service_requests, service_requests.c.id == breaches.c.request_id)
        .join(steps, and_(steps.c.step >= rank, steps.c.step < rank + breaches.c.n))
        .order_by(breaches.c.request_id, steps.c.step)
    )
    return insert(request_events).from_select(["request_id", "at", "kind", "text", "internal"], rows)


def _raise_levels(token: str):
    """UPDATE service_requests SET level = min(rank + n, top), version = version + 1 (not at the top)."""
    breaches = _breaches_per_request(token)
    climbed = _rank(service_requests.c.level) + breaches.c.n
    level_type = service_requests.c.level.type
    new_level = case(
        *((climbed == i, literal(level, level_type)) for i, level in enumerate(LADDER[:-1])),
        else_=literal(LADDER[-1], level_type),
    )
    return (
        update(service_requests)
        .where(service_requests.c.id == breaches.c.request_id, service_requests.c.level != LADDER[-1])
        .values(level=new_level, version=service_requests.c.version + 1)
    )
