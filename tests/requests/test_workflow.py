"""The request state machine: every allowed transition, every forbidden one, events, milestones."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import EventKind, Level, MilestoneKind, RequestEvent, Role, ServiceRequest, State
from app.services import requests as wf

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def at(minutes: float) -> None:
    clock.freeze(T0 + timedelta(minutes=minutes))


@pytest.fixture
def officer(make_user):
    return make_user(Role.officer, name="Li Wei")


def drive(request, officer, *actions):
    for action in actions:
        wf.transition(request, action, officer, text=f"{action} done")


# (path of actions, final state)
PATHS = [
    (["respond"], State.accepted),
    (["respond", "arrive"], State.on_site),
    (["respond", "arrive", "resolve"], State.resolved),
    (["respond", "arrive", "give_plan"], State.plan_given),
    (["respond", "arrive", "give_plan", "resolve"], State.resolved),
    (["return"], State.returned),
    (["respond", "return"], State.returned),
]


@pytest.mark.parametrize("actions, final", PATHS)
def test_allowed_paths(make_request, officer, db, actions, final):
    request = make_request(by=officer)
    drive(request, officer, *actions)
    db.session.commit()
    assert request.state is final
    events = wf.timeline(request)
    assert [e.action for e in events[1:]] == actions
    assert events[0].kind is EventKind.created and events[0].to_state is State.submitted
    assert all(e.actor_id == officer.id for e in events)
    assert events[-1].to_state is final


def test_confirm_closes_with_rating(make_request, officer, make_user, db):
    request = make_request(by=officer)
    drive(request, officer, "respond", "arrive", "resolve")
    contact = make_user(Role.enterprise, enterprise=request.enterprise)
    wf.transition(request, "confirm", contact, rating=5, text="Fixed within the hour")
    assert request.state is State.closed and request.rating == 5 and request.closed_at == T0
    assert wf.timeline(request)[-1].kind is EventKind.rating


@pytest.mark.parametrize("rating", [1, 2])
def test_low_rating_reopens_with_a_new_clock(make_request, officer, make_user, db, rating):
    request = make_request(by=officer)
    drive(request, officer, "respond", "arrive", "resolve")
    at(60)
    wf.transition(request, "confirm", officer, rating=rating)
    db.session.commit()
    assert request.state is State.reopened and request.cycle == 2
    new = request.current_milestones()
    assert {m.kind for m in new} == set(MilestoneKind)
    assert all(m.started_at == T0 + timedelta(minutes=60) and m.met_at is None for m in new)
    actions = [e.action for e in wf.timeline(request) if e.kind is EventKind.transition]
    assert actions[-2:] == ["confirm", "reopen"]
    wf.transition(request, "respond", officer)
    assert request.state is State.accepted


def test_rating_of_3_stays_closed(make_request, officer):
    request = make_request(by=officer)
    drive(request, officer, "respond", "arrive", "resolve")
    wf.transition(request, "confirm", officer, rating=3)
    assert request.state is State.closed and request.rating == 3


ALL_ACTIONS = list(wf.TRANSITIONS)
STATE_PATHS = {
    State.submitted: [],
    State.accepted: ["respond"],
    State.on_site: ["respond", "arrive"],
    State.plan_given: ["respond", "arrive", "give_plan"],
    State.resolved: ["respond", "arrive", "resolve"],
    State.returned: ["return"],
}


FORBIDDEN = [(s, a) for s in STATE_PATHS for a in ALL_ACTIONS if s not in wf.TRANSITIONS[a].sources]


@pytest.mark.parametrize("state, action", FORBIDDEN)
def test_wrong_state_is_refused_and_changes_nothing(make_request, officer, db, state, action):
    request = make_request(by=officer)
    drive(request, officer, *STATE_PATHS[state])
    db.session.commit()
    events_before = db.session.scalar(select(func.count()).select_from(RequestEvent))
    with pytest.raises(wf.WorkflowError, match="Cannot"):
        wf.transition(request, action, officer, text="x", rating=4)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(ServiceRequest, request.id).state is state
    assert db.session.scalar(select(func.count()).select_from(RequestEvent)) == events_before


@pytest.mark.parametrize("role", [Role.leader, Role.admin, Role.enterprise])
@pytest.mark.parametrize("action", ["respond", "return"])
def test_wrong_role_is_refused(make_request, make_user, officer, role, action):
    request = make_request(by=officer)
    extra = {"enterprise": request.enterprise} if role is Role.enterprise else {}
    user = make_user(role, **extra)
    with pytest.raises(wf.WorkflowError, match="cannot"):
        wf.transition(request, action, user, text="x")
    assert request.state is State.submitted


def test_enterprise_of_another_company_cannot_confirm(make_request, make_user, make_enterprise, officer):
    request = make_request(by=officer)
    drive(request, officer, "respond", "arrive", "resolve")
    stranger = make_user(Role.enterprise, enterprise=make_enterprise())
    with pytest.raises(wf.WorkflowError):
        wf.transition(request, "confirm", stranger, rating=5)
    assert wf.allowed_actions(request, stranger) == []


def test_allowed_actions_match_state_and_role(make_request, officer, make_user):
    request = make_request(by=officer)
    assert [t.name for t in wf.allowed_actions(request, officer)] == ["respond", "return"]
    assert wf.allowed_actions(request, make_user(Role.leader)) == []
    drive(request, officer, "respond", "arrive")
    assert [t.name for t in wf.allowed_actions(request, officer)] == ["give_plan", "resolve"]


@pytest.mark.parametrize("action", ["resolve", "give_plan", "return"])
def test_actions_that_need_a_note(make_request, officer, action):
    request = make_request(by=officer)
    drive(request, officer, *(["respond", "arrive"] if action != "return" else []))
    with pytest.raises(wf.WorkflowError, match="needs a note"):
        wf.transition(request, action, officer, text="  ")


def test_milestones_51530(make_request, officer):
    request = make_request(by=officer)
    due = {m.kind: m.due_at for m in request.milestones}
    assert due == {
        MilestoneKind.respond: T0 + timedelta(minutes=5),
        MilestoneKind.on_site: T0 + timedelta(minutes=15),
        MilestoneKind.solve: T0 + timedelta(minutes=30),
    }


def test_tracked_requests_get_deadlines_in_days(make_request, officer):
    request = make_request(by=officer, mode="tracked")
    due = {m.kind: m.due_at for m in request.milestones}
    assert due[MilestoneKind.respond] == T0 + timedelta(days=1)
    assert due[MilestoneKind.on_site] == T0 + timedelta(days=7)
    assert due[MilestoneKind.solve] == T0 + timedelta(days=30)


def test_transitions_meet_milestones_at_the_clock_time(make_request, officer):
    request = make_request(by=officer)
    at(4)
    wf.transition(request, "respond", officer)
    at(16)
    wf.transition(request, "arrive", officer)
    at(29)
    wf.transition(request, "give_plan", officer, text="Contractor booked for tomorrow")
    met = {m.kind: m.met_at for m in request.milestones}
    assert met == {
        MilestoneKind.respond: T0 + timedelta(minutes=4),
        MilestoneKind.on_site: T0 + timedelta(minutes=16),
        MilestoneKind.solve: T0 + timedelta(minutes=29),
    }
    missed = {m.kind: m.missed for m in request.milestones}
    assert missed == {MilestoneKind.respond: False, MilestoneKind.on_site: True, MilestoneKind.solve: False}
    at(40)
    wf.transition(request, "resolve", officer, text="Lift repaired")
    assert {m.kind: m.met_at for m in request.milestones}[MilestoneKind.solve] == T0 + timedelta(minutes=29)


def test_responding_assigns_an_unassigned_request(make_request, officer, make_enterprise):
    request = make_request(by=officer, enterprise=make_enterprise(officer=None))
    assert request.assigned_officer is None
    wf.transition(request, "respond", officer)
    assert request.assigned_officer_id == officer.id


def test_reference_numbers_are_sequential_per_year(make_request, officer):
    first, second = make_request(by=officer), make_request(by=officer)
    assert (first.reference, second.reference) == ("JAS-2026-000001", "JAS-2026-000002")
    clock.freeze(datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))  # 00:30 on 1 January in Shanghai
    assert make_request(by=officer).reference == "JAS-2027-000001"


def test_notes_internal_and_public(make_request, officer, make_user):
    request = make_request(by=officer)
    wf.add_note(request, officer, "Called the property manager", internal=True)
    contact = make_user(Role.enterprise, enterprise=request.enterprise)
    wf.add_note(request, contact, "Still waiting", internal=True)  # enterprise comments are never internal
    public = [e.text for e in wf.timeline(request, include_internal=False)]
    assert "Called the property manager" not in public and "Still waiting" in public
    with pytest.raises(wf.WorkflowError):
        wf.add_note(request, officer, "   ", internal=False)


def test_dispatch_is_an_event_by_the_chief(make_request, officer, make_user, db):
    from app.models import Department

    request = make_request(by=officer, mode="joint")
    drive(request, officer, "respond")
    housing = db.session.scalar(select(Department).where(Department.name == "Housing Management Bureau"))
    with pytest.raises(wf.WorkflowError, match="chief"):
        wf.dispatch(request, officer, [housing])
    chief = make_user(Role.chief)
    wf.dispatch(request, chief, [housing], note="Please inspect the lift")
    assert request.state is State.accepted and request.departments == [housing]
    assert wf.timeline(request)[-1].kind is EventKind.dispatch
    with pytest.raises(wf.WorkflowError, match="not been dispatched"):
        wf.dispatch(request, chief, [housing])


def test_manual_escalation_climbs_the_ladder(make_request, officer):
    request = make_request(by=officer)
    wf.escalate(request, officer, "Needs the landlord's consent")
    assert request.level is Level.chief
    wf.escalate(request, officer, "Landlord refuses")
    assert request.level is Level.leadership
    with pytest.raises(wf.WorkflowError, match="already with leadership"):
        wf.escalate(request, officer, "again")


def test_stale_version_is_refused(make_request, officer):
    request = make_request(by=officer)
    with pytest.raises(wf.StaleRequest, match="changed by someone else"):
        wf.transition(request, "respond", officer, version=request.version - 1 if request.version > 1 else 99)


def test_events_are_append_only(make_request, officer, db):
    request = make_request(by=officer)
    event = wf.timeline(request)[0]
    event.text = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(RequestEvent, event.id))
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_topic_specific_policy_is_used_at_creation(make_request, officer, db):
    from app.models import SLAPolicy, Topic
    from app.models.reference import scope_key
    from app.models.workflow import Category

    tax = db.session.scalar(select(Topic).where(Topic.name == "Tax"))
    db.session.add(SLAPolicy(scope_key=scope_key(Category.need, tax.id), category=Category.need, topic_id=tax.id,
                             respond_minutes=10, on_site_minutes=60, solve_minutes=240))
    db.session.commit()
    request = make_request(by=officer, topic="Tax", category=Category.need)
    assert {m.kind: m.due_at - T0 for m in request.milestones} == {
        MilestoneKind.respond: timedelta(minutes=10),
        MilestoneKind.on_site: timedelta(minutes=60),
        MilestoneKind.solve: timedelta(minutes=240),
    }
    other = make_request(by=officer, topic="Tax", category=Category.problem)
    assert {m.kind: m.due_at - T0 for m in other.milestones}[MilestoneKind.respond] == timedelta(minutes=5)


@pytest.mark.parametrize("rating", [0, 6])
def test_out_of_range_rating_is_refused_before_anything_changes(make_request, officer, db, rating):
    request = make_request(by=officer)
    drive(request, officer, "respond", "arrive", "resolve")
    db.session.commit()
    with pytest.raises(wf.WorkflowError, match="from 1 to 5"):
        wf.transition(request, "confirm", officer, rating=rating)
    # Refused means unchanged, even before the caller rolls back.
    assert request.state is State.resolved and request.closed_at is None and request.rating is None
    assert not [o for o in db.session.new if isinstance(o, RequestEvent)]


def test_concurrent_dispatches_are_refused_as_stale_not_a_duplicate(app, make_request, officer, make_user, db):
    """Two chiefs dispatch the same request to the same department at once: the later one is told
    to reload (StaleRequest), rather than hitting the association table's primary key (a 500)."""
    import threading

    from app.models import Department, User

    request = make_request(by=officer, mode="joint")
    drive(request, officer, "respond")
    chief, other_chief = make_user(Role.chief), make_user(Role.chief)
    housing = db.session.scalar(select(Department).where(Department.name == "Housing Management Bureau"))
    db.session.commit()
    version = request.version
    assert request.departments == []  # this chief's page: not dispatched anywhere yet
    ids = (request.id, other_chief.id, housing.id)
    errors = []

    def other() -> None:
        try:
            with app.app_context():
                wf.dispatch(db.session.get(ServiceRequest, ids[0]), db.session.get(User, ids[1]),
                            [db.session.get(Department, ids[2])])
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and not errors
    with pytest.raises(wf.StaleRequest):
        wf.dispatch(request, chief, [housing], version=version)
    db.session.rollback()
    assert [d.name for d in db.session.get(ServiceRequest, ids[0]).departments] == ["Housing Management Bureau"]


def test_dispatch_and_escalation_reasons_are_internal(make_request, officer, make_user, db):
    from app.models import Department

    request = make_request(by=officer, mode="joint")
    wf.transition(request, "respond", officer)
    housing = db.session.scalar(select(Department).where(Department.name == "Housing Management Bureau"))
    wf.dispatch(request, make_user(Role.chief), [housing], note="Landlord is difficult")
    wf.escalate(request, officer, "Landlord refuses access")
    public = " ".join(e.text or "" for e in wf.timeline(request, include_internal=False))
    assert "Landlord" not in public
