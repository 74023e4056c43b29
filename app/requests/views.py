"""Service requests: the officer's queue, the chief's escalation queue, taking a request, detail and actions.

Every rule of the workflow lives in app.services.requests; these views validate the form, call the
service with the version the page showed, commit, flash and redirect. A refusal (WorkflowError,
StaleRequest) rolls back, so nothing changes, and is shown to the user as the service worded it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import clock, formatting
from app.extensions import db
from app.formatting import local_time
from app.models import (
    OPEN_STATES, Building, Category, Department, Enterprise, HandlingMode, Level, Milestone, MilestoneKind, Role,
    ServiceRequest, State, Topic, User, Visit,
)
from app.models.workflow import Channel, Priority
from app.pagination import paginate_rows
from app.params import MAX_ID, id_arg
from app.permissions import STAFF, get_request_or_404, roles_required
from app.requests.countdown import Countdown, countdown
from app.requests.forms import DispatchForm, EscalateForm, NoteForm, RequestForm, VersionedForm, transition_form
from app.requests.queries import QueueFilters, queue_select
from app.services import requests as wf

bp = Blueprint("requests", __name__)

#: Who takes and handles requests (the service's own list).
HANDLERS = wf.STAFF_ACTORS
#: The escalation queue: the chief works it; leadership and admins look on.
ESCALATION_VIEWERS = frozenset({Role.chief, Role.leader, Role.admin})
#: States a chief may dispatch from (mirrors app.services.requests.dispatch, which has the last word).
DISPATCHABLE = frozenset({State.accepted, State.on_site, State.plan_given})

bp.add_app_template_global(countdown, "countdown")


# --- queues --------------------------------------------------------------------------


def _render_queue(kind: str, title: str, **select_kw):
    filters = QueueFilters.from_args(request.args)
    now = clock.now()
    page = paginate_rows(queue_select(now, filters, **select_kw))
    return render_template(
        "requests/queue.html", kind=kind, title=title, page=page, filters=filters, now=now,
        states=sorted(OPEN_STATES, key=list(State).index), categories=list(Category),
        topics=db.session.execute(select(Topic.id, Topic.name).order_by(Topic.name)).all(),
        buildings=db.session.execute(select(Building.id, Building.name).order_by(Building.name)).all(),
    )


@bp.route("/")
@roles_required(STAFF)
def queue():
    """My queue: open requests assigned to me (or all open ones), soonest due first, with filters."""
    handler = current_user.role in HANDLERS
    scope = request.args.get("scope", "mine" if handler else "all")
    if scope == "mine" and handler:
        return _render_queue("mine", _("My queue"), assigned_to=current_user.id)
    return _render_queue("all", _("All open requests"))


@bp.route("/escalations")
@roles_required(ESCALATION_VIEWERS)
def escalations():
    """The escalation queue: open requests at chief or leadership level, soonest due first."""
    return _render_queue("escalations", _("Escalations"), levels=(Level.chief, Level.leadership))


# --- taking a request ----------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required(HANDLERS)
def new():
    """Take a request by phone, at the counter or from a visit (?visit=ID links it to that visit)."""
    form = RequestForm()
    visit = None
    if request.method == "GET":
        if "visit" in request.args:
            visit = db.get_or_404(Visit, id_arg("visit") or 0)
            form.visit_id.data = visit.id
            form.enterprise_id.data = visit.enterprise_id
            form.channel.data = Channel.visit.value
        elif (enterprise_id := id_arg("enterprise")) is not None:
            form.enterprise_id.data = enterprise_id
    if form.validate_on_submit():
        try:
            created = wf.create_request(
                enterprise=db.session.get(Enterprise, form.enterprise_id.data),
                category=Category(form.category.data),
                topic=db.session.get(Topic, form.topic_id.data),
                handling_mode=db.session.get(HandlingMode, form.handling_mode_id.data),
                channel=Channel(form.channel.data),
                priority=Priority(form.priority.data),
                title=form.title.data,
                description=form.description.data,
                by=current_user,
                assigned_officer=db.session.get(User, form.assigned_officer_id.data) if form.assigned_officer_id.data else None,
                visit=form.visit,
            )
        except wf.WorkflowError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            due = {m.kind: local_time(m.due_at) for m in created.current_milestones()}
            flash(
                _("Registered %(reference)s. Respond by %(respond)s, on site by %(on_site)s, solved or plan given "
                  "by %(solve)s (Asia/Shanghai).", reference=created.reference, respond=due[MilestoneKind.respond],
                  on_site=due[MilestoneKind.on_site], solve=due[MilestoneKind.solve]),
                "success",
            )
            return redirect(url_for("requests.detail", request_id=created.id))
    if request.method == "POST":
        visit = form.visit
    return render_template("requests/new.html", form=form, visit=visit), 422 if form.errors or form.form_errors else 200


# --- detail --------------------------------------------------------------------------


def _offered(sr: ServiceRequest) -> dict[str, bool]:
    """Which of the non-transition forms this user sees; the service still decides on POST."""
    handler = current_user.role in HANDLERS
    open_ = sr.state in OPEN_STATES
    return {
        "note": handler,
        "escalate": handler and open_ and sr.level is not Level.leadership,
        "dispatch": current_user.role is Role.chief and sr.state in DISPATCHABLE,
    }


def _render_detail(sr: ServiceRequest, failed: tuple[str, VersionedForm] | None = None, status: int = 200):
    """The detail page; `failed` is a (key, form) posted with errors, shown with what was typed."""
    fresh = {"formdata": None, "version": sr.version}
    actions = wf.allowed_actions(sr, current_user)
    forms: dict[str, VersionedForm] = {t.name: transition_form(t, **fresh) for t in actions}
    offered = _offered(sr)
    if offered["note"]:
        forms["note"] = NoteForm(**fresh)
    if offered["escalate"]:
        forms["escalate"] = EscalateForm(**fresh)
    if offered["dispatch"]:
        forms["dispatch"] = DispatchForm(exclude=[d.id for d in sr.departments], **fresh)
    if failed is not None:
        forms[failed[0]] = failed[1]
    now = clock.now()
    is_open = sr.state in OPEN_STATES
    milestones = [
        MilestoneRow(m, *_milestone_status(m, now, is_open),
                     countdown(m.due_at, m.started_at, now, m.breached_at is not None)
                     if is_open and m.met_at is None else None)
        for m in sorted(sr.current_milestones(), key=lambda m: list(MilestoneKind).index(m.kind))
    ]
    return render_template(
        "requests/detail.html", sr=sr, forms=forms, now=now, is_open=is_open, milestones=milestones,
        actions=actions,
        # As the queue counts it: a breach marked, or a milestone unmet past its due time.
        breached=any(m.breached_at is not None or (is_open and m.met_at is None and m.due_at < now)
                     for m in sr.current_milestones()),
        events=wf.timeline(sr),
        action_labels={name: t.label for name, t in {**wf.TRANSITIONS, wf.REOPEN.name: wf.REOPEN}.items()},
    ), status


class MilestoneRow(NamedTuple):
    milestone: Milestone
    status: str
    tone: str
    countdown: Countdown | None


def _milestone_status(m: Milestone, now: datetime, is_open: bool) -> tuple[str, str]:
    """(what the milestone's status says, its tone): on time, missed, breached, overdue, pending."""
    if m.met_at is not None:
        if m.met_at <= m.due_at:
            return _("On time"), "ok"
        return (_("Missed: met late, breach recorded") if m.breached_at else _("Missed: met late")), "overdue"
    if m.breached_at is not None:
        return _("Breached"), "overdue"
    if not is_open:
        return _("Not reached"), "muted"
    if m.due_at < now:
        return _("Overdue"), "overdue"
    return _("Pending"), "pending"


@bp.route("/<int:request_id>")
@roles_required(STAFF)
def detail(request_id: int):
    """A request: its details, the three milestones with countdowns, actions for this user, the timeline."""
    return _render_detail(get_request_or_404(request_id))


def _perform(sr: ServiceRequest, key: str, form: VersionedForm, offered: bool, call: Callable[[], str]):
    """Validate → service → commit → flash → redirect; field errors re-render the page (422).

    A form for an action this user is not offered is not re-rendered: the service is asked and
    says why it refuses (wrong state, wrong role, stale page). Nothing is committed unless both
    the form and the service accept.
    """
    valid = form.validate_on_submit()
    if not valid and offered:
        return _render_detail(sr, (key, form), 422)
    target = url_for("requests.detail", request_id=sr.id)
    try:
        message = call()
        if not valid:  # the service let through what the form refused: never commit that
            # str(): a validator's message may be a lazy string.
            raise wf.WorkflowError(" ".join(str(e) for errs in form.errors.values() for e in errs)
                                   or _("Nothing was saved."))
        db.session.commit()
    except wf.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(target)


@bp.route("/<int:request_id>/act/<action>", methods=["POST"])
@roles_required(STAFF)
def act(request_id: int, action: str):
    """Make one transition (respond, arrive, give_plan, resolve, confirm, return) from the detail page."""
    t = wf.TRANSITIONS.get(action)
    if t is None:
        abort(404)
    sr = get_request_or_404(request_id)
    form = transition_form(t)
    offered = t in wf.allowed_actions(sr, current_user)

    def call() -> str:
        rating = form.rating.data if action == "confirm" else None
        wf.transition(sr, action, current_user, text=form.note.data, version=form.version.data, rating=rating)
        return _("%(action)s: %(reference)s is now %(state)s.", action=t.label, reference=sr.reference,
                 state=sr.state.label.lower())

    return _perform(sr, action, form, offered, call)


@bp.route("/<int:request_id>/note", methods=["POST"])
@roles_required(STAFF)
def note(request_id: int):
    """Add a note to the timeline (internal notes are never shown to the enterprise)."""
    sr = get_request_or_404(request_id)
    form = NoteForm()

    def call() -> str:
        wf.add_note(sr, current_user, form.text.data, internal=form.internal.data, version=form.version.data)
        return _("Internal note added.") if form.internal.data else _("Note added.")

    return _perform(sr, "note", form, _offered(sr)["note"], call)


@bp.route("/<int:request_id>/dispatch", methods=["POST"])
@roles_required(STAFF)
def dispatch(request_id: int):
    """Dispatch the request to departments for joint handling (chief liaison only)."""
    sr = get_request_or_404(request_id)
    form = DispatchForm(exclude=[d.id for d in sr.departments])
    wanted = [i for i in form.departments.data or [] if 1 <= i <= MAX_ID]
    departments = list(db.session.scalars(select(Department).where(Department.id.in_(wanted)).order_by(Department.name)))

    def call() -> str:
        wf.dispatch(sr, current_user, departments, note=form.note.data, version=form.version.data)
        return _("Dispatched to %(departments)s.", departments=formatting.names(d.name for d in departments))

    return _perform(sr, "dispatch", form, _offered(sr)["dispatch"], call)


@bp.route("/<int:request_id>/escalate", methods=["POST"])
@roles_required(STAFF)
def escalate(request_id: int):
    """Move the request one step up the ladder officer → chief → leadership, with a reason."""
    sr = get_request_or_404(request_id)
    form = EscalateForm()

    def call() -> str:
        wf.escalate(sr, current_user, form.reason.data, version=form.version.data)
        return _("Escalated %(reference)s to the %(level)s level.", reference=sr.reference,
                 level=sr.level.label.lower())

    return _perform(sr, "escalate", form, _offered(sr)["escalate"], call)
