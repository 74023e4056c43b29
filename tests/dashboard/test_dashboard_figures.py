"""The dashboard shows the monthly reports' figures: for a month that has ended, exactly the report's;
for the month still running, the same definitions counted up to now."""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.dashboard import figures as fig
from app.models import MilestoneKind, ServiceMonth, TaxTier
from app.reports import build_report, retention, service, tax
from app.reports.period import Period

from tests.dashboard.conftest import MONTH, NOW, sh

RATES = {MilestoneKind.respond: "Responded on time", MilestoneKind.on_site: "On site on time",
         MilestoneKind.solve: "Solved or plan on time"}


def report_summary(month: str) -> dict:
    buffer = BytesIO()
    build_report("pack", month, buffer)
    buffer.seek(0)
    rows = list(load_workbook(buffer)["Summary"].iter_rows(values_only=True))
    return dict(rows[1:])


def dashboard(month: str) -> dict:
    """What the dashboard shows for `month`, keyed by the report's indicator names."""
    period = Period(month)
    t = fig.tax_figures(period)
    trend, _ = fig.service_trend(period, NOW)
    s = trend[-1]
    return {
        "Total tax (month)": t.month_tax, "Total tax (YTD)": t.ytd_tax, "District tax (YTD)": t.ytd_district,
        "YoY growth (YTD)": t.yoy,
        "Monthly-100m buildings": t.tiers[TaxTier.monthly_100m], "Annual-100m buildings": t.tiers[TaxTier.annual_100m],
        "Stability rate": fig.stability(period).rate, "Requests received": s.received,
        **{RATES[k]: s.rate(k) for k in MilestoneKind}, "Satisfaction rate": s.satisfaction,
    }


def sections(month: str) -> dict:
    """The same indicators from the report modules' own sections (exact Decimals)."""
    period = Period(month)
    t, r, s = tax.collect(period), retention.collect(period), service.collect(period)
    return {
        "Total tax (month)": t.month_tax, "Total tax (YTD)": t.ytd_tax, "District tax (YTD)": t.ytd_district,
        "YoY growth (YTD)": t.yoy,
        "Monthly-100m buildings": t.tier_count(TaxTier.monthly_100m),
        "Annual-100m buildings": t.tier_count(TaxTier.annual_100m),
        "Stability rate": r.stability, "Requests received": len(s.received),
        **{RATES[k]: s.rate(k) for k in MilestoneKind}, "Satisfaction rate": s.satisfaction,
    }


def assert_same(shown: dict, report: dict) -> None:
    for name, value in report.items():
        if value is None:
            assert shown[name] is None, name
        else:
            assert shown[name] == value, (name, shown[name], value)


def test_a_closed_month_equals_the_reports_figures_exactly(district):
    shown, report = dashboard(MONTH), sections(MONTH)
    assert_same(shown, report)
    # The hand-made district, counted by hand.
    assert shown["Total tax (month)"] == Decimal("140251000.50")
    assert shown["Total tax (YTD)"] == Decimal("420753001.50")
    assert shown["YoY growth (YTD)"] == Decimal("420753001.50") / Decimal("241234567.89") - 1
    assert (shown["Monthly-100m buildings"], shown["Annual-100m buildings"]) == (1, 1)
    assert shown["Stability rate"] == Decimal(5) / Decimal(7)
    assert shown["Requests received"] == 5
    assert shown["Responded on time"] == Decimal(4) / Decimal(6)  # q1 q3 q4 q5 on time; q2, q5's second cycle
    assert shown["On site on time"] == Decimal(2) / Decimal(5)  # q4's is not yet due at the end of March
    assert shown["Satisfaction rate"] == Decimal(1) / Decimal(3)  # 5, 2 and 3 given in March


def test_the_same_figures_as_the_workbook_says(district):
    shown, book = dashboard(MONTH), report_summary(MONTH)
    for name, value in shown.items():
        expected = book[name]
        if value is None:
            assert expected == "n/a", name
        else:
            assert float(value) == pytest.approx(expected, rel=1e-12), name


@pytest.mark.parametrize("month", ["2026-01", "2026-02", "2025-06", "2026-04"])
def test_other_months_too(district, month):
    """Earlier months (closed), and April while it runs: tax and retention as the report; service as
    the report would count it at the same instant (nothing in April is due after now yet)."""
    shown, report = dashboard(month), sections(month)
    if month == "2026-04":
        for kind in MilestoneKind:  # the report counts to the end of April; now is 10 April
            report.pop(RATES[kind])
    assert_same(shown, report)


def test_the_running_month_counts_to_now_not_to_its_end(district):
    """q6 came in at 09:50: its respond milestone is past due (missed); its on-site and solve ones are
    not due yet. Counted to the end of April they would all be missed."""
    april = fig.service_trend(Period("2026-04"), NOW)[0][-1]
    assert april.as_of == NOW
    assert (april.count(MilestoneKind.respond, "on_time"), april.count(MilestoneKind.respond, "missed")) == (1, 1)
    assert april.count(MilestoneKind.on_site, "missed") == 0
    assert april.count(MilestoneKind.on_site, "pending") == 2
    assert april.rate(MilestoneKind.on_site) is None  # nothing due yet: n/a, not 0 %
    assert april.received == 2
    assert april.ratings == 1 and april.satisfied == 1  # q2's 4 given on 2 April


def test_the_tax_trend_and_the_top_buildings_are_the_reports(district):
    period = Period(MONTH)
    shown, report = fig.tax_figures(period), tax.collect(period)
    assert [(p.month, p.total_tax, p.last_year) for p in shown.trend] == [
        (r["month"], r["total_tax"], r["last_year"]) for r in report.trend.to_dict("records")]
    ranked = report.buildings[report.buildings["ytd_tax"].map(lambda v: v > 0) & report.buildings["id"].notna()]
    assert [b.name for b in shown.top] == list(ranked["name"])[: fig.TOP_BUILDINGS]
    assert [b.ytd_tax for b in shown.top] == list(ranked["ytd_tax"])[: fig.TOP_BUILDINGS]
    assert [b.tier for b in shown.top] == [TaxTier.monthly_100m, TaxTier.annual_100m, TaxTier.none]


def test_yoy_compares_the_months_with_data_when_the_month_is_not_imported_yet(db, make_enterprise, make_tax):
    """As the report: May chosen before May's tax arrived compares January-April with a year earlier."""
    from app.services.summaries import rebuild_tax_summary

    e = make_enterprise()
    for month in ("01", "02", "03", "04", "05"):
        make_tax(e, f"2025-{month}", "100.00")
    for month in ("01", "02", "03", "04"):
        make_tax(e, f"2026-{month}", "110.00")
    rebuild_tax_summary()
    shown, report = fig.tax_figures(Period("2026-05")), tax.collect(Period("2026-05"))
    assert shown.records == 0 and shown.ytd_through == "2026-04"
    assert shown.yoy == report.yoy == Decimal("440") / Decimal("400") - 1


def test_requests_by_topic_as_the_report_breaks_them_down(district):
    period = Period(MONTH)
    report = service.collect(period).breakdowns["topic"]
    assert fig.topics(period, NOW) == list(zip(report["value"], report["requests"].map(int)))
    assert fig.topics(period, NOW) == [("Property and facilities", 3), ("Tax", 2)]


def test_a_chinese_reader_sees_the_topics_chinese_names(district, db):
    from sqlalchemy import select as _select

    from app.models import Topic

    names = dict(db.session.execute(_select(Topic.name, Topic.name_zh)).all())
    assert names["Tax"]  # the default topics carry Chinese names
    assert fig.topics(Period(MONTH), NOW, chinese=True) == [
        (names["Property and facilities"], 3), (names["Tax"], 2)]


def test_open_now_is_what_the_request_queue_filters(district):
    live = fig.open_now(NOW)
    # Open: q3 (accepted), q4 (accepted), q5 (reopened), q6 (submitted), q7 (accepted).
    assert live.open == 5
    # Breached now: q3 (on site unmet), q4 (on site due 1 April), q5 (second cycle), q6 (respond due at 09:55).
    assert live.breached == 4


def test_an_ended_months_figures_are_kept_and_read_back(district):
    trend, stored = fig.service_trend(Period(MONTH), NOW)
    assert stored
    from app.extensions import db

    db.session.commit()
    kept = db.session.get(ServiceMonth, MONTH)
    assert kept.received == 5 and (kept.respond_on_time, kept.respond_missed) == (4, 2)
    again, stored_again = fig.service_trend(Period(MONTH), NOW)
    assert not stored_again
    assert [(f.period, f.stored_values()) for f in again] == [(f.period, f.stored_values()) for f in trend]


def test_a_request_loaded_later_into_an_ended_month_is_noticed(district, db, make_request, make_enterprise):
    """The app never writes a past time, but a bulk load can: the kept count no longer matches, so
    the month is computed again."""
    from app import clock

    fig.service_trend(Period(MONTH), NOW)
    db.session.commit()
    clock.freeze(sh("2026-03-20 10:00"))
    make_request(enterprise=make_enterprise())  # never answered: every milestone missed
    clock.freeze(NOW)
    trend, stored = fig.service_trend(Period(MONTH), NOW)
    assert stored
    march = trend[-1]
    assert march.received == 6
    assert march.rate(MilestoneKind.respond) == Decimal(4) / Decimal(7)
    assert_same(dashboard(MONTH), sections(MONTH))


def test_an_empty_district_has_no_figures_but_no_errors(db):
    period = Period(MONTH)
    t = fig.tax_figures(period)
    assert t.month_tax == t.ytd_tax == 0 and t.yoy is None and t.records == 0 and t.top == []
    assert t.tiers == {TaxTier.monthly_100m: 0, TaxTier.annual_100m: 0}
    assert fig.stability(period).rate is None
    s = fig.service_trend(period, NOW)[0][-1]
    assert s.received == 0 and s.rate(MilestoneKind.respond) is None and s.satisfaction is None


def test_the_single_figures_read_in_one_statement_are_the_same(district):
    from tests.conftest import count_queries

    period = Period("2026-04")
    with count_queries() as statements:
        head = fig.headline(period, NOW)
    assert len(statements) == 1
    assert head.latest_tax_month == "2026-04"
    alone = fig.stability(period)
    # Leaves In April is gone by the end of April.
    assert (head.stability.base, head.stability.stayed) == (alone.base, alone.stayed) == (7, 4)
    assert head.live == fig.open_now(NOW)
    assert head.received == fig._received(fig.trend_periods(period), NOW) == [0] * 9 + [1, 5, 2]
    assert head.ratings == (1, 1)
    with_head, alone = fig.service_trend(period, NOW, head)[0][-1], fig.service_trend(period, NOW)[0][-1]
    assert with_head.stored_values() == alone.stored_values()
