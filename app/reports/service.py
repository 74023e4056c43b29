"""Report 3, service (51530) for month M (DESIGN.md "Reports").

Over the requests received in M, as of the end of M: a milestone is on time if met at or before
its due time; missed if met late, or still unmet with its due time passed; milestones not yet
due at the end of M are left out of that rate. Requests still open past a due time count as
breached (never only the closed ones). Satisfaction rate = ratings of 4 or 5 ÷ all ratings given
in M.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from flask_babel import gettext as _

from app.models import OPEN_STATES, Category, Channel, MilestoneKind, State
from app.reports import queries
from app.reports.excel import Book, Col, Indicator
from app.reports.period import SHANGHAI, Period

#: Each milestone's on-time rate: its Summary key (English in every language).
RATE_NAMES = {
    MilestoneKind.respond: "Responded on time",
    MilestoneKind.on_site: "On site on time",
    MilestoneKind.solve: "Solved or plan on time",
}


def milestone_label(kind: MilestoneKind) -> str:
    """A milestone as the report shows it, in the current locale."""
    return {MilestoneKind.respond: _("Respond"), MilestoneKind.on_site: _("On site"),
            MilestoneKind.solve: _("Solved or plan")}[kind]
_OPEN = {s.value for s in OPEN_STATES}


def _rate(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


@dataclass
class ServiceSection:
    period: Period
    received: pd.DataFrame
    milestones: pd.DataFrame
    on_time: pd.DataFrame  # one row per milestone kind
    breakdowns: dict[str, pd.DataFrame]
    breaches: pd.DataFrame
    overdue: pd.DataFrame
    ratings: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def rate(self, kind: MilestoneKind) -> Decimal | None:
        row = self.on_time[self.on_time["kind"] == kind.value].iloc[0]
        return row["rate"]

    @property
    def open_count(self) -> int:
        return int(self.received["state"].isin(_OPEN).sum()) if len(self.received) else 0

    @property
    def rated(self) -> int:
        return int(self.ratings["count"].sum())

    @property
    def satisfied(self) -> int:
        return int(self.ratings.loc[self.ratings["rating"] >= 4, "count"].sum())

    @property
    def satisfaction(self) -> Decimal | None:
        return _rate(self.satisfied, self.rated)


def collect(period: Period) -> ServiceSection:
    received = queries.received_requests(period)
    milestones = queries.milestones_of_received(period)
    ratings = queries.ratings(period)
    rows = []
    for kind in MilestoneKind:
        of_kind = milestones[milestones["kind"] == kind.value] if len(milestones) else milestones
        counts = of_kind["outcome"].value_counts() if len(of_kind) else {}
        on_time, missed, pending = (int(counts.get(k, 0)) for k in ("on_time", "missed", "pending"))
        rows.append({"kind": kind.value, "label": milestone_label(kind), "name": RATE_NAMES[kind], "on_time": on_time,
                     "missed": missed, "pending": pending, "rate": _rate(on_time, on_time + missed)})
    on_time = pd.DataFrame(rows)

    breaches = queries.breached_milestones(period)
    breaches["milestone"] = breaches["kind"].map(_milestone_labels())
    not_met = _("not met")
    breaches["met"] = breaches["met_at"].map(lambda v: v if v is not None and not pd.isna(v) else not_met)

    overdue = _open_and_overdue(queries.open_and_overdue(period))
    section = ServiceSection(
        period=period, received=received, milestones=milestones, on_time=on_time,
        breakdowns=_breakdowns(received), breaches=breaches.reset_index(drop=True), overdue=overdue,
        ratings=_rating_table(ratings),
    )
    if received.empty:
        section.notes.append(_("No requests were received in %(period)s: the service rates are n/a.",
                               period=str(period)))
    taken_at = queries.cutoff(period)
    if taken_at < period.as_of:
        section.notes.append(_("%(period)s is not over: the service figures are as of %(time)s (Shanghai time); "
                               "milestones not yet due then are left out.", period=str(period),
                               time=taken_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")))
    return section


def _milestone_labels() -> dict[str, str]:
    """Milestone kind -> its label, translated once per report rather than once per row."""
    return {kind.value: str(milestone_label(kind)) for kind in MilestoneKind}


def _open_and_overdue(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per request, its overdue milestones named."""
    columns = ["reference", "enterprise", "topic", "state_label", "received_at", "overdue_milestones", "title"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    grouped = rows.groupby("request_id", sort=False)
    frame = grouped.first()
    labels = _milestone_labels()
    frame["overdue_milestones"] = grouped["kind"].agg(lambda kinds: ", ".join(labels[k] for k in dict.fromkeys(kinds)))
    frame["state_label"] = frame["state"].map({s.value: str(s.label) for s in State})
    return frame[columns].reset_index(drop=True)


def _breakdowns(received: pd.DataFrame) -> dict[str, pd.DataFrame]:
    total = len(received)
    labels = {
        "category": lambda v: str(Category(v).label), "channel": lambda v: str(Channel(v).label),
        "topic": str, "building": str,
    }
    out = {}
    for key, label in labels.items():
        if total:
            counts = received[key].value_counts()
            frame = pd.DataFrame({"value": [label(v) for v in counts.index], "requests": counts.to_numpy()})
            frame = frame.sort_values(["requests", "value"], ascending=[False, True]).reset_index(drop=True)
        else:
            frame = pd.DataFrame(columns=["value", "requests"])
        frame["share"] = [_rate(int(n), total) for n in frame["requests"]]
        out[key] = frame
    return out


def _rating_table(ratings: pd.DataFrame) -> pd.DataFrame:
    counts = dict(zip(ratings["rating"], ratings["count"])) if len(ratings) else {}
    total = sum(int(v) for v in counts.values())
    return pd.DataFrame([
        {"rating": score, "count": int(counts.get(score, 0)), "share": _rate(int(counts.get(score, 0)), total)}
        for score in range(5, 0, -1)
    ])


def indicators(s: ServiceSection) -> list[Indicator]:
    """The Summary's indicators: each English key, its value, and its name and definition in the current locale."""
    respond, on_site, solve = (MilestoneKind.respond, MilestoneKind.on_site, MilestoneKind.solve)
    return [
        Indicator("Requests received", len(s.received), "int", _(
            "Requests received in the month (Shanghai time), whatever their state now."), _("Requests received")),
        Indicator(RATE_NAMES[respond], s.rate(respond), "pct", _(
            "Of the requests received in the month, respond milestones met at or before their due time ÷ those met "
            "on time plus those missed (met late, or unmet with the due time passed) as of the end of the month; "
            "milestones not yet due then are left out."), _("Responded on time")),
        Indicator(RATE_NAMES[on_site], s.rate(on_site), "pct", _(
            "The same rate for the on-site milestone (arrive within 15 minutes under 51530)."), _("On site on time")),
        Indicator(RATE_NAMES[solve], s.rate(solve), "pct", _(
            "The same rate for the solved-or-plan milestone (solve, or give a plan, within 30 minutes under 51530; "
            "staged deadlines for tracked requests)."), _("Solved or plan on time")),
        Indicator("Breaches", len(s.breaches), "int", _(
            "Milestones due in the month that were missed as of its end (met late, or still unmet) — whatever month "
            "their request was received in, open requests included."), _("Breaches")),
        Indicator("Open at month end", s.open_count, "int", _(
            "Requests received in the month still open at its end (submitted, accepted, on site, plan given or "
            "reopened)."), _("Open at month end")),
        Indicator("Open and overdue", len(s.overdue), "int", _(
            "Requests open at the end of the month — received in it or earlier — with a milestone unmet past its due "
            "time."), _("Open and overdue")),
        Indicator("Satisfaction rate", s.satisfaction, "pct", _(
            "Ratings of 4 or 5 given in the month ÷ all ratings given in the month."), _("Satisfaction rate")),
    ]


def sheets() -> dict[str, str]:
    """The report's sheets in workbook order, in the current locale (each ≤ 31 characters, none of []:*?/\\)."""
    return {
        "on_time": _("51530 on time"),
        "received": _("Requests received"),
        "breaches": _("Breaches"),
        "overdue": _("Open and overdue"),
        "satisfaction": _("Satisfaction"),
    }


def write(book: Book, s: ServiceSection) -> None:
    names = sheets()
    ws = book.sheet(names["on_time"])
    rate = _("On-time rate")
    table = book.table(ws, s.on_time, [
        Col("label", _("Milestone")), Col("on_time", _("On time"), "int"), Col("missed", _("Missed"), "int"),
        Col("pending", _("Not yet due at month end"), "int"), Col("rate", rate, "pct"),
    ])
    chart = book.wb.add_chart({"type": "column"})
    chart.add_series({
        "name": rate,
        "categories": [table.sheet, table.first_row, table.col("label"), table.last_row, table.col("label")],
        "values": [table.sheet, table.first_row, table.col("rate"), table.last_row, table.col("rate")],
        "fill": {"color": "#1F3A5F"},
        "data_labels": {"value": True, "num_format": "0.0%"},
    })
    chart.set_title({"name": _("51530 on-time rates, requests received in %(period)s", period=str(s.period))})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 640, "height": 360})
    ws.insert_chart(6, 0, chart)

    ws = book.sheet(names["received"])
    widths: dict[int, int] = {}
    row = 0
    requests, share, topic, enterprise, reference = _("Requests"), _("Share"), _("Topic"), _("Enterprise"), _("Reference")
    for key, title in (("category", _("Category (three haves)")), ("topic", topic), ("channel", _("Channel")),
                       ("building", _("Building"))):
        book.table(ws, s.breakdowns[key], [
            Col("value", title), Col("requests", requests, "int"), Col("share", share, "pct"),
        ], first_row=row, freeze=False, empty_note=_("No requests received in the month."), widths=widths)
        row += max(len(s.breakdowns[key]), 1) + 3

    book.table(book.sheet(names["breaches"]), s.breaches, [
        Col("reference", reference), Col("enterprise", enterprise), Col("topic", topic),
        Col("milestone", _("Milestone")), Col("cycle", _("Cycle"), "int"),
        Col("due_at", _("Due (Shanghai time)"), "datetime"), Col("met", _("Met (Shanghai time)"), "datetime"),
    ], empty_note=_("No milestone due in the month was missed."))
    book.table(book.sheet(names["overdue"]), s.overdue, [
        Col("reference", reference), Col("enterprise", enterprise), Col("topic", topic),
        Col("state_label", _("State at month end")), Col("received_at", _("Received (Shanghai time)"), "datetime"),
        Col("overdue_milestones", _("Overdue milestones")), Col("title", _("Title")),
    ], empty_note=_("No request was open and overdue at the end of the month."))
    book.table(book.sheet(names["satisfaction"]), s.ratings, [
        Col("rating", _("Rating"), "int"), Col("count", _("Ratings given in the month"), "int"),
        Col("share", share, "pct"),
    ])
