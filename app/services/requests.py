"""The request workflow in one place: creation, the state machine, the 51530 clock, notes.

Every change appends a RequestEvent; nothing here updates or deletes one. Services flush,
the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.extensions import db, dialect_insert
from app.models import (
    Department, Enterprise, EventKind, HandlingMode, Level, Milestone, MilestoneKind, Priority,
    ReferenceCounter, RequestEvent, Role, ServiceRequest, SLAPolicy, State, Topic, User, Visit,
)
from app.models.reference import scope_key
from app.models.workflow import Category, Channel

STAFF_ACTORS = frozenset({Role.officer, Role.chief})


class WorkflowError(ValueError):
    """An action refused: the message says why, for the user (in the locale of the request)."""


class StaleRequest(WorkflowError):
    def __init__(self):
        super().__init__(_("This request was changed by someone else; reload the page and try again."))


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # lazy: translated when shown
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    meets: MilestoneKind | None = None
    needs_text: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("respond", _l("Respond"), frozenset({State.submitted, State.reopened}), State.accepted,
                   STAFF_ACTORS, MilestoneKind.respond),
        Transition("arrive", _l("Arrive on site"), frozenset({State.accepted}), State.on_site,
                   STAFF_ACTORS, MilestoneKind.on_site),
        Transition("give_plan", _l("Give a plan"), frozenset({State.on_site}), State.plan_given,
                   STAFF_ACTORS, MilestoneKind.solve, needs_text=True),
        Transition("resolve", _l("Resolve"), frozenset({State.on_site, State.plan_given}), State.resolved,
                   STAFF_ACTORS, MilestoneKind.solve, needs_text=True),
        Transition("confirm", _l("Confirm and rate"), frozenset({State.resolved}), State.closed,
                   frozenset({Role.enterprise, Role.officer, Role.chief})),
        Transition("return", _l("Return (wrong channel)"), frozenset({State.submitted, State.accepted}), State.returned,
                   STAFF_ACTORS, needs_text=True),
    )
}
#: Not offered as a button: a rating of 1 or 2 reopens the request automatically.
REOPEN = Transition("reopen", _l("Reopen"), frozenset({State.closed}), State.reopened, frozenset({Role.enterprise}))


# --- the clock ---------------------------------------------------------------------------


def policy_for(category: Category, topic_id: int) -> SLAPolicy:
    """The most specific SLA policy: category+topic, then topic, then category, then the default."""
    keys = [scope_key(category, topic_id), scope_key(None, topic_id), scope_key(category, None), scope_key(None, None)]
    found = {p.scope_key: p for p in db.session.scalars(select(SLAPolicy).where(SLAPolicy.scope_key.in_(keys)))}
    for key in keys:
        if key in found:
            return found[key]
    raise WorkflowError(_("No default SLA policy is configured; an administrator must add one."))


def milestone_deadlines(policy: SLAPolicy, staged: bool, start: datetime) -> dict[MilestoneKind, datetime]:
    """Due times of the three milestones: minutes (51530) or, for staged handling, days."""
    if staged:
        spans = (timedelta(days=policy.staged_respond_days), timedelta(days=policy.staged_reply_days),
                 timedelta(days=policy.staged_solve_days))
    else:
        spans = (timedelta(minutes=policy.respond_minutes), timedelta(minutes=policy.on_site_minutes),
                 timedelta(minutes=policy.solve_minutes))
    return {kind: start + span for kind, span in zip(MilestoneKind, spans, strict=True)}


def _start_cycle(request: ServiceRequest, start: datetime) -> None:
    # Before the first flush only the relationship is set, not the foreign key column.
    topic_id = request.topic.id if request.topic is not None else request.topic_id
    policy = policy_for(request.category, topic_id)
    for kind, due in milestone_deadlines(policy, request.handling_mode.staged, start).items():
        request.milestones.append(Milestone(cycle=request.cycle, kind=kind, started_at=start, due_at=due))


# --- reference numbers -------------------------------------------------------------------


def next_reference(year: int) -> tuple[int, str]:
    """Issue the next number of the year, under the counter row's lock (safe across processes)."""
    db.session.execute(dialect_insert(ReferenceCounter).values(year=year, last=0)
                       .on_conflict_do_nothing(index_elements=["year"]))
    seq = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
    ).scalar_one()
    return seq, f"JAS-{year}-{seq:06d}"


# --- events ------------------------------------------------------------------------------


def _event(request: ServiceRequest, actor: User | None, kind: EventKind, *, text: str | None = None,
           action: str | None = None, from_state: State | None = None, to_state: State | None = None,
           internal: bool = False, at: datetime | None = None, rating: int | None = None) -> RequestEvent:
    event = RequestEvent(request=request, actor=actor, kind=kind, text=text, action=action, rating=rating,
                         from_state=from_state, to_state=to_state, internal=internal, at=at or clock.now())
    db.session.add(event)
    return event


def timeline(request: ServiceRequest, include_internal: bool = True) -> list[RequestEvent]:
    """The request's history, oldest first, rebuilt from its events."""
    stmt = select(RequestEvent).where(RequestEvent.request_id == request.id).options(joinedload(RequestEvent.actor))
    if not include_internal:
        stmt = stmt.where(RequestEvent.internal.is_(False))
    return list(db.session.scalars(stmt.order_by(RequestEvent.at, RequestEvent.id)))


# --- creation ----------------------------------------------------------------------------


def create_request(
    *, enterprise: Enterprise, category: Category, topic: Topic, handling_mode: HandlingMode, channel: Channel,
    title: str, description: str, by: User, priority: Priority = Priority.normal,
    assigned_officer: User | None = None, visit: Visit | None = None,
) -> ServiceRequest:
    """Register a request; its three milestones start now."""
    now = clock.now()
    if by.role is Role.enterprise and by.enterprise_id != enterprise.id:
        raise WorkflowError(_("You can only file requests for your own enterprise."))
    seq, reference = next_reference(now.astimezone(clock.LOCAL_TZ).year)
    request = ServiceRequest(
        reference=reference, year=now.astimezone(clock.LOCAL_TZ).year, seq=seq, enterprise=enterprise,
        category=category, topic=topic, handling_mode=handling_mode, channel=channel, priority=priority,
        title=title, description=description, state=State.submitted, level=Level.officer,
        assigned_officer=assigned_officer or enterprise.officer, visit=visit, created_by=by, received_at=now,
    )
    db.session.add(request)
    _start_cycle(request, now)
    _event(request, by, EventKind.created, to_state=State.submitted, at=now,
           text=f"Received by {channel.english_label.lower()}: {title}")  # stored: English
    db.session.flush()
    return request


# --- transitions -------------------------------------------------------------------------


def allowed_actions(request: ServiceRequest, user: User) -> list[Transition]:
    """The transitions this user may make on this request in its current state (for the buttons)."""
    return [t for t in TRANSITIONS.values() if request.state in t.sources and user.role in t.roles
            and _may_touch(request, user)]


def _may_touch(request: ServiceRequest, user: User) -> bool:
    return user.role is not Role.enterprise or user.enterprise_id == request.enterprise_id


def check_version(request: ServiceRequest, version: int | None) -> None:
    """Refuse a write made from a page showing an older version of the request."""
    if version is not None and version != request.version:
        raise StaleRequest()


def transition(request: ServiceRequest, action: str, by: User, *, text: str | None = None,
               version: int | None = None, rating: int | None = None) -> None:
    """Make one transition of the state machine, if this state and this user's role allow it."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise WorkflowError(_("Unknown action “%(action)s”.", action=action))
    check_version(request, version)
    if by.role not in t.roles or not _may_touch(request, by):
        raise WorkflowError(_("Your role (%(role)s) cannot “%(action)s” a request.",
                              role=by.role.label, action=t.label.lower()))
    if request.state not in t.sources:
        allowed = ", ".join(s.label.lower() for s in sorted(t.sources, key=list(State).index))
        raise WorkflowError(_("Cannot “%(action)s” a request that is %(state)s: only when %(allowed)s.",
                              action=t.label.lower(), state=request.state.label.lower(), allowed=allowed))
    if t.needs_text and not (text and text.strip()):
        raise WorkflowError(_("“%(action)s” needs a note saying what was done or why.", action=t.label))
    if action == "confirm" and rating is None:
        raise WorkflowError(_("Give a rating from 1 to 5 to confirm."))
    if action == "confirm" and not 1 <= rating <= 5:  # checked before anything changes
        raise WorkflowError(_("A rating is from 1 to 5."))
    now = clock.now()
    source = request.state
    request.state = t.target
    if t.meets is not None:
        for m in request.current_milestones():
            if m.kind is t.meets and m.met_at is None:
                m.met_at = now
                if m.due_at < now and m.breached_at is None:
                    _record_late_breach(request, m, now)
    if action == "respond" and request.assigned_officer is None and by.role in STAFF_ACTORS:
        request.assigned_officer = by
    _event(request, by, EventKind.transition, action=action, from_state=source, to_state=t.target, text=text, at=now)
    if action == "confirm":
        _rate(request, by, rating, text, now)
    _flush()


def _record_late_breach(request: ServiceRequest, milestone: Milestone, now: datetime) -> None:
    """Met after its due time before a scan saw it: still a breach, recorded once, and it escalates."""
    from app.services.sla import breach_text, escalation_text

    milestone.breached_at = now
    _event(request, None, EventKind.breach, text=breach_text(milestone.kind) + " (met late)", at=now)
    if request.level is not Level.leadership:
        old, request.level = request.level, request.level.up()
        _event(request, None, EventKind.escalation, text=escalation_text(old, request.level), at=now, internal=True)


def _rate(request: ServiceRequest, by: User, rating: int, comment: str | None, now: datetime) -> None:
    request.rating = rating
    request.rating_comment = comment
    request.closed_at = now
    _event(request, by, EventKind.rating, text=f"Rated {rating}/5" + (f": {comment}" if comment else ""), at=now,
           rating=rating)
    if rating <= 2:
        request.state = State.reopened
        request.closed_at = None
        request.cycle += 1
        request.rating = None
        _start_cycle(request, now)
        _event(request, by, EventKind.transition, action=REOPEN.name, from_state=State.closed,
               to_state=State.reopened, text="Unsatisfied: reopened", at=now)


def add_note(request: ServiceRequest, by: User, text: str, *, internal: bool, version: int | None = None) -> None:
    """A note on the timeline; internal notes are never shown to the enterprise."""
    if not text or not text.strip():
        raise WorkflowError(_("A note cannot be empty."))
    if by.role is Role.enterprise:
        if not _may_touch(request, by):
            raise WorkflowError(_("You can only comment on your own enterprise's requests."))
        internal = False
    elif by.role not in STAFF_ACTORS:
        raise WorkflowError(_("Your role (%(role)s) cannot add notes.", role=by.role.label))
    _event(request, by, EventKind.comment if by.role is Role.enterprise else EventKind.note,
           text=text.strip(), internal=internal)
    db.session.flush()


def dispatch(request: ServiceRequest, by: User, departments: list[Department], note: str | None = None,
             version: int | None = None) -> None:
    """Dispatch an open request to departments (joint handling): an event, not a state."""
    check_version(request, version)
    if by.role is not Role.chief:
        raise WorkflowError(_("Only the chief liaison dispatches requests to departments."))
    if request.state not in {State.accepted, State.on_site, State.plan_given}:
        raise WorkflowError(_("Cannot dispatch a request that is %(state)s.", state=request.state.label.lower()))
    new = [d for d in departments if d not in request.departments]
    if not new:
        raise WorkflowError(_("Choose at least one department it has not been dispatched to yet."))
    request.departments.extend(new)
    # Only the association rows change: make the flush UPDATE the request row too, so the version
    # is checked and moves on (a concurrent dispatch is then refused, not a duplicate-key 500).
    flag_modified(request, "level")
    names = ", ".join(d.name for d in new)
    _event(request, by, EventKind.dispatch, text=f"Dispatched to {names}" + (f": {note}" if note else ""),
           internal=True)
    _flush()


def escalate(request: ServiceRequest, by: User, reason: str, version: int | None = None) -> None:
    """Move an open request one step up the ladder officer → chief → leadership, by hand."""
    check_version(request, version)
    if by.role not in STAFF_ACTORS:
        raise WorkflowError(_("Your role (%(role)s) cannot escalate requests.", role=by.role.label))
    if request.state not in {State.submitted, State.accepted, State.on_site, State.plan_given, State.reopened}:
        raise WorkflowError(_("Cannot escalate a request that is %(state)s.", state=request.state.label.lower()))
    if request.level is Level.leadership:
        raise WorkflowError(_("This request is already with leadership."))
    if not reason or not reason.strip():
        raise WorkflowError(_("Say why the request is escalated."))
    old, request.level = request.level, request.level.up()
    _event(request, by, EventKind.escalation, internal=True,  # stored: English
           text=f"Escalated from {old.english_label.lower()} to {request.level.english_label.lower()}: "
                f"{reason.strip()}")
    _flush()


def _flush() -> None:
    """Flush; a concurrent commit to the same request (version mismatch) becomes StaleRequest."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleRequest() from exc
