"""Each report built from a small hand-made dataset; the exact figures are read back with openpyxl.

The period is March 2026 throughout: the year to date is January-March, the end of the month is
2026-03-31 24:00 Shanghai time (16:00 UTC).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app import clock
from app.models import EnterpriseStatus, KeyTier, Role, Visit
from app.reports import build_report
from app.services.requests import transition

PERIOD = "2026-03"
SHANGHAI = clock.LOCAL_TZ
REQUIRED_TAX = ["Total tax (month)", "Total tax (YTD)", "District tax (YTD)", "YoY growth (YTD)",
                "Monthly-100m buildings", "Annual-100m buildings"]
REQUIRED_RETENTION = ["Active enterprises", "Stability rate", "Move-ins (YTD)", "Move-outs (YTD)",
                      "At-risk enterprises"]
REQUIRED_SERVICE = ["Requests received", "Responded on time", "On site on time", "Solved or plan on time",
                    "Satisfaction rate"]


def sh(text: str) -> datetime:
    """A Shanghai wall-clock time, as the UTC instant the app stores."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.fixture(autouse=True)
def thaw():
    yield
    clock.freeze(None)


def build(kind: str, period: str = PERIOD):
    buffer = BytesIO()
    build_report(kind, period, buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def summary(book) -> dict:
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert rows[0] == ("Indicator", "Value")
    return dict(rows[1:])


def table(book, sheet: str) -> list[dict]:
    rows = list(book[sheet].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r)) for r in rows[1:]]


def money(value) -> Decimal:
    """An RMB cell read back (Excel stores doubles): exact to the fen."""
    return Decimal(repr(value)).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- tax


@pytest.fixture
def tax_data(make_building, make_enterprise, make_tax):
    """Four buildings placed at the 100-million boundaries, plus tax outside the period."""
    a = make_building(name="Alpha Tower", office_area=Decimal("10000"))
    b = make_building(name="Beta Plaza", office_area=Decimal("20000"))
    make_building(name="Calm House")  # no enterprise, no tax
    d = make_building(name="Delta Centre", office_area=None)
    e1 = make_enterprise(name="Alpha One", building=a, industry="J", hq_type="regional-hq")
    e2 = make_enterprise(name="Beta Two", building=b, industry="L")
    e3 = make_enterprise(name="Beta Three", building=b, industry="L")
    e4 = make_enterprise(name="Delta Four", building=d, industry="I")
    e5 = make_enterprise(name="=Nowhere Five", industry="I")  # no building; a formula-like name
    for month in ("2026-01", "2026-02", "2026-03"):
        make_tax(e1, month, "100000000.00", "40000000.00")  # Alpha: exactly RMB 100 m a month
        make_tax(e2, month, "33333333.33", "10000000.00")
    make_tax(e3, "2026-03", "0.01", "0.00")  # Beta reaches exactly RMB 100 m YTD
    make_tax(e4, "2026-02", "299999999.99", "100000000.00")  # one fen short of monthly-100m
    make_tax(e5, "2026-03", "1000.00", "400.00")
    for month in ("2025-01", "2025-02", "2025-03"):
        make_tax(e1, month, "50000000.00", "20000000.00")
    make_tax(e2, "2025-02", "10000000.00", "4000000.00")
    # Outside the periods compared: never counted.
    make_tax(e1, "2026-04", "999.00", "1.00")
    make_tax(e1, "2025-12", "777.00", "1.00")
    make_tax(e1, "2025-04", "555.00", "1.00")
    return {"a": a, "b": b, "d": d}


def test_tax_summary_exact_figures(tax_data):
    book = build("tax")
    s = summary(book)
    assert set(REQUIRED_TAX) <= set(s)
    assert money(s["Total tax (month)"]) == Decimal("133334333.34")
    assert money(s["Total tax (YTD)"]) == Decimal("700000999.99")
    assert money(s["District tax (YTD)"]) == Decimal("250000400.00")
    assert s["YoY growth (YTD)"] == pytest.approx(float(Decimal("700000999.99") / Decimal("160000000.00") - 1), rel=1e-12)
    # Alpha: 300 m over 3 months = 100 m a month (monthly-100m, boundary included).
    # Beta: 99,999,999.99 + 0.01 = exactly 100 m (annual-100m). Delta: 299,999,999.99 (annual only).
    assert s["Monthly-100m buildings"] == 1
    assert s["Annual-100m buildings"] == 2
    assert s["Headquarters share (YTD)"] == pytest.approx(300000000 / 700000999.99, rel=1e-12)


def test_tax_per_building_rank_tier_growth_and_area(tax_data):
    rows = {r["Building"]: r for r in table(build("tax"), "Tax by building")}
    alpha, beta, delta, calm = rows["Alpha Tower"], rows["Beta Plaza"], rows["Delta Centre"], rows["Calm House"]
    assert [alpha["Rank"], delta["Rank"], beta["Rank"], calm["Rank"]] == [1, 2, 3, 4]
    assert alpha["Tier"].startswith("Monthly-100m")
    assert beta["Tier"].startswith("Annual-100m") and delta["Tier"].startswith("Annual-100m")
    assert calm["Tier"] in (None, "")
    assert money(alpha["Tax YTD"]) == Decimal("300000000.00")
    assert money(alpha["Tax 2026-03"]) == Decimal("100000000.00")
    assert money(alpha["Tax same period last year"]) == Decimal("150000000.00")
    assert alpha["YoY growth"] == pytest.approx(1.0)
    assert money(beta["Tax YTD"]) == Decimal("100000000.00")
    assert beta["YoY growth"] == pytest.approx(100000000 / 10000000 - 1)
    assert alpha["Tax YTD per m²"] == pytest.approx(30000.0)
    assert beta["Tax YTD per m²"] == pytest.approx(5000.0)
    assert delta["Tax YTD per m²"] is None and delta["YoY growth"] is None
    # The enterprise without a building is listed apart, so the table still adds up to the total.
    assert money(rows["(no building recorded)"]["Tax YTD"]) == Decimal("1000.00")


def test_tax_number_formats_frozen_header_and_charts(tax_data):
    book = build("tax")
    ws = book["Tax by building"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Tax YTD") + 1).number_format == '"¥"#,##0.00'
    assert ws.cell(2, header.index("YoY growth") + 1).number_format == "0.0%"
    assert ws.column_dimensions["B"].width >= len("Delta Centre")
    assert book["Summary"]["B2"].number_format == '"¥"#,##0.00'
    charts = book["Tax charts"]._charts
    assert len(charts) == 2  # top 15 buildings, 12-month trend


def test_formula_like_text_stays_text(tax_data):
    book = build("tax")
    cells = [c for row in book["Top enterprises"].iter_rows() for c in row if c.value == "=Nowhere Five"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_tax_trend_twelve_months_against_last_year(tax_data):
    rows = table(build("tax"), "Tax trend")
    assert [r["Month"] for r in rows] == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
    march = rows[-1]
    assert money(march["Total tax"]) == Decimal("133334333.34")
    assert money(march["Same month last year"]) == Decimal("50000000.00")
    assert money(rows[0]["Total tax"]) == Decimal("555.00")  # 2025-04


def test_a_month_not_yet_imported_is_compared_over_the_months_that_have_data(make_enterprise, make_tax):
    """Tax arrives late: the April report, made before April's file, compares January-March."""
    e = make_enterprise(name="Steady Growth")
    for month in ("01", "02", "03", "04"):
        make_tax(e, f"2025-{month}", "100.00")
    for month in ("01", "02", "03"):
        make_tax(e, f"2026-{month}", "110.00")
    book = build("tax", "2026-04")
    s = summary(book)
    assert s["Total tax (month)"] == 0
    assert s["YoY growth (YTD)"] == pytest.approx(330 / 300 - 1)
    notes = [c for row in book["Cover"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("No tax records have been imported for 2026-04" in n for n in notes)
    assert any("January to 2026-03" in n for n in notes)


# --------------------------------------------------------------------------- retention


@pytest.fixture
def retention_data(make_enterprise):
    out = EnterpriseStatus.moved_out
    make_enterprise(name="Stays Since 2020", moved_in_on=date(2020, 5, 1))
    make_enterprise(name="Stays Undated")
    make_enterprise(name="Moved In February", moved_in_on=date(2026, 2, 10))
    make_enterprise(name="Moved In New Year", moved_in_on=date(2026, 1, 1))
    make_enterprise(name="Moved Out March", moved_in_on=date(2019, 1, 1), status=out,
                    moved_out_on=date(2026, 3, 15), move_out_reason="Relocated to Pudong")
    make_enterprise(name="Registered Elsewhere", registered_in_district=False)
    make_enterprise(name="Left Last Year", status=out, moved_out_on=date(2025, 12, 31), move_out_reason="Closed")
    make_enterprise(name="Leaves In April", status=out, moved_out_on=date(2026, 4, 2), move_out_reason="Later")
    make_enterprise(name="Arrives In April", moved_in_on=date(2026, 4, 5))


def test_retention_stability_and_moves(retention_data):
    book = build("retention")
    s = summary(book)
    assert set(REQUIRED_RETENTION) <= set(s)
    # Active on 1 January: since-2020, undated, moved-out-March, registered-elsewhere, leaves-in-April (5).
    # Still active and registered at the end of March: since-2020, undated, leaves-in-April (3).
    assert s["Stability rate"] == pytest.approx(3 / 5)
    assert s["Move-ins (YTD)"] == 2
    assert s["Move-outs (YTD)"] == 1
    assert s["Active enterprises"] == 6
    assert [r["Enterprise"] for r in table(book, "Move-ins")] == ["Moved In New Year", "Moved In February"]
    outs = table(book, "Move-outs")
    assert [(r["Enterprise"], r["Reason"]) for r in outs] == [("Moved Out March", "Relocated to Pudong")]
    assert book["Summary"].cell(row=list(s).index("Stability rate") + 2, column=2).number_format == "0.0%"


@pytest.fixture
def risk_data(db, make_enterprise, make_tax, make_request, make_user):
    officer = make_user(Role.officer)

    def drop(name, march_2026, **kw):
        e = make_enterprise(name=name, **kw)
        for month in ("01", "02", "03"):
            make_tax(e, f"2025-{month}", "100.00")
            make_tax(e, f"2026-{month}", march_2026 if month == "03" else "70.00")
        return e

    drop("Down Thirty", "70.00")  # exactly -30 % in each month: flagged
    falling = make_enterprise(name="Falling Two Months")  # flagged in April only if a missing month were a drop
    for month, last, this in (("01", "100.00", "100.00"), ("02", "100.00", "70.00"), ("03", "100.00", "70.00")):
        make_tax(falling, f"2025-{month}", last)
        make_tax(falling, f"2026-{month}", this)
    make_tax(falling, "2025-04", "100.00")
    drop("Down Twenty-Nine", "71.00")  # March only -29 %: not flagged
    drop("Gone Anyway", "0.00", status=EnterpriseStatus.moved_out, moved_out_on=date(2026, 2, 1),
         move_out_reason="Left", relocation_intent_on=date(2026, 1, 5), relocation_intent_note="Told us")

    late = make_enterprise(name="Late And Open")
    clock.freeze(sh("2026-03-10 09:00"))
    make_request(enterprise=late, by=officer)  # never responded: breached and still open
    closed = make_enterprise(name="Late But Closed")
    clock.freeze(sh("2026-03-11 09:00"))
    r = make_request(enterprise=closed, by=officer)
    for at, action in (("09:10", "respond"), ("09:20", "arrive"), ("09:50", "resolve")):
        clock.freeze(sh(f"2026-03-11 {at}"))
        transition(r, action, officer, text="done" if action == "resolve" else None)
    clock.freeze(sh("2026-03-11 10:00"))
    transition(r, "confirm", officer, rating=4)
    db.session.commit()
    not_yet = make_enterprise(name="Not Yet Due")
    clock.freeze(sh("2026-03-31 23:58"))
    make_request(enterprise=not_yet, by=officer)
    clock.freeze(None)

    def visited(name, tier, *days):
        e = make_enterprise(name=name, key_tier=tier)
        for d in days:
            db.session.add(Visit(enterprise=e, visited_on=d, summary="Visit", created_by=officer))
        db.session.commit()
        return e

    end = date(2026, 3, 31)
    visited("Key Visited 180 Days Ago", KeyTier.district_key, end - timedelta(days=180))
    visited("Key Visited 179 Days Ago", KeyTier.subdistrict_key, end - timedelta(days=179))
    visited("Key Visited Only In April", KeyTier.district_key, date(2026, 4, 2))
    visited("Normal Never Visited", KeyTier.normal)
    make_enterprise(name="Intends To Move", relocation_intent_on=date(2026, 3, 20),
                    relocation_intent_note='=HYPERLINK("http://evil.example","Pudong")')
    make_enterprise(name="Intends Later", relocation_intent_on=date(2026, 4, 3), relocation_intent_note="April")


def test_at_risk_flags_each_with_its_reason(risk_data):
    book = build("retention")
    rows = {r["Enterprise"]: r for r in table(book, "At risk")}
    assert set(rows) == {"Down Thirty", "Late And Open", "Key Visited 180 Days Ago", "Key Visited Only In April",
                         "Intends To Move"}
    assert summary(book)["At-risk enterprises"] == 5
    assert rows["Down Thirty"]["Tax down ≥ 30 % YoY (3 months)"] == "Yes"
    assert "2026-03 −30.0 %" in rows["Down Thirty"]["Reasons"]
    assert rows["Late And Open"]["Breached request open"] == "Yes"
    assert "missed deadline (JAS-2026-" in rows["Late And Open"]["Reasons"]
    assert "last visit 2025-10-02" in rows["Key Visited 180 Days Ago"]["Reasons"]
    assert "never visited" in rows["Key Visited Only In April"]["Reasons"]
    intent = rows["Intends To Move"]
    assert intent["Relocation intent"] == "Yes"
    assert 'Relocation intent recorded 2026-03-20: =HYPERLINK("http://evil.example","Pudong")' in intent["Reasons"]
    cells = [c for row in book["At risk"].iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert all(c.data_type == "s" for c in cells)


def test_the_tax_drop_flag_skips_a_month_not_yet_imported(risk_data):
    """April's report, made before April's tax file: the flag looks at January-March, not at a
    missing April that would read as a 100 % drop."""
    book = build("retention", "2026-04")
    rows = {r["Enterprise"]: r for r in table(book, "At risk")}
    assert "Falling Two Months" not in rows
    assert rows["Down Thirty"]["Tax down ≥ 30 % YoY (3 months)"] == "Yes"
    assert "2026-01 −30.0 %, 2026-02 −30.0 %, 2026-03 −30.0 %" in rows["Down Thirty"]["Reasons"]
    notes = [c for row in book["Cover"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("last three months with tax data (2026-01, 2026-02, and 2026-03)" in n for n in notes)


# --------------------------------------------------------------------------- service


@pytest.fixture
def service_data(db, make_request, make_user, make_enterprise):
    """Requests received in March 2026 with the 51530 clock (5 / 15 / 30 minutes)."""
    officer = make_user(Role.officer)
    acme = make_enterprise(name="Acme")

    def at(text):
        clock.freeze(sh(text))

    def new(when, **kw):
        at(when)
        return make_request(enterprise=acme, by=officer, **kw)

    def act(request, when, action, **kw):
        at(when)
        if action == "resolve":
            kw.setdefault("text", "Fixed")
        transition(request, action, officer, **kw)
        db.session.commit()

    q1 = new("2026-03-02 10:00")  # all on time, rated 5 in March
    act(q1, "2026-03-02 10:03", "respond")
    act(q1, "2026-03-02 10:14", "arrive")
    act(q1, "2026-03-02 10:29", "resolve")
    act(q1, "2026-03-02 11:00", "confirm", rating=5)
    q2 = new("2026-03-05 10:00")  # all late; rated in April (not counted in March)
    act(q2, "2026-03-05 10:06", "respond")
    act(q2, "2026-03-05 10:20", "arrive")
    act(q2, "2026-03-05 10:40", "resolve")
    act(q2, "2026-04-02 09:00", "confirm", rating=4)
    q3 = new("2026-03-10 10:00")  # responded exactly at the due time, then nobody came: open and overdue
    act(q3, "2026-03-10 10:05", "respond")
    new_q4 = new("2026-03-31 23:50")  # on site and solve not yet due at the end of March
    act(new_q4, "2026-03-31 23:54", "respond")
    q6 = new("2026-03-20 10:00")  # arrived only in April: unmet at the end of March
    act(q6, "2026-03-20 10:02", "respond")
    act(q6, "2026-04-01 08:00", "arrive")
    q10 = new("2026-03-01 09:00")  # on time, rated 1: reopened, second cycle all missed
    act(q10, "2026-03-01 09:01", "respond")
    act(q10, "2026-03-01 09:10", "arrive")
    act(q10, "2026-03-01 09:20", "resolve")
    act(q10, "2026-03-01 09:30", "confirm", rating=1)
    feb = new("2026-02-27 10:00")  # received in February, rated 3 in March: counts in satisfaction
    act(feb, "2026-02-27 10:01", "respond")
    act(feb, "2026-02-27 10:05", "arrive")
    act(feb, "2026-02-27 10:10", "resolve")
    act(feb, "2026-03-03 09:00", "confirm", rating=3)
    new("2026-04-01 00:10")  # April: not counted
    backlog = new("2026-02-26 10:00")  # February, never answered: still open and overdue at the end of March
    clock.freeze(None)
    return {"q2": q2.reference, "q4": new_q4.reference, "backlog": backlog.reference}


def test_service_on_time_rates_count_open_and_overdue(service_data):
    book = build("service")
    s = summary(book)
    assert set(REQUIRED_SERVICE) <= set(s)
    assert s["Requests received"] == 6
    # Respond: q1, q3 (at the due time), q4, q6, q10 cycle 1 on time; q2 and q10 cycle 2 missed.
    assert s["Responded on time"] == pytest.approx(5 / 7)
    # On site: q1, q10 c1 on time; q2 late, q3 and q6 unmet past due, q10 c2 missed; q4 not yet due.
    assert s["On site on time"] == pytest.approx(2 / 6)
    assert s["Solved or plan on time"] == pytest.approx(2 / 6)
    # Breaches: milestones due in March and missed (q2 x3, q3 x2, q6 x2, q10's second cycle x3); the
    # February backlog's fell due in February.
    assert s["Breaches"] == 10
    assert s["Open at month end"] == 4  # of March's requests: q3, q4, q6 (accepted then), q10 (reopened)
    assert s["Open and overdue"] == 4  # q3, q6, q10 and the February backlog
    # Ratings given in March: 5 (q1), 1 (q10), 3 (February's request) -> one of three satisfied.
    assert s["Satisfaction rate"] == pytest.approx(1 / 3)
    rates = {r["Milestone"]: r for r in table(book, "51530 on time")}
    assert (rates["On site"]["On time"], rates["On site"]["Missed"], rates["On site"]["Not yet due at month end"]) == (2, 4, 1)
    assert len(book["51530 on time"]._charts) == 1
    states = {r["Reference"]: r["State at month end"] for r in table(book, "Open and overdue")}
    assert sorted(states.values()) == ["Accepted", "Accepted", "Reopened", "Submitted"]
    assert service_data["backlog"] in states
    breaches = table(book, "Breaches")
    assert service_data["backlog"] not in {r["Reference"] for r in breaches}
    assert {r["Milestone"] for r in breaches if r["Reference"] == service_data["q2"]} == {
        "Respond", "On site", "Solved or plan"}


def test_a_milestone_due_after_the_month_is_a_breach_of_the_next(service_data):
    """q4 came in at 23:50 on 31 March: its on-site milestone fell due, unmet, on 1 April."""
    april = table(build("service", "2026-04"), "Breaches")
    assert {r["Milestone"] for r in april if r["Reference"] == service_data["q4"]} == {"On site", "Solved or plan"}


# --------------------------------------------------------------------------- pack and empty months


def test_pack_has_every_indicator_and_all_sheets(tax_data):
    book = build("pack")
    s = summary(book)
    assert set(REQUIRED_TAX + REQUIRED_RETENTION + REQUIRED_SERVICE) <= set(s)
    assert book.sheetnames[:2] == ["Cover", "Summary"]
    for sheet in ("Tax by building", "At risk", "51530 on time", "Satisfaction"):
        assert sheet in book.sheetnames
    assert money(s["Total tax (YTD)"]) == Decimal("700000999.99")
    cover = [c for row in book["Cover"].iter_rows(values_only=True) for c in row if c]
    assert "2026-03" in cover and "Stability rate" in cover


def test_a_month_without_data_is_a_valid_workbook_that_says_so(db):
    book = build("pack", "2031-07")
    s = summary(book)
    assert s["Total tax (month)"] == 0 and s["Requests received"] == 0
    assert s["YoY growth (YTD)"] == "n/a" and s["Satisfaction rate"] == "n/a" and s["Stability rate"] == "n/a"
    notes = [c for row in book["Cover"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("No tax records have been imported for 2031-07" in n for n in notes)
    assert any("No requests were received in 2031-07" in n for n in notes)
    assert table(book, "At risk") == [{"Enterprise": "No enterprise is at risk at the end of the month.",
                                       **{k: None for k in [c.value for c in book["At risk"][1]][1:]}}]


def test_a_month_still_running_counts_only_what_is_due_by_now(db, make_request, make_user, make_enterprise):
    """Made on 10 March at 10:20: a request from 10:00 has missed its 5- and 15-minute milestones,
    but its 30-minute one is not due yet, so it is left out rather than counted as missed."""
    officer = make_user(Role.officer)
    clock.freeze(sh("2026-03-10 10:00"))
    make_request(enterprise=make_enterprise(), by=officer)
    clock.freeze(sh("2026-03-10 10:20"))
    book = build("service")
    s = summary(book)
    assert s["Responded on time"] == 0 and s["On site on time"] == 0
    assert s["Solved or plan on time"] == "n/a"
    rates = {r["Milestone"]: r for r in table(book, "51530 on time")}
    assert rates["Solved or plan"]["Not yet due at month end"] == 1
    assert s["Breaches"] == 2
    notes = [c for row in book["Cover"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any("2026-03 is not over" in n and "2026-03-10 10:20" in n for n in notes)
