"""Report 1, tax revenue for month M (DESIGN.md "Reports").

Month and year-to-date totals (total and district-retained), year-on-year growth of the year to
date, and per building, per industry, top enterprises and headquarters. A building's tax is the
sum over the enterprises located in it; its tier is derived from the year-to-date sum.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from app.models import INDUSTRIES, HQType, TaxTier
from app.models.types import ZERO
from app.reports import queries
from app.reports.excel import Book, Col, Indicator
from app.reports.period import Period
from app.services.tax import tier_for

TOP_ENTERPRISES = 20
TOP_BUILDINGS_CHART = 15
TIER_LABELS = {TaxTier.monthly_100m: "Monthly-100m (月亿楼)", TaxTier.annual_100m: "Annual-100m (亿元楼)",
               TaxTier.none: ""}


def growth(current: Decimal, previous: Decimal) -> Decimal | None:
    """current / previous - 1, or None when there is nothing to compare with."""
    if previous is None or previous <= 0:
        return None
    return current / previous - 1


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole and whole > 0 else None


def total(series: pd.Series) -> Decimal:
    return sum(series, ZERO)


def positive(series: pd.Series) -> pd.Series:
    """A boolean mask of the amounts above zero (bool even when the frame is empty)."""
    return series.map(lambda v: v > 0).astype(bool)


@dataclass
class TaxSection:
    period: Period
    month_tax: Decimal
    month_district: Decimal
    ytd_tax: Decimal
    ytd_district: Decimal
    last_ytd_tax: Decimal
    buildings: pd.DataFrame
    industries: pd.DataFrame
    top: pd.DataFrame
    headquarters: pd.DataFrame
    trend: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def yoy(self) -> Decimal | None:
        return growth(self.ytd_tax, self.last_ytd_tax)

    def tier_count(self, tier: TaxTier) -> int:
        return int((self.buildings["tier"] == tier.value).sum()) if len(self.buildings) else 0


def collect(period: Period, enterprises: pd.DataFrame | None = None,
            months: queries.TaxMonths | None = None) -> TaxSection:
    """Gather the tax report's figures (`enterprises` is queries.enterprise_tax(period, months), shared
    with the retention report in the pack)."""
    months = months or queries.tax_months(period)
    ents = queries.enterprise_tax(period, months) if enterprises is None else enterprises
    ytd = total(ents["ytd_tax"])
    section = TaxSection(
        period=period,
        month_tax=total(ents["month_tax"]),
        month_district=total(ents["month_district"]),
        ytd_tax=ytd,
        ytd_district=total(ents["ytd_district"]),
        last_ytd_tax=total(ents["last_ytd_tax"]),
        buildings=_buildings(period, ents),
        industries=_industries(ents, ytd),
        top=_top(ents, ytd),
        headquarters=_headquarters(ents, ytd),
        trend=_trend(period),
    )
    if not months.has_month:
        section.notes.append(f"No tax records have been imported for {period}: the month's figures are zero.")
    through = months.ytd_through
    if through and through != period.month:
        section.notes.append(
            f"Year-on-year growth compares January to {through} (the last month with tax data) with the same "
            f"months of {period.year - 1}."
        )
    return section


SUMS = ["month_tax", "ytd_tax", "ytd_district", "last_ytd_tax"]


def _buildings(period: Period, ents: pd.DataFrame) -> pd.DataFrame:
    located = ents[ents["building_id"].notna()]
    sums = located.groupby(located["building_id"].astype(int))[SUMS].sum() if len(located) else None
    frame = queries.buildings(period)
    for column in SUMS:
        frame[column] = [sums[column].get(i, ZERO) if sums is not None else ZERO for i in frame["id"]]
    frame["growth"] = [growth(a, b) for a, b in zip(frame["ytd_tax"], frame["last_ytd_tax"])]
    frame["per_m2"] = [a / b if b and b > 0 else None for a, b in zip(frame["ytd_tax"], frame["office_area"])]
    frame["tier"] = [tier_for(v, period.month).value for v in frame["ytd_tax"]]
    frame["tier_label"] = [TIER_LABELS[TaxTier(v)] for v in frame["tier"]]
    frame = frame.sort_values(["ytd_tax", "name"], ascending=[False, True], key=_sort_key).reset_index(drop=True)
    frame["rank"] = frame["ytd_tax"].map(float).rank(method="min", ascending=False).astype(int)
    unplaced = ents[ents["building_id"].isna()]
    if len(unplaced) and total(unplaced["ytd_tax"]) > 0:
        extra = {c: total(unplaced[c]) for c in SUMS}
        extra.update(name="(no building recorded)", growth=growth(extra["ytd_tax"], extra["last_ytd_tax"]))
        frame = pd.concat([frame, pd.DataFrame([extra])], ignore_index=True)
    return frame


def _sort_key(column: pd.Series) -> pd.Series:
    return column.map(float) if column.name != "name" else column.str.lower()


def _industries(ents: pd.DataFrame, ytd: Decimal) -> pd.DataFrame:
    if ents.empty:
        return pd.DataFrame(columns=["industry", "label", "enterprises", *SUMS, "growth", "share"])
    grouped = ents.groupby("industry")
    frame = grouped[SUMS].sum()
    frame["enterprises"] = grouped["id"].count()
    frame = frame.reset_index()
    frame["label"] = frame["industry"].map(lambda c: f"{c} {INDUSTRIES.get(c, '')}".strip())
    frame["growth"] = [growth(a, b) for a, b in zip(frame["ytd_tax"], frame["last_ytd_tax"])]
    frame["share"] = [share(a, ytd) for a in frame["ytd_tax"]]
    return frame.sort_values("ytd_tax", ascending=False, key=lambda s: s.map(float)).reset_index(drop=True)


def _top(ents: pd.DataFrame, ytd: Decimal) -> pd.DataFrame:
    paying = ents[positive(ents["ytd_tax"])]
    frame = paying.assign(ytd_float=paying["ytd_tax"].map(float)).sort_values(
        ["ytd_float", "name"], ascending=[False, True]).head(TOP_ENTERPRISES).reset_index(drop=True)
    frame["rank"] = range(1, len(frame) + 1)
    frame["growth"] = [growth(a, b) for a, b in zip(frame["ytd_tax"], frame["last_ytd_tax"])]
    frame["share"] = [share(a, ytd) for a in frame["ytd_tax"]]
    frame["hq_label"] = frame["hq_type"].map(lambda v: HQType(v).label if v else "")
    return frame


def _headquarters(ents: pd.DataFrame, ytd: Decimal) -> pd.DataFrame:
    rows = []
    for hq in HQType:
        part = ents[ents["hq_type"] == hq.value]
        amount = total(part["ytd_tax"])
        rows.append({"type": "Not a headquarters" if hq is HQType.none else hq.label, "enterprises": len(part),
                     "month_tax": total(part["month_tax"]), "ytd_tax": amount, "share": share(amount, ytd)})
    hq_part = ents[ents["hq_type"] != HQType.none.value]
    hq_ytd = total(hq_part["ytd_tax"])
    rows.append({"type": "All headquarters", "enterprises": len(hq_part), "month_tax": total(hq_part["month_tax"]),
                 "ytd_tax": hq_ytd, "share": share(hq_ytd, ytd)})
    return pd.DataFrame(rows)


def _trend(period: Period) -> pd.DataFrame:
    data = queries.monthly_tax(period, months=24).set_index("month")
    rows = []
    for month in period.trailing(12):
        last = f"{int(month[:4]) - 1:04d}{month[4:]}"
        this = data.loc[month] if month in data.index else None
        prev = data.loc[last] if last in data.index else None
        amount = this["total_tax"] if this is not None else ZERO
        previous = prev["total_tax"] if prev is not None else ZERO
        rows.append({
            "month": month, "total_tax": amount,
            "district_tax": this["district_tax"] if this is not None else ZERO,
            "last_year": previous, "growth": growth(amount, previous),
            "records": int(this["records"]) if this is not None else 0,
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- indicators and sheets

DEFINITIONS = {
    "Total tax (month)": "Total tax paid in the month by all enterprises (RMB), from the tax bureau's monthly records.",
    "Total tax (YTD)": "Total tax paid from January to the month, inclusive (RMB).",
    "District tax (YTD)": "The district-retained part of the tax (区级税收), January to the month (RMB).",
    "YoY growth (YTD)": "Total tax (YTD) ÷ total tax over the same months of the previous year − 1; n/a when "
                        "there was none last year.",
    "Monthly-100m buildings": "Buildings whose average monthly tax over the year to date is at least RMB 100 m "
                              "(月亿楼): year-to-date tax ≥ RMB 100 m × months elapsed. A building's tax is the "
                              "sum over the enterprises located in it.",
    "Annual-100m buildings": "Buildings with at least RMB 100 m of tax over the calendar year to date (亿元楼) that "
                             "are not monthly-100m buildings (each building has one tier).",
    "Headquarters share (YTD)": "Year-to-date tax of regional headquarters and HQ institutions ÷ total tax (YTD).",
}


def indicators(s: TaxSection) -> list[Indicator]:
    d = DEFINITIONS
    return [
        Indicator("Total tax (month)", s.month_tax, "rmb", d["Total tax (month)"]),
        Indicator("Total tax (YTD)", s.ytd_tax, "rmb", d["Total tax (YTD)"]),
        Indicator("District tax (YTD)", s.ytd_district, "rmb", d["District tax (YTD)"]),
        Indicator("YoY growth (YTD)", s.yoy, "pct", d["YoY growth (YTD)"]),
        Indicator("Monthly-100m buildings", s.tier_count(TaxTier.monthly_100m), "int", d["Monthly-100m buildings"]),
        Indicator("Annual-100m buildings", s.tier_count(TaxTier.annual_100m), "int", d["Annual-100m buildings"]),
        Indicator("Headquarters share (YTD)", s.headquarters.iloc[-1]["share"], "pct", d["Headquarters share (YTD)"]),
    ]


SHEETS = ["Tax by building", "Tax charts", "Tax trend", "Tax by industry", "Top enterprises", "Headquarters"]  # in order


def write(book: Book, s: TaxSection) -> None:
    m = s.period.month
    ws = book.sheet("Tax by building")
    buildings = book.table(ws, s.buildings, [
        Col("rank", "Rank", "int"), Col("name", "Building"), Col("name_zh", "楼宇"), Col("grid", "Grid"),
        Col("month_tax", f"Tax {m}", "rmb"), Col("ytd_tax", "Tax YTD", "rmb"),
        Col("last_ytd_tax", "Tax same period last year", "rmb"), Col("growth", "YoY growth", "pct"),
        Col("ytd_district", "District tax YTD", "rmb"), Col("office_area", "Office area m²", "num"),
        Col("per_m2", "Tax YTD per m²", "rmb"), Col("tier_label", "Tier"),
    ], empty_note="No buildings are registered.")

    charts = book.sheet("Tax charts")  # second in the workbook; filled once the trend table exists
    trend_ws = book.sheet("Tax trend")
    trend = book.table(trend_ws, s.trend, [
        Col("month", "Month"), Col("total_tax", "Total tax", "rmb"), Col("district_tax", "District tax", "rmb"),
        Col("last_year", "Same month last year", "rmb"), Col("growth", "YoY growth", "pct"),
    ])

    charts.write_string(0, 0, f"Tax of the top {TOP_BUILDINGS_CHART} buildings, year to date {m}", book.formats["subtitle"])
    paying = s.buildings[positive(s.buildings["ytd_tax"]) & s.buildings["rank"].notna()]
    if not buildings.empty and len(paying):
        last = buildings.first_row + min(TOP_BUILDINGS_CHART, len(paying)) - 1
        bar = book.wb.add_chart({"type": "bar"})
        bar.add_series({
            "name": "Tax YTD",
            "categories": [buildings.sheet, buildings.first_row, buildings.col("name"), last, buildings.col("name")],
            "values": [buildings.sheet, buildings.first_row, buildings.col("ytd_tax"), last, buildings.col("ytd_tax")],
            "fill": {"color": "#1F3A5F"},
        })
        bar.set_title({"name": f"Top {TOP_BUILDINGS_CHART} buildings by tax, YTD {m}"})
        bar.set_x_axis({"num_format": '"¥"#,##0', "major_gridlines": {"visible": True}})
        bar.set_y_axis({"reverse": True})
        bar.set_legend({"none": True})
        bar.set_size({"width": 900, "height": 520})
        charts.insert_chart(2, 0, bar)
    else:
        charts.write_string(2, 0, "No building has tax in the year to date.", book.formats["note"])
    charts.write_string(30, 0, "Total tax per month, last 12 months, against the same month a year earlier",
                        book.formats["subtitle"])
    line = book.wb.add_chart({"type": "line"})
    for key, name, color in (("total_tax", "This year", "#1F3A5F"), ("last_year", "Previous year", "#9CA3AF")):
        line.add_series({
            "name": name,
            "categories": [trend.sheet, trend.first_row, trend.col("month"), trend.last_row, trend.col("month")],
            "values": [trend.sheet, trend.first_row, trend.col(key), trend.last_row, trend.col(key)],
            "line": {"color": color, "width": 2.25}, "marker": {"type": "circle", "size": 5},
        })
    line.set_title({"name": f"12-month tax trend to {m}"})
    line.set_y_axis({"num_format": '"¥"#,##0', "major_gridlines": {"visible": True}})
    line.set_size({"width": 900, "height": 420})
    charts.insert_chart(32, 0, line)

    book.table(book.sheet("Tax by industry"), s.industries, [
        Col("label", "Industry (GB/T 4754)"), Col("enterprises", "Enterprises", "int"),
        Col("month_tax", f"Tax {m}", "rmb"), Col("ytd_tax", "Tax YTD", "rmb"),
        Col("last_ytd_tax", "Tax same period last year", "rmb"), Col("growth", "YoY growth", "pct"),
        Col("share", "Share of YTD tax", "pct"),
    ])
    book.table(book.sheet("Top enterprises"), s.top, [
        Col("rank", "Rank", "int"), Col("name", "Enterprise"), Col("name_zh", "企业"), Col("uscc", "USCC"),
        Col("building", "Building"), Col("industry", "Industry"), Col("hq_label", "Headquarters"),
        Col("month_tax", f"Tax {m}", "rmb"), Col("ytd_tax", "Tax YTD", "rmb"),
        Col("last_ytd_tax", "Tax same period last year", "rmb"), Col("growth", "YoY growth", "pct"),
        Col("share", "Share of YTD tax", "pct"),
    ], empty_note="No enterprise has tax in the year to date.")
    book.table(book.sheet("Headquarters"), s.headquarters, [
        Col("type", "Headquarters type"), Col("enterprises", "Enterprises", "int"),
        Col("month_tax", f"Tax {m}", "rmb"), Col("ytd_tax", "Tax YTD", "rmb"), Col("share", "Share of YTD tax", "pct"),
    ])
