"""The demo district: realistic sizes, valid codes, and a second run that changes nothing."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from app import clock
from app.clock import LOCAL_TZ
from app.models import (
    OPEN_STATES,
    Building,
    Category,
    Channel,
    Enterprise,
    EnterpriseStatus,
    EventKind,
    Grid,
    Level,
    Milestone,
    RequestEvent,
    Role,
    ServiceRequest,
    State,
    TaxRecord,
    User,
    Visit,
    building_officers,
)
from app.models.request import request_departments, visit_officers
from app.seed import (
    DEMO_PASSWORD,
    FINAL_STATES,
    LIVE_SCENARIOS,
    REQUESTS,
    build_plan,
    build_service_plan,
    seed,
)
from app.uscc import check

TODAY = date(2026, 11, 27)  # last complete month 2026-10
TOWERS = ["Park Place", "Wheelock Square", "1788 International Center", "Ping'an Building"]
MILLION = Decimal(1000000)
NOW = datetime.combine(TODAY, time(10, 0), LOCAL_TZ).astimezone(timezone.utc)  # 10:00 in Shanghai


def _counts(db) -> dict[str, int]:
    tables = {"grids": Grid, "buildings": Building, "enterprises": Enterprise, "users": User, "tax": TaxRecord,
              "visits": Visit, "requests": ServiceRequest}
    counts = {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in tables.items()}
    counts["building_officers"] = db.session.scalar(select(func.count()).select_from(building_officers))
    return counts


def _building_tax(db, months: list[str]) -> dict[str, Decimal]:
    rows = db.session.execute(
        select(Building.name, func.sum(TaxRecord.total_tax))
        .join(Enterprise, Enterprise.building_id == Building.id)
        .join(TaxRecord, TaxRecord.enterprise_id == Enterprise.id)
        .where(TaxRecord.month.in_(months))
        .group_by(Building.name)
    )
    return {name: Decimal(total) for name, total in rows}


def test_seed_loads_a_realistic_district(db):
    summary = seed(TODAY)
    db.session.commit()

    buildings = db.session.scalars(select(Building)).all()
    names = {b.name for b in buildings}
    assert len(buildings) >= 24 and set(TOWERS) <= names
    assert all(1 <= len(b.officers) <= 2 for b in buildings)
    assert all(o.role in (Role.officer, Role.chief) for b in buildings for o in b.officers)
    assert db.session.scalar(select(func.count()).select_from(Grid)) >= 4

    enterprises = db.session.scalars(select(Enterprise)).all()
    assert len(enterprises) >= 300
    assert all(check(e.uscc).ok for e in enterprises)
    assert sum(e.hq_type.value == "regional-hq" for e in enterprises) >= 25
    assert {"ADIENT", "COACH", "L'ORÉAL"} <= {e.name.split(" ")[0] for e in enterprises}

    months = db.session.scalars(select(TaxRecord.month).distinct().order_by(TaxRecord.month)).all()
    assert len(months) == 36 and months[-1] == "2026-10" and months[0] == "2023-11"
    assert summary.months == ("2023-11", "2026-10")
    district_share_off = (TaxRecord.district_tax > TaxRecord.total_tax * Decimal("0.41")) | (
        TaxRecord.district_tax < TaxRecord.total_tax * Decimal("0.24")
    )
    assert db.session.scalar(select(func.count()).select_from(TaxRecord).where(district_share_off)) == 0

    last_month = _building_tax(db, ["2026-10"])
    for tower in TOWERS:
        assert 80 * MILLION <= last_month[tower] <= 130 * MILLION, (tower, last_month[tower])
    last_12 = db.session.scalar(select(func.sum(TaxRecord.total_tax)).where(TaxRecord.month.in_(months[-12:])))
    assert 12_000 * MILLION <= last_12 <= 17_000 * MILLION

    # Tiers over 2026-01..2026-10: the towers average >= 100 m a month; some others pass 100 m in the year.
    ytd = _building_tax(db, [m for m in months if m.startswith("2026")])
    assert all(ytd[t] >= 10 * 100 * MILLION for t in TOWERS)
    annual_only = [b for b, tax in ytd.items() if 100 * MILLION <= tax < 10 * 100 * MILLION]
    assert len(annual_only) >= 2

    moved_out = [e for e in enterprises if e.status is EnterpriseStatus.moved_out]
    assert 6 <= len(moved_out) <= 8
    for e in moved_out:
        assert e.moved_out_on and e.move_out_reason
        later = select(func.count()).select_from(TaxRecord).where(
            TaxRecord.enterprise_id == e.id, TaxRecord.month > e.moved_out_on.strftime("%Y-%m")
        )
        assert db.session.scalar(later) == 0
    assert sum(e.status is EnterpriseStatus.at_risk for e in enterprises) >= 3
    # Enterprises that moved in during the window have tax from their move-in month only.
    first_month = dict(
        db.session.execute(
            select(TaxRecord.enterprise_id, func.min(TaxRecord.month)).group_by(TaxRecord.enterprise_id)
        ).all()
    )
    recent = [e for e in enterprises if e.moved_in_on.strftime("%Y-%m") > months[0] and e.id in first_month]
    assert recent and all(first_month[e.id] == e.moved_in_on.strftime("%Y-%m") for e in recent)

    users = db.session.scalars(select(User)).all()
    assert {u.role for u in users} == set(Role)
    assert len(users) <= 12
    by_email = {u.email: u for u in users}
    for email in ("admin@butler.demo", "chief@butler.demo", "officer@butler.demo", "leader@butler.demo"):
        assert by_email[email].check_password(DEMO_PASSWORD)
    contact = by_email["contact@coach.demo"]
    assert contact.role is Role.enterprise and contact.enterprise.name.startswith("COACH")
    assert ("contact@coach.demo", "enterprise") in summary.accounts
    assert {role for _, role in summary.accounts} == {r.value for r in Role}
    assert all(e.officer is not None for e in enterprises)


def test_second_seed_creates_nothing(db):
    first = seed()
    db.session.commit()
    before = _counts(db)
    assert first.created == sum(before.values())  # everything was created by the first run

    history = _history(db)
    second = seed()
    db.session.commit()
    assert second.created == 0
    assert all(line.split(": ")[1].startswith("0 created") for line in second.lines()[:-1])
    assert _counts(db) == before
    assert _history(db) == history  # no event, milestone or breach either


def _history(db) -> dict[str, int]:
    count = lambda stmt: db.session.scalar(stmt)
    return {
        "events": count(select(func.count()).select_from(RequestEvent)),
        "milestones": count(select(func.count()).select_from(Milestone)),
        "breaches": count(select(func.count()).select_from(Milestone).where(Milestone.breached_at.is_not(None))),
        "visit officers": count(select(func.count()).select_from(visit_officers)),
        "dispatches": count(select(func.count()).select_from(request_departments)),
    }


def test_plan_is_deterministic_and_its_keys_do_not_depend_on_the_date():
    plan = build_plan(TODAY)
    again = build_plan(TODAY)
    assert plan.enterprises == again.enterprises and plan.tax == again.tax

    later = build_plan(date(2027, 3, 2))
    assert [e.uscc for e in later.enterprises] == [e.uscc for e in plan.enterprises]
    assert [e.name for e in later.enterprises] == [e.name for e in plan.enterprises]
    assert later.months[-1] == "2027-02"


# --- requests and visits -------------------------------------------------------------------


def test_seed_requests_cover_the_whole_workflow(db):
    seed(TODAY, now=NOW)
    db.session.commit()
    assert clock.now() != NOW  # the clock is released

    requests = db.session.scalars(select(ServiceRequest)).all()
    assert 40 <= len(requests) <= 60
    assert {r.state for r in requests} == set(State)
    assert {r.category for r in requests} == set(Category)
    assert {r.channel for r in requests} == set(Channel)
    assert {r.handling_mode.code for r in requests} == {"immediate", "on-site", "joint", "tracked"}
    assert len({r.topic_id for r in requests}) >= 7
    assert len({r.enterprise_id for r in requests}) >= 30
    assert all(re.fullmatch(r"JAS-\d{4}-\d{6}", r.reference) for r in requests)
    assert all(NOW - timedelta(days=62) <= r.received_at <= NOW for r in requests)

    # Ratings: closed ones are rated 3-5; a rating of 1-2 reopened some (one of them closed since).
    closed = [r for r in requests if r.state is State.closed]
    assert len(closed) >= 15 and all(3 <= r.rating <= 5 and r.closed_at for r in closed)
    low = db.session.scalars(select(RequestEvent.request_id).where(
        RequestEvent.kind == EventKind.rating, RequestEvent.text.like("Rated 1/5%") | RequestEvent.text.like("Rated 2/5%"))).all()
    reopened = {r.id for r in requests if r.cycle > 1}
    assert len(low) >= 3 and set(low) == reopened
    assert any(r.state is State.closed for r in requests if r.id in reopened)

    # Returned with a reason.
    for r in (r for r in requests if r.state is State.returned):
        last = db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == r.id)
                                  .order_by(RequestEvent.at.desc(), RequestEvent.id.desc())).first()
        assert last.action == "return" and len(last.text) > 20

    # Dispatched by a chief, internal notes, escalations by hand and by the breach scan.
    def events(kind):
        return db.session.scalars(select(RequestEvent).where(RequestEvent.kind == kind)).all()

    assert db.session.scalar(select(func.count()).select_from(request_departments)) >= 5
    assert all(e.actor.role is Role.chief for e in events(EventKind.dispatch))
    assert len([e for e in events(EventKind.note) if e.internal]) >= 3
    escalations = events(EventKind.escalation)
    assert any(e.actor is not None for e in escalations) and any(e.actor is None for e in escalations)
    levels = Counter(r.level for r in requests)
    assert levels[Level.chief] >= 2 and levels[Level.leadership] >= 2

    # Breaches: milestones met late, and open requests still past due, each marked once.
    breached = db.session.scalars(select(Milestone).where(Milestone.breached_at.is_not(None))).all()
    assert any(m.met_at is not None and m.met_at > m.due_at for m in breached)
    assert any(m.met_at is None and m.request.state in OPEN_STATES for m in breached)
    assert all(m.due_at < m.breached_at <= m.due_at + timedelta(minutes=2) for m in breached)
    assert len(events(EventKind.breach)) == len(breached)
    overdue = [m for r in requests if r.state in OPEN_STATES for m in r.current_milestones()
               if m.met_at is None and m.breached_at is None and m.due_at < NOW]
    assert overdue == []  # the scan has caught up with every open request

    # Timelines are in order and in the past.
    for r in requests:
        times = db.session.scalars(select(RequestEvent.at).where(RequestEvent.request_id == r.id)
                                   .order_by(RequestEvent.id)).all()
        assert times == sorted(times) and times[0] == r.received_at and times[-1] <= NOW

    # My queue: the demo officer owns a good share of the open requests, some due in the next minutes.
    officer = db.session.scalar(select(User).where(User.email == "officer@butler.demo"))
    open_requests = [r for r in requests if r.state in OPEN_STATES]
    mine = [r for r in open_requests if r.assigned_officer_id == officer.id]
    assert len(mine) >= 8 and len(mine) >= len(open_requests) / 3
    soon = [r for r in open_requests
            if any(m.met_at is None and NOW < m.due_at <= NOW + timedelta(minutes=30) for m in r.current_milestones())]
    assert len(soon) >= 4 and any(r in mine for r in soon)

    # Visits: officers and summaries, some of which raised requests.
    visits = db.session.scalars(select(Visit)).all()
    assert 25 <= len(visits) <= 40
    assert all(v.officers and v.summary and v.visited_on <= TODAY for v in visits)
    assert all(o.role in (Role.officer, Role.chief) for v in visits for o in v.officers)
    raised = [r for r in requests if r.visit_id is not None]
    assert len(raised) >= 4 and all(r.channel is Channel.visit for r in raised)
    assert all(r.received_at.astimezone(LOCAL_TZ).date() == r.visit.visited_on for r in raised)

    # Portal requests come from the enterprise contact, for their own enterprise only.
    portal = [r for r in requests if r.channel is Channel.portal]
    assert portal and all(r.created_by.role is Role.enterprise and r.created_by.enterprise_id == r.enterprise_id
                          for r in portal)


def test_a_second_run_creates_no_request_visit_or_event(db):
    seed(TODAY, now=NOW)
    db.session.commit()
    before = {**_counts(db), **_history(db)}
    later = NOW + timedelta(days=3)  # even days later: the keys do not depend on the date
    summary = seed(TODAY + timedelta(days=3), now=later)
    db.session.commit()
    assert summary.counts["service requests"][0] == 0 and summary.counts["visits"][0] == 0
    assert {**_counts(db), **_history(db)} == before


def test_request_plan_is_deterministic_and_in_the_past():
    plan = build_plan(TODAY)
    service = build_service_plan(plan, TODAY, NOW)
    assert service == build_service_plan(build_plan(TODAY), TODAY, NOW)
    keys = [(p.uscc, p.spec.title) for p in service.requests]
    assert len(set(keys)) == len(keys)
    assert len({(v.uscc, v.spec.summary) for v in service.visits}) == len(service.visits)
    assert {FINAL_STATES[s.scenario] for s in REQUESTS} == set(State)
    start_of_today = datetime.combine(TODAY, time(0), LOCAL_TZ)
    for p in service.requests:
        assert all(p.received_at <= at for at, _, _ in p.steps)
        if p.spec.scenario in LIVE_SCENARIOS:
            assert NOW - timedelta(hours=4) <= p.received_at and all(at < NOW for at, _, _ in p.steps)
        else:  # history ends before today, whatever time of day the seed runs
            assert all(at < start_of_today for at, _, _ in p.steps) and p.received_at < start_of_today
            assert p.received_at.astimezone(LOCAL_TZ).weekday() < 5
    assert all(v.at.astimezone(LOCAL_TZ).date() < TODAY for v in service.visits)
    # The natural keys never depend on the date.
    later = build_service_plan(build_plan(date(2027, 3, 2)), date(2027, 3, 2), NOW + timedelta(days=95))
    assert [(p.uscc, p.spec.title) for p in later.requests] == keys
