"""The SLA breach scan: the 5/15/30-minute boundaries, exactly-once marking, the escalation ladder."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import (
    EventKind, HandlingMode, Level, Milestone, MilestoneKind, RequestEvent, ServiceRequest, State, Topic, User,
)
from app.models.workflow import Category, Channel
from app.services import requests as wf
from app.services.sla import scan_breaches

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
MS = timedelta(milliseconds=1)
RESPOND, ON_SITE, SOLVE = MilestoneKind.respond, MilestoneKind.on_site, MilestoneKind.solve


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def at(minutes: float, extra: timedelta = timedelta()) -> datetime:
    clock.freeze(T0 + timedelta(minutes=minutes) + extra)
    return clock.now()


def breached(request: ServiceRequest) -> set[MilestoneKind]:
    return {m.kind for m in request.milestones if m.breached_at is not None}


def events_of(request: ServiceRequest, kind: EventKind) -> list[RequestEvent]:
    return [e for e in wf.timeline(request) if e.kind is kind]


def escalations(request: ServiceRequest) -> list[str]:
    """The automatic escalations (no actor), oldest first."""
    return [e.text for e in events_of(request, EventKind.escalation) if e.actor_id is None]


UP = "Escalated automatically from officer to chief after a missed milestone"
TOP = "Escalated automatically from chief to leadership after a missed milestone"


@pytest.fixture
def officer(make_user):
    return make_user(name="Li Wei")


# --- the boundaries ------------------------------------------------------------------------


@pytest.mark.parametrize("minutes, extra, expected", [
    (4, timedelta(), set()),
    (5, timedelta(), set()),  # due_at < now is strict: at 5:00 exactly the respond clock has not run out
    (5, MS, {RESPOND}),
    (15, timedelta(), {RESPOND}),
    (15, MS, {RESPOND, ON_SITE}),
    (30, timedelta(), {RESPOND, ON_SITE}),
    (30, MS, {RESPOND, ON_SITE, SOLVE}),
])
def test_breaches_across_the_51530_boundaries(make_request, db, minutes, extra, expected):
    request = make_request()
    now = at(minutes, extra)
    assert scan_breaches() == len(expected)
    db.session.commit()
    assert breached(request) == expected
    assert all(m.breached_at == now for m in request.milestones if m.kind in expected)


def test_a_milestone_met_late_before_any_scan_is_still_a_breach_once(make_request, officer, db):
    request = make_request(by=officer)
    late = at(6)
    wf.transition(request, "respond", officer)  # a minute late, before any scan saw it
    db.session.commit()
    at(7)
    assert scan_breaches() == 0  # already recorded by the transition: not twice
    respond = {m.kind: m for m in request.milestones}[RESPOND]
    assert respond.breached_at == late and respond.missed
    assert request.level is Level.chief
    kinds = [e.kind for e in wf.timeline(request)]
    assert kinds.count(EventKind.breach) == 1 and kinds.count(EventKind.escalation) == 1


def test_a_milestone_met_in_time_is_neither(make_request, officer, db):
    request = make_request(by=officer)
    at(5)
    wf.transition(request, "respond", officer)
    db.session.commit()
    at(10)
    assert scan_breaches() == 0
    respond = {m.kind: m for m in request.milestones}[RESPOND]
    assert respond.breached_at is None and not respond.missed


def test_tracked_requests_breach_after_days_not_minutes(make_request, db):
    request = make_request(mode="tracked")
    at(31)
    assert scan_breaches() == 0
    clock.freeze(T0 + timedelta(days=1) + MS)
    assert scan_breaches() == 1
    assert breached(request) == {RESPOND}


# --- exactly once, events, the ladder --------------------------------------------------------


def test_a_second_scan_marks_nothing_again(make_request, db):
    request = make_request()
    first = at(5, MS)
    assert scan_breaches() == 1
    db.session.commit()
    at(6)
    assert scan_breaches() == 0
    db.session.commit()
    respond = {m.kind: m for m in request.milestones}[RESPOND]
    assert respond.breached_at == first and respond.missed
    assert len(events_of(request, EventKind.breach)) == 1
    assert escalations(request) == [UP]
    assert request.level is Level.chief


def test_breach_and_escalation_events_are_appended(make_request, db):
    request = make_request()
    now = at(5, MS)
    scan_breaches()
    db.session.commit()
    created, breach, escalation = wf.timeline(request)
    assert created.kind is EventKind.created
    assert (breach.kind, breach.text, breach.at, breach.actor_id, breach.internal) == (
        EventKind.breach, "Missed: respond", now, None, False)
    assert (escalation.kind, escalation.text, escalation.at, escalation.actor_id, escalation.internal) == (
        EventKind.escalation, UP, now, None, True)
    # The enterprise sees the missed milestone; the escalation is staff business.
    public = wf.timeline(request, include_internal=False)
    assert [e.kind for e in public][1:] == [EventKind.breach]


def test_the_ladder_one_step_per_breach_capped_at_leadership(make_request, officer, db):
    request = make_request(by=officer)
    version = request.version
    at(5, MS)
    scan_breaches()
    db.session.commit()
    assert request.level is Level.chief and request.version == version + 1

    at(6)
    wf.transition(request, "respond", officer)
    db.session.commit()
    version = request.version
    at(15, MS)
    scan_breaches()
    db.session.commit()
    assert request.level is Level.leadership and request.version == version + 1

    at(30, MS)
    assert scan_breaches() == 1  # still recorded as a breach ...
    db.session.commit()
    assert request.level is Level.leadership and request.version == version + 1  # ... but nothing to climb
    assert [e.text for e in events_of(request, EventKind.breach)] == [
        "Missed: respond", "Missed: on site", "Missed: solved or plan"]
    assert escalations(request) == [UP, TOP]


@pytest.mark.parametrize("start, expected_steps", [
    (Level.officer, [UP, TOP]),
    (Level.chief, [TOP]),
    (Level.leadership, []),
])
def test_several_breaches_in_one_scan_climb_as_far_as_the_top(make_request, officer, db, start, expected_steps):
    """A scan that finds three breaches at once (e.g. after the worker was down) climbs once per breach."""
    request = make_request(by=officer)
    for _ in range(list(Level).index(start)):
        wf.escalate(request, officer, "By hand")
    db.session.commit()
    version = request.version
    at(45)
    assert scan_breaches() == 3
    db.session.commit()
    assert request.level is Level.leadership
    assert escalations(request) == expected_steps
    assert len(events_of(request, EventKind.breach)) == 3
    assert request.version == version + (1 if expected_steps else 0)


def test_only_requests_that_breached_are_touched(make_request, officer, db):
    late, on_time = make_request(by=officer), make_request(by=officer)
    at(4)
    wf.transition(on_time, "respond", officer)
    db.session.commit()
    version = on_time.version
    at(5, MS)
    assert scan_breaches() == 1
    db.session.commit()
    assert (late.level, on_time.level, on_time.version) == (Level.chief, Level.officer, version)
    assert escalations(on_time) == []


@pytest.mark.parametrize("state", [State.closed, State.resolved, State.returned])
def test_requests_no_longer_open_are_ignored(make_request, db, state):
    request = make_request()
    request.state = state  # whatever path led there; its unmet milestones are no longer the clock's business
    db.session.commit()
    at(45)
    assert scan_breaches() == 0
    assert breached(request) == set() and request.level is Level.officer


def test_a_returned_request_is_ignored(make_request, officer, db):
    request = make_request(by=officer)
    at(2)
    wf.transition(request, "return", officer, text="Wrong channel: a tax question for the tax bureau")
    db.session.commit()
    at(45)
    assert scan_breaches() == 0
    assert events_of(request, EventKind.breach) == []


def test_only_the_current_cycle_counts(make_request, officer, db):
    request = make_request(by=officer)
    for action in ("respond", "arrive", "resolve"):
        wf.transition(request, action, officer, text="done")
    at(20)
    wf.transition(request, "confirm", officer, rating=1)  # unsatisfied: reopened, cycle 2 from 20:00
    old_solve = next(m for m in request.milestones if m.cycle == 1 and m.kind is SOLVE)
    old_solve.met_at = None  # an old cycle's clock is closed even if it was never met
    db.session.commit()
    assert request.state is State.reopened and request.cycle == 2
    at(25, MS)
    assert scan_breaches() == 1
    db.session.commit()
    assert {(m.cycle, m.kind) for m in request.milestones if m.breached_at} == {(2, RESPOND)}
    assert old_solve.breached_at is None


def test_scan_flushes_pending_changes_and_keeps_the_session_usable(make_request, officer, db):
    """Pending ORM changes are seen by the scan; loaded requests reload, so the next flush is not stale."""
    request = make_request(by=officer)
    at(5, MS)
    wf.transition(request, "respond", officer)  # flushed, not committed; met late: breach recorded, to chief
    assert scan_breaches() == 0  # the scan sees the milestone met and its breach already recorded
    at(15, MS)
    assert scan_breaches() == 1  # on site
    wf.transition(request, "arrive", officer)  # would raise StaleRequest had the session kept version 1
    db.session.commit()
    assert request.level is Level.leadership and request.state is State.on_site


def test_scan_sla_command(app, make_request, db):
    make_request()
    at(31)
    result = app.test_cli_runner().invoke(args=["scan-sla"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 breaches marked"
    result = app.test_cli_runner().invoke(args=["scan-sla"])
    assert result.output.strip() == "0 breaches marked"


# --- concurrency, on PostgreSQL --------------------------------------------------------------


@pytest.fixture
def postgres(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite serialises writers, so nothing runs concurrently")


def run_together(app, n: int, work) -> list:
    """Run `work(i)` in n threads, each in its own app context (so its own session and connection),
    released at the same moment by a barrier; return the results, re-raising any thread's error."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_concurrent_scans_mark_each_breach_once(app, db, postgres, make_request, officer):
    """Two scans released together, each in its own transaction: one breach and one step each, never two."""
    start_levels = [Level.officer, Level.officer, Level.chief, Level.leadership] * 10
    created = []
    for i, level in enumerate(start_levels):
        request = make_request(by=officer)
        if i % 8 < 4:  # half of each starting level respond in time
            wf.transition(request, "respond", officer)
        for _ in range(list(Level).index(level)):
            wf.escalate(request, officer, "By hand")
        created.append(request)
    db.session.commit()
    ids = [r.id for r in created]

    def scan(_):
        count = scan_breaches(now)
        db.session.commit()
        return count

    marked = []
    for minutes in (5, 15, 30, 45):  # each round: both threads scan the same moment
        now = at(minutes, MS)
        db.session.commit()  # the test's own session holds nothing open
        marked.append(run_together(app, 2, scan))

    db.session.expire_all()
    requests = {r.id: r for r in db.session.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(ids)))}
    breach_events = Counter(
        (e.request_id, e.text)
        for e in db.session.scalars(select(RequestEvent).where(RequestEvent.kind == EventKind.breach))
    )
    total = 0
    for request, start in zip((requests[i] for i in ids), start_levels, strict=True):
        misses = breached(request)
        total += len(misses)
        expected_misses = {ON_SITE, SOLVE} if request.milestones[0].met_at else {RESPOND, ON_SITE, SOLVE}
        assert misses == expected_misses
        for kind in misses:
            assert breach_events[(request.id, f"Missed: {kind.label.lower()}")] == 1
        rank = list(Level).index(start)
        assert escalations(request) == [UP, TOP][rank:rank + len(misses)]  # one per step, capped
        assert request.level is Level.leadership
    assert sum(breach_events.values()) == total
    assert sum(sum(pair) for pair in marked) == total  # the two scans of a round split the work, never share it


def test_a_scan_does_not_wait_for_an_officer_mid_transaction(app, db, postgres, make_request, officer):
    """A request locked by a web transaction in flight is skipped (not waited for) and left to the next scan."""
    request = make_request(by=officer)
    now = at(5, MS)
    wf.transition(request, "respond", officer)  # flushed: the request's row is locked until we commit

    result: list = []

    def scan() -> None:
        with app.app_context():
            result.append(scan_breaches(now))
            db.session.commit()

    thread = threading.Thread(target=scan)
    thread.start()
    thread.join(timeout=10)
    waited = thread.is_alive()
    if waited:  # release it before failing, so it does not outlive the test
        db.session.rollback()
        thread.join()
    assert not waited, "the scan waited for the officer's transaction"
    assert result == [0]
    db.session.commit()
    respond = {m.kind: m for m in request.milestones}[RESPOND]
    # Met late: the officer's own transition recorded that breach; the scan added nothing.
    assert respond.breached_at == now and respond.missed and request.level is Level.chief
    at(15, MS)
    assert scan_breaches() == 1 and breached(request) == {RESPOND, ON_SITE}


def test_reference_numbers_are_unique_under_concurrent_creation(app, db, postgres, make_enterprise, officer):
    """N requests created at the same moment, each in its own transaction: references 1..N, no gaps or twins."""
    n = 8
    enterprise_id, officer_id = make_enterprise().id, officer.id
    topic_id = db.session.scalar(select(Topic.id).where(Topic.name == "Property and facilities"))
    mode_id = db.session.scalar(select(HandlingMode.id).where(HandlingMode.code == "on-site"))
    db.session.commit()

    def create(i):
        from app.models import Enterprise

        request = wf.create_request(
            enterprise=db.session.get(Enterprise, enterprise_id), category=Category.need,
            topic=db.session.get(Topic, topic_id), handling_mode=db.session.get(HandlingMode, mode_id),
            channel=Channel.portal, title=f"Request {i}", description="Filed at the same moment as the others",
            by=db.session.get(User, officer_id),
        )
        db.session.commit()
        return request.reference

    references = run_together(app, n, create)
    assert sorted(references) == [f"JAS-2026-{i:06d}" for i in range(1, n + 1)]
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == n
    assert db.session.scalar(select(func.count()).select_from(Milestone)) == 3 * n
