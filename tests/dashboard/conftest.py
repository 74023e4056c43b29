"""A small hand-made district for the dashboard tests.

The closed month is March 2026 (year to date January-March; its end is 2026-03-31 24:00 Shanghai
time); "now" is 10 April 2026, 10:00 Shanghai time, so April is the month still running. Rows are
written through the factories and services; the dashboard's tax summary is then rebuilt once, as
the migration does for the tax already in a database (the tests of the summary's upkeep write
through the import and registry services instead).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app import clock
from app.models import EnterpriseStatus, Role
from app.services.requests import transition

SHANGHAI = clock.LOCAL_TZ
MONTH = "2026-03"


def sh(text: str) -> datetime:
    """A Shanghai wall-clock time, as the UTC instant the app stores."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


NOW = sh("2026-04-10 10:00")


@pytest.fixture(autouse=True)
def frozen_now():
    """The app's clock stands at NOW for every dashboard test (and is released afterwards)."""
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


@pytest.fixture
def district(db, make_building, make_enterprise, make_tax, make_request, make_user):
    """Buildings at the tax tiers, moves in and out, and March requests with every kind of outcome."""
    from app.services.summaries import rebuild_tax_summary

    alpha = make_building(name="Alpha Tower")
    beta = make_building(name="Beta Plaza")
    gamma = make_building(name="Gamma House")
    make_building(name="Empty Court")
    big = make_enterprise(name="Alpha Big", building=alpha, moved_in_on=date(2019, 3, 1))
    mid = make_enterprise(name="Beta Mid", building=beta)
    small = make_enterprise(name="Gamma Small", building=gamma)
    loose = make_enterprise(name="No Building Co")
    for month in ("2026-01", "2026-02", "2026-03"):
        make_tax(big, month, "100000000.00", "40000000.00")  # exactly RMB 100 m a month: monthly-100m
        make_tax(mid, month, "40000000.00", "15000000.00")  # 120 m YTD: annual-100m
        make_tax(small, month, "250000.50", "100000.20")
        make_tax(loose, month, "1000.00", "400.00")
    for month in ("2025-01", "2025-02", "2025-03", "2025-06", "2025-11"):
        make_tax(big, month, "80000000.00", "30000000.00")
    make_tax(mid, "2025-02", "1234567.89", "500000.00")
    make_tax(big, "2026-04", "99.00", "9.00")  # April: a month the March figures never include

    out = EnterpriseStatus.moved_out
    make_enterprise(name="Arrived In February", building=gamma, moved_in_on=date(2026, 2, 10))
    make_enterprise(name="Left In March", building=beta, moved_in_on=date(2018, 1, 1), status=out,
                    moved_out_on=date(2026, 3, 15), move_out_reason="Relocated to Pudong")
    make_enterprise(name="Registered Elsewhere", building=gamma, registered_in_district=False)
    make_enterprise(name="Left Last Year", status=out, moved_out_on=date(2025, 12, 31), move_out_reason="Closed")
    make_enterprise(name="Leaves In April", building=alpha, status=out, moved_out_on=date(2026, 4, 2),
                    move_out_reason="Later")

    officer = make_user(Role.officer)

    def new(when: str, enterprise=small, **kw):
        clock.freeze(sh(when))
        return make_request(enterprise=enterprise, by=officer, **kw)

    def act(request, when: str, action: str, **kw):
        clock.freeze(sh(when))
        if action == "resolve":
            kw.setdefault("text", "Fixed")
        transition(request, action, officer, **kw)
        db.session.commit()

    q1 = new("2026-03-02 10:00")  # all on time, rated 5 in March
    act(q1, "2026-03-02 10:03", "respond")
    act(q1, "2026-03-02 10:14", "arrive")
    act(q1, "2026-03-02 10:29", "resolve")
    act(q1, "2026-03-02 11:00", "confirm", rating=5)
    q2 = new("2026-03-05 10:00", topic="Tax")  # all late; rated 4 in April
    act(q2, "2026-03-05 10:06", "respond")
    act(q2, "2026-03-05 10:20", "arrive")
    act(q2, "2026-03-05 10:40", "resolve")
    act(q2, "2026-04-02 09:00", "confirm", rating=4)
    q3 = new("2026-03-10 10:00", topic="Tax")  # responded at the due time, nobody came: open and breached
    act(q3, "2026-03-10 10:05", "respond")
    q4 = new("2026-03-31 23:50")  # on site and solve not yet due at the end of March
    act(q4, "2026-03-31 23:54", "respond")
    q5 = new("2026-03-01 09:00", enterprise=mid)  # on time, rated 2: reopened, second cycle missed
    act(q5, "2026-03-01 09:01", "respond")
    act(q5, "2026-03-01 09:10", "arrive")
    act(q5, "2026-03-01 09:20", "resolve")
    act(q5, "2026-03-01 09:30", "confirm", rating=2)
    feb = new("2026-02-27 10:00")  # February, rated 3 in March: counts in March's satisfaction
    act(feb, "2026-02-27 10:01", "respond")
    act(feb, "2026-02-27 10:05", "arrive")
    act(feb, "2026-02-27 10:10", "resolve")
    act(feb, "2026-03-03 09:00", "confirm", rating=3)
    q6 = new("2026-04-10 09:50")  # April, now: respond past due; on site and solve not yet due
    q7 = new("2026-04-10 09:58", topic="Tax")  # April: responded on time, the rest not yet due
    act(q7, "2026-04-10 09:59", "respond")
    clock.freeze(NOW)
    rebuild_tax_summary()
    db.session.commit()
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "big": big, "mid": mid, "small": small,
            "loose": loose, "q3": q3, "q6": q6}
