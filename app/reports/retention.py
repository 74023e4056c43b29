"""Report 2, enterprise retention for month M (DESIGN.md "Reports").

Stability rate = enterprises active at the start of the year that are still active and
registered in the district at the end of M ÷ those active at the start of the year. Move-ins
and move-outs of the year to date, per building, and the early-warning list: each at-risk
enterprise with the reason for every flag. Moved-out enterprises are never at risk.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from flask_babel import gettext as _, ngettext

from app import formatting
from app.models import KeyTier
from app.reports import queries
from app.reports.excel import Book, Col, Indicator
from app.reports.period import Period, shift

#: Tax down by at least this fraction year on year, in each of the last three months.
TAX_DROP = Decimal("0.30")
DROP_MONTHS = 3
#: Key-tier enterprises not visited in this many days are flagged.
VISIT_DAYS = 180
KEY_TIERS = {KeyTier.district_key.value, KeyTier.subdistrict_key.value}

#: The early-warning flags, each a column of the At risk sheet.
FLAGS = ("flag_tax", "flag_request", "flag_visit", "flag_intent")


def flag_labels() -> dict[str, str]:
    """Each flag's column header, in the current locale."""
    return {
        "flag_tax": _("Tax down ≥ 30 % YoY (3 months)"),
        "flag_request": _("Breached request open"),
        "flag_visit": _("No visit in %(days)d days", days=VISIT_DAYS),
        "flag_intent": _("Relocation intent"),
    }


def key_tier_label(tier: KeyTier) -> str:
    """A key tier as the report shows it, in the current locale."""
    return {KeyTier.district_key: _("District key"), KeyTier.subdistrict_key: _("Sub-district key"),
            KeyTier.normal: _("Normal")}[tier]


@dataclass
class RetentionSection:
    period: Period
    base: int
    stayed: int
    active: int
    move_ins: pd.DataFrame
    move_outs: pd.DataFrame
    at_risk: pd.DataFrame
    buildings: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def stability(self) -> Decimal | None:
        return Decimal(self.stayed) / Decimal(self.base) if self.base else None


def _on_or_before(d, limit: date) -> bool:
    return d is not None and not pd.isna(d) and d <= limit


def classify(ents: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Add the retention columns: in the base, stayed, active at the end, moved in / out this year."""
    jan1, end = period.year_first_day, period.last_day
    out = ents.copy()

    def mask(column: str, test) -> pd.Series:
        return out[column].map(lambda d: d is not None and not pd.isna(d) and test(d)).astype(bool)

    gone_by_jan1 = mask("moved_out_on", lambda d: d < jan1)
    gone_by_end = mask("moved_out_on", lambda d: d <= end)
    out["in_base"] = ~mask("moved_in_on", lambda d: d >= jan1) & ~gone_by_jan1
    out["active_end"] = ~mask("moved_in_on", lambda d: d > end) & ~gone_by_end
    out["stayed"] = out["in_base"] & out["active_end"] & out["registered_in_district"].astype(bool)
    out["moved_in_ytd"] = mask("moved_in_on", lambda d: jan1 <= d <= end)
    out["moved_out_ytd"] = mask("moved_out_on", lambda d: jan1 <= d <= end)
    return out


def _percent(fraction: Decimal) -> str:
    return f"{fraction * 100:.1f} %"


def _candidates(ents: pd.DataFrame, period: Period, months: queries.TaxMonths, breached: pd.Index,
                visits: pd.Series) -> pd.DataFrame:
    """The active enterprises that may carry a flag, found column-wise so that only they are looked
    at one by one (a few thousand of twenty thousand). A superset: flag_reasons decides each flag."""
    mask = ents["id"].isin(breached)
    if len(months.recent) == DROP_MONTHS:
        down = pd.Series(True, index=ents.index)
        for k in range(DROP_MONTHS):
            now, before = ents[f"tax_m{k}"], ents[f"tax_ly{k}"]
            down &= (before > 0).astype(bool) & (now <= before * (1 - TAX_DROP)).astype(bool)
        mask |= down
    last = ents["id"].map(visits)
    cutoff = period.last_day - timedelta(days=VISIT_DAYS)
    stale = last.map(lambda d: d is None or pd.isna(d) or d <= cutoff).astype(bool)
    mask |= ents["key_tier"].isin(KEY_TIERS) & stale
    mask |= ents["relocation_intent_on"].map(lambda d: _on_or_before(d, period.last_day)).astype(bool)
    return ents[ents["active_end"] & mask]


def flag_reasons(ents: pd.DataFrame, period: Period, months: queries.TaxMonths) -> pd.DataFrame:
    """The at-risk list: enterprises active at the end of the period with at least one flag, each with its reason.

    The tax-drop flag compares the last three months that have tax data (tax arrives late; a month
    not yet imported is not a 100 % drop) with the same months a year earlier."""
    breached = queries.open_breached_by_enterprise(period).set_index("enterprise_id")
    visits = queries.last_visits(period).set_index("enterprise_id")["last_visit"]
    recent = months.recent
    check_tax = len(recent) == DROP_MONTHS
    visit_cutoff = period.last_day - timedelta(days=VISIT_DAYS)
    # Each text translated once, then filled per enterprise (gettext per row costs more than the rest).
    texts = {
        "tax": _("Tax down year on year in each of the last %(num)d months (%(detail)s)"),
        "one_request": _("1 open request with a missed deadline (%(first)s)"),
        "visited": _("%(tier)s enterprise not visited in %(days)d days (last visit %(date)s)"),
        "never": _("%(tier)s enterprise not visited in %(days)d days (never visited)"),
        "intent_note": _("Relocation intent recorded %(date)s: %(note)s"),
        "intent": _("Relocation intent recorded %(date)s"),
    }
    tiers = {tier.value: str(key_tier_label(tier)) for tier in KeyTier}
    yes, separator = _("Yes"), _("; ")
    plurals: dict[int, str] = {}  # open-request count -> its sentence, with %(first)s still to fill
    rows = []
    for e in _candidates(ents, period, months, breached.index, visits).itertuples(index=False):
        reasons, flags = [], dict.fromkeys(FLAGS, False)
        drops = []
        for k in range(DROP_MONTHS if check_tax else 0):
            now, before = getattr(e, f"tax_m{k}"), getattr(e, f"tax_ly{k}")
            if before > 0 and now <= before * (1 - TAX_DROP):
                drops.append((recent[k], 1 - now / before))
        if check_tax and len(drops) == DROP_MONTHS:
            flags["flag_tax"] = True
            detail = ", ".join(f"{mon} −{_percent(d)}" for mon, d in reversed(drops))
            reasons.append(texts["tax"] % {"num": DROP_MONTHS, "detail": detail})
        if e.id in breached.index:
            count, first = int(breached.at[e.id, "open_breached"]), breached.at[e.id, "first_reference"]
            flags["flag_request"] = True
            if count == 1:
                reasons.append(texts["one_request"] % {"first": first})
            else:
                if count not in plurals:
                    plurals[count] = ngettext("%(num)d open request with a missed deadline (%(first)s and others)",
                                              "%(num)d open requests with a missed deadline (%(first)s and others)",
                                              count, first="%(first)s")
                reasons.append(plurals[count] % {"first": first})
        if e.key_tier in KEY_TIERS:
            last = visits.get(e.id)
            if last is None or pd.isna(last) or last <= visit_cutoff:
                flags["flag_visit"] = True
                values = {"tier": tiers[e.key_tier], "days": VISIT_DAYS}
                if last is not None and not pd.isna(last):
                    reasons.append(texts["visited"] % {**values, "date": last.strftime("%Y-%m-%d")})
                else:
                    reasons.append(texts["never"] % values)
        if _on_or_before(e.relocation_intent_on, period.last_day):
            flags["flag_intent"] = True
            note = (e.relocation_intent_note or "").strip()
            when = f"{e.relocation_intent_on:%Y-%m-%d}"
            reasons.append(texts["intent_note"] % {"date": when, "note": note} if note
                           else texts["intent"] % {"date": when})
        if reasons:
            rows.append({
                "id": e.id, "name": e.name, "name_zh": e.name_zh, "uscc": e.uscc, "building": e.building,
                "key_tier": tiers.get(e.key_tier, ""), "ytd_tax": e.ytd_tax,
                "flags": len(reasons), **{k: yes if v else "" for k, v in flags.items()},
                "reasons": separator.join(reasons),
            })
    columns = ["id", "name", "name_zh", "uscc", "building", "key_tier", "ytd_tax", "flags", *FLAGS, "reasons"]
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame = frame.assign(_tax=frame["ytd_tax"].map(float)).sort_values(
            ["flags", "_tax", "name"], ascending=[False, False, True]).drop(columns="_tax").reset_index(drop=True)
    return frame


def collect(period: Period, enterprises: pd.DataFrame | None = None,
            months: queries.TaxMonths | None = None) -> RetentionSection:
    months = months or queries.tax_months(period)
    ents = classify(queries.enterprise_tax(period, months) if enterprises is None else enterprises, period)
    at_risk = flag_reasons(ents, period, months)
    buildings = _buildings(ents, at_risk)
    section = RetentionSection(
        period=period,
        base=int(ents["in_base"].sum()),
        stayed=int(ents["stayed"].sum()),
        active=int(ents["active_end"].sum()),
        move_ins=ents[ents["moved_in_ytd"]].sort_values(["moved_in_on", "name"]).reset_index(drop=True),
        move_outs=ents[ents["moved_out_ytd"]].sort_values(["moved_out_on", "name"]).reset_index(drop=True),
        at_risk=at_risk,
        buildings=buildings,
    )
    if ents.empty:
        section.notes.append(_("No enterprises are registered: there is nothing to report on retention."))
    expected = [shift(period.month, -k) for k in range(DROP_MONTHS)]
    if len(months.recent) < DROP_MONTHS:
        section.notes.append(_(
            "Fewer than %(num)d months of tax data in the twelve months to %(period)s: the tax-drop early-warning "
            "flag is not evaluated.", num=DROP_MONTHS, period=str(period)))
    elif months.recent != expected:
        section.notes.append(_(
            "The tax-drop flag compares the last three months with tax data (%(months)s) with the same months a "
            "year earlier.", months=formatting.names(reversed(months.recent))))
    return section


def _buildings(ents: pd.DataFrame, at_risk: pd.DataFrame) -> pd.DataFrame:
    if ents.empty:
        return pd.DataFrame(columns=["building", "base", "stayed", "stability", "moved_in", "moved_out", "active",
                                     "at_risk"])
    risky = set(at_risk["id"])
    data = ents.assign(
        building=ents["building"].fillna(_("(no building recorded)")),
        at_risk=ents["id"].isin(risky),
    )
    grouped = data.groupby("building")
    frame = pd.DataFrame({
        "base": grouped["in_base"].sum(), "stayed": grouped["stayed"].sum(),
        "moved_in": grouped["moved_in_ytd"].sum(), "moved_out": grouped["moved_out_ytd"].sum(),
        "active": grouped["active_end"].sum(), "at_risk": grouped["at_risk"].sum(),
    }).astype(int).reset_index()
    frame["stability"] = [Decimal(int(s)) / Decimal(int(b)) if b else None for s, b in zip(frame["stayed"], frame["base"])]
    return frame.sort_values("building", key=lambda s: s.str.lower()).reset_index(drop=True)


def indicators(s: RetentionSection) -> list[Indicator]:
    """The Summary's indicators: each English key, its value, and its name and definition in the current locale."""
    return [
        Indicator("Active enterprises", s.active, "int", _(
            "Enterprises in the district at the end of the month: moved in on or before its last day (or earlier "
            "than records go) and not moved out by then."), _("Active enterprises")),
        Indicator("Stability rate", s.stability, "pct", _(
            "Enterprises active at the start of the year that are still active and registered in the district at "
            "the end of the month ÷ enterprises active at the start of the year."), _("Stability rate")),
        Indicator("Move-ins (YTD)", len(s.move_ins), "int", _(
            "Enterprises whose move-in date is between 1 January and the end of the month."), _("Move-ins (YTD)")),
        Indicator("Move-outs (YTD)", len(s.move_outs), "int", _(
            "Enterprises whose move-out date is between 1 January and the end of the month."), _("Move-outs (YTD)")),
        Indicator("At-risk enterprises", len(s.at_risk), "int", _(
            "Active enterprises with at least one early-warning flag at the end of the month: tax down ≥ 30 % year "
            "on year in each of the last 3 months; an open request with a missed 51530 deadline; a district-key or "
            "sub-district-key enterprise not visited in the 180 days up to the end of the month; or a recorded "
            "relocation intent. Moved-out enterprises are never at risk."), _("At-risk enterprises")),
    ]


def sheets() -> dict[str, str]:
    """The report's sheets in workbook order, in the current locale (each ≤ 31 characters, none of []:*?/\\)."""
    return {
        "at_risk": _("At risk"),
        "buildings": _("Retention by building"),
        "move_ins": _("Move-ins"),
        "move_outs": _("Move-outs"),
    }


def write(book: Book, s: RetentionSection) -> None:
    names = sheets()
    enterprise, name_zh, uscc, building = _("Enterprise"), _("Chinese name"), _("USCC"), _("Building")
    ytd = _("Tax YTD")
    book.table(book.sheet(names["at_risk"]), s.at_risk, [
        Col("name", enterprise), Col("name_zh", name_zh), Col("uscc", uscc), Col("building", building),
        Col("key_tier", _("Key tier")), Col("ytd_tax", ytd, "rmb"), Col("flags", _("Flags"), "int"),
        *[Col(key, label) for key, label in flag_labels().items()], Col("reasons", _("Reasons")),
    ], empty_note=_("No enterprise is at risk at the end of the month."))
    book.table(book.sheet(names["buildings"]), s.buildings, [
        Col("building", building), Col("base", _("Active at start of year"), "int"),
        Col("stayed", _("Still active and registered"), "int"), Col("stability", _("Stability rate"), "pct"),
        Col("moved_in", _("Move-ins (YTD)"), "int"), Col("moved_out", _("Move-outs (YTD)"), "int"),
        Col("active", _("Active at end of month"), "int"), Col("at_risk", _("At risk"), "int"),
    ], empty_note=_("No enterprises are registered."))
    book.table(book.sheet(names["move_ins"]), s.move_ins, [
        Col("moved_in_on", _("Moved in"), "date"), Col("name", enterprise), Col("name_zh", name_zh),
        Col("uscc", uscc), Col("building", building), Col("industry", _("Industry")),
    ], empty_note=_("No enterprise moved in this year to the end of the month."))
    book.table(book.sheet(names["move_outs"]), s.move_outs, [
        Col("moved_out_on", _("Moved out"), "date"), Col("name", enterprise), Col("name_zh", name_zh),
        Col("uscc", uscc), Col("building", building), Col("move_out_reason", _("Reason")),
        Col("ytd_tax", ytd, "rmb"),
    ], empty_note=_("No enterprise moved out this year to the end of the month."))
