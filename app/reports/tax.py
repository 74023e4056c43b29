"""Report 1, tax revenue for month M (DESIGN.md "Reports").

Month and year-to-date totals (total and district-retained), year-on-year growth of the year to
date, and per building, per industry, top enterprises and headquarters. A building's tax is the
sum over the enterprises located in it; its tier is derived from the year-to-date sum.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from flask_babel import gettext as _

from app.models import INDUSTRIES, HQType, TaxTier
from app.models.types import ZERO
from app.reports import queries
from app.reports.excel import Book, Col, Indicator
from app.reports.period import Period
from app.services.tax import tier_for

TOP_ENTERPRISES = 20
TOP_BUILDINGS_CHART = 15


def tier_label(tier: TaxTier) -> str:
    """A building's tier as the report shows it, in the current locale."""
    if tier is TaxTier.monthly_100m:
        return _("Monthly-100m (月亿楼)")
    if tier is TaxTier.annual_100m:
        return _("Annual-100m (亿元楼)")
    return ""


def hq_label(hq: HQType) -> str:
    """A headquarters type as the report shows it, in the current locale."""
    if hq is HQType.regional_hq:
        return _("Regional HQ (地区总部)")
    if hq is HQType.hq_institution:
        return _("HQ institution (总部型机构)")
    return ""


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
        section.notes.append(_("No tax records have been imported for %(period)s: the month's figures are zero.",
                               period=str(period)))
    through = months.ytd_through
    if through and through != period.month:
        section.notes.append(_(
            "Year-on-year growth compares January to %(through)s (the last month with tax data) with the same "
            "months of %(year)s.", through=through, year=str(period.year - 1)))
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
    frame["tier_label"] = [tier_label(TaxTier(v)) for v in frame["tier"]]
    frame = frame.sort_values(["ytd_tax", "name"], ascending=[False, True], key=_sort_key).reset_index(drop=True)
    frame["rank"] = frame["ytd_tax"].map(float).rank(method="min", ascending=False).astype(int)
    unplaced = ents[ents["building_id"].isna()]
    if len(unplaced) and total(unplaced["ytd_tax"]) > 0:
        extra = {c: total(unplaced[c]) for c in SUMS}
        extra.update(name=_("(no building recorded)"), growth=growth(extra["ytd_tax"], extra["last_ytd_tax"]))
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
    frame["hq_label"] = frame["hq_type"].map(lambda v: hq_label(HQType(v)) if v else "")
    return frame


def _headquarters(ents: pd.DataFrame, ytd: Decimal) -> pd.DataFrame:
    rows = []
    for hq in HQType:
        part = ents[ents["hq_type"] == hq.value]
        amount = total(part["ytd_tax"])
        rows.append({"type": _("Not a headquarters") if hq is HQType.none else hq_label(hq), "enterprises": len(part),
                     "month_tax": total(part["month_tax"]), "ytd_tax": amount, "share": share(amount, ytd)})
    hq_part = ents[ents["hq_type"] != HQType.none.value]
    hq_ytd = total(hq_part["ytd_tax"])
    rows.append({"type": _("All headquarters"), "enterprises": len(hq_part), "month_tax": total(hq_part["month_tax"]),
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


def indicators(s: TaxSection) -> list[Indicator]:
    """The Summary's indicators: each English key, its value, and its name and definition in the current locale."""
    return [
        Indicator("Total tax (month)", s.month_tax, "rmb", _(
            "Total tax paid in the month by all enterprises (RMB), from the tax bureau's monthly records."),
            _("Total tax (month)")),
        Indicator("Total tax (YTD)", s.ytd_tax, "rmb", _(
            "Total tax paid from January to the month, inclusive (RMB)."), _("Total tax (YTD)")),
        Indicator("District tax (YTD)", s.ytd_district, "rmb", _(
            "The district-retained part of the tax (区级税收), January to the month (RMB)."), _("District tax (YTD)")),
        Indicator("YoY growth (YTD)", s.yoy, "pct", _(
            "Total tax (YTD) ÷ total tax over the same months of the previous year − 1; n/a when there was none "
            "last year."), _("YoY growth (YTD)")),
        Indicator("Monthly-100m buildings", s.tier_count(TaxTier.monthly_100m), "int", _(
            "Buildings whose average monthly tax over the year to date is at least RMB 100 m (月亿楼): year-to-date "
            "tax ≥ RMB 100 m × months elapsed. A building's tax is the sum over the enterprises located in it."),
            _("Monthly-100m buildings")),
        Indicator("Annual-100m buildings", s.tier_count(TaxTier.annual_100m), "int", _(
            "Buildings with at least RMB 100 m of tax over the calendar year to date (亿元楼) that are not "
            "monthly-100m buildings (each building has one tier)."), _("Annual-100m buildings")),
        Indicator("Headquarters share (YTD)", s.headquarters.iloc[-1]["share"], "pct", _(
            "Year-to-date tax of regional headquarters and HQ institutions ÷ total tax (YTD)."),
            _("Headquarters share (YTD)")),
    ]


def sheets() -> dict[str, str]:
    """The report's sheets in workbook order, in the current locale (each ≤ 31 characters, none of []:*?/\\)."""
    return {
        "buildings": _("Tax by building"),
        "charts": _("Tax charts"),
        "trend": _("Tax trend"),
        "industries": _("Tax by industry"),
        "top": _("Top enterprises"),
        "headquarters": _("Headquarters"),
    }


def write(book: Book, s: TaxSection) -> None:
    m = s.period.month
    names = sheets()
    tax_m = _("Tax %(month)s", month=m)
    ytd, last_ytd, yoy = _("Tax YTD"), _("Tax same period last year"), _("YoY growth")
    ws = book.sheet(names["buildings"])
    buildings = book.table(ws, s.buildings, [
        Col("rank", _("Rank"), "int"), Col("name", _("Building")), Col("name_zh", _("Chinese name")),
        Col("grid", _("Grid")), Col("month_tax", tax_m, "rmb"), Col("ytd_tax", ytd, "rmb"),
        Col("last_ytd_tax", last_ytd, "rmb"), Col("growth", yoy, "pct"),
        Col("ytd_district", _("District tax YTD"), "rmb"), Col("office_area", _("Office area m²"), "num"),
        Col("per_m2", _("Tax YTD per m²"), "rmb"), Col("tier_label", _("Tier")),
    ], empty_note=_("No buildings are registered."))

    charts = book.sheet(names["charts"])  # second in the workbook; filled once the trend table exists
    trend_ws = book.sheet(names["trend"])
    trend = book.table(trend_ws, s.trend, [
        Col("month", _("Month")), Col("total_tax", _("Total tax"), "rmb"),
        Col("district_tax", _("District tax"), "rmb"), Col("last_year", _("Same month last year"), "rmb"),
        Col("growth", yoy, "pct"),
    ])

    charts.write_string(0, 0, _("Tax of the top %(num)d buildings, year to date %(month)s",
                                num=TOP_BUILDINGS_CHART, month=m), book.formats["subtitle"])
    paying = s.buildings[positive(s.buildings["ytd_tax"]) & s.buildings["rank"].notna()]
    if not buildings.empty and len(paying):
        last = buildings.first_row + min(TOP_BUILDINGS_CHART, len(paying)) - 1
        bar = book.wb.add_chart({"type": "bar"})
        bar.add_series({
            "name": ytd,
            "categories": [buildings.sheet, buildings.first_row, buildings.col("name"), last, buildings.col("name")],
            "values": [buildings.sheet, buildings.first_row, buildings.col("ytd_tax"), last, buildings.col("ytd_tax")],
            "fill": {"color": "#1F3A5F"},
        })
        bar.set_title({"name": _("Top %(num)d buildings by tax, YTD %(month)s", num=TOP_BUILDINGS_CHART, month=m)})
        bar.set_x_axis({"num_format": '"¥"#,##0', "major_gridlines": {"visible": True}})
        bar.set_y_axis({"reverse": True})
        bar.set_legend({"none": True})
        bar.set_size({"width": 900, "height": 520})
        charts.insert_chart(2, 0, bar)
    else:
        charts.write_string(2, 0, _("No building has tax in the year to date."), book.formats["note"])
    charts.write_string(30, 0, _("Total tax per month, last 12 months, against the same month a year earlier"),
                        book.formats["subtitle"])
    line = book.wb.add_chart({"type": "line"})
    for key, name, color in (("total_tax", _("This year"), "#1F3A5F"), ("last_year", _("Previous year"), "#9CA3AF")):
        line.add_series({
            "name": name,
            "categories": [trend.sheet, trend.first_row, trend.col("month"), trend.last_row, trend.col("month")],
            "values": [trend.sheet, trend.first_row, trend.col(key), trend.last_row, trend.col(key)],
            "line": {"color": color, "width": 2.25}, "marker": {"type": "circle", "size": 5},
        })
    line.set_title({"name": _("12-month tax trend to %(month)s", month=m)})
    line.set_y_axis({"num_format": '"¥"#,##0', "major_gridlines": {"visible": True}})
    line.set_size({"width": 900, "height": 420})
    charts.insert_chart(32, 0, line)

    enterprises, share = _("Enterprises"), _("Share of YTD tax")
    book.table(book.sheet(names["industries"]), s.industries, [
        Col("label", _("Industry (GB/T 4754)")), Col("enterprises", enterprises, "int"),
        Col("month_tax", tax_m, "rmb"), Col("ytd_tax", ytd, "rmb"),
        Col("last_ytd_tax", last_ytd, "rmb"), Col("growth", yoy, "pct"), Col("share", share, "pct"),
    ])
    book.table(book.sheet(names["top"]), s.top, [
        Col("rank", _("Rank"), "int"), Col("name", _("Enterprise")), Col("name_zh", _("Chinese name")),
        Col("uscc", _("USCC")), Col("building", _("Building")), Col("industry", _("Industry")),
        Col("hq_label", _("Headquarters")), Col("month_tax", tax_m, "rmb"), Col("ytd_tax", ytd, "rmb"),
        Col("last_ytd_tax", last_ytd, "rmb"), Col("growth", yoy, "pct"), Col("share", share, "pct"),
    ], empty_note=_("No enterprise has tax in the year to date."))
    book.table(book.sheet(names["headquarters"]), s.headquarters, [
        Col("type", _("Headquarters type")), Col("enterprises", enterprises, "int"),
        Col("month_tax", tax_m, "rmb"), Col("ytd_tax", ytd, "rmb"), Col("share", share, "pct"),
    ])
