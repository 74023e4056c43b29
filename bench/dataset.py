"""The benchmark district: a deterministic dataset at the scale issue 5 names, loaded with COPY.

Shared by bench/reports.py and bench/imports.py. Not a test fixture and not demo data: nothing
here goes through the services (that would take hours at this size); rows are generated in
Python from one seeded ``random.Random`` and streamed into PostgreSQL with psycopg's
``cursor.copy()``. The same seed and scale give the same rows, byte for byte.

Default scale: 10 grids, 100 buildings, 47 staff, 20,000 enterprises, 36 months of tax
(720,000 rows, every enterprise every month, 0.00 before it moved in or after it moved out),
50,000 requests with their milestones and events (cut at ``NOW``: requests of the last days are
still open, some old ones are stuck open and overdue, tracked ones run for weeks), visits,
ratings, moved-in and moved-out enterprises and recorded relocation intents.

The reported month is ``PERIOD`` (2026-10); the data runs until ``NOW``, a few days into the
next month, so every report has rows after its period to leave out.
"""
from __future__ import annotations

import csv
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from app.uscc import make as make_uscc  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
SEED = 20261031
#: The month the benchmarks report on, and the last month of tax.
PERIOD = "2026-10"
#: The moment the data was "taken": requests received until then, nothing after it.
NOW = datetime(2026, 11, 5, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/butler_bench"
TAX_HEADER = ("uscc", "month", "total_tax", "district_tax")


@dataclass(frozen=True)
class Scale:
    buildings: int = 100
    enterprises: int = 20_000
    months: int = 36
    requests: int = 50_000

    @property
    def tax_rows(self) -> int:
        return self.enterprises * self.months


FULL = Scale()
QUICK = Scale(buildings=20, enterprises=2_000, months=24, requests=5_000)


# --------------------------------------------------------------------------- helpers


def libpq_url(url, database: str | None = None) -> str:
    url = make_url(url).set(drivername="postgresql")
    if database:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def print_profile(path, lines: int = 30) -> None:
    """A cProfile dump, by cumulative then by own time (the benchmarks' --profile)."""
    import pstats

    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)


def recreate_database(url) -> None:
    """Drop and create the benchmark database (only ever the one the benchmark names)."""
    name = make_url(url).database
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url) -> None:
    name = make_url(url).database
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url) -> None:
    """Build the schema with the migrations (as production does), in a throwaway app context."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import Config

    class MigrateConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = "redis://127.0.0.1:6379/11"

    app = create_app(MigrateConfig)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()
        db.engine.dispose()


def shift(month: str, months: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=SHANGHAI).astimezone(UTC)


def _money(x: float) -> str:
    return f"{max(x, 0.0):.2f}"


# --------------------------------------------------------------------------- the district

INDUSTRY_WEIGHTS = {"L": 24, "J": 16, "I": 12, "F": 12, "M": 9, "K": 6, "C": 5, "R": 3, "H": 3, "G": 2,
                    "E": 2, "O": 2, "P": 1, "Q": 1, "N": 1, "D": 1}
MOVE_OUT_REASONS = ("Relocated to Pudong for larger offices", "Rent too high", "Merged into group HQ",
                    "Business closed", "Moved to Hongqiao hub")
#: Names that must never become formulas in a workbook (the reports neutralise them).
HOSTILE_NAMES = ("=HYPERLINK(\"http://x\",\"click\") Ltd", "+86 Trading Co", "-Minus Design Studio",
                 "@Home Services Ltd")


@dataclass
class District:
    """What the generator made, for the benchmarks to use (ids are 1-based, as loaded)."""

    scale: Scale
    months: list[str]
    usccs: list[str] = field(default_factory=list)
    officer_ids: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _staff(rng: random.Random) -> list[tuple]:
    rows = [(1, "admin@bench.example", "Admin", "admin")]
    rows += [(1 + i, f"leader{i}@bench.example", f"Leader {i}", "leader") for i in range(1, 3)]
    rows += [(3 + i, f"chief{i}@bench.example", f"Chief {i}", "chief") for i in range(1, 5)]
    rows += [(7 + i, f"officer{i:02d}@bench.example", f"Officer {i:02d}", "officer") for i in range(1, 41)]
    created = NOW - timedelta(days=1200)
    # Nobody logs in to the benchmark database: the hash is deliberately unusable.
    return [(uid, email, name, None, "!bench-no-login", role, None, True, 0, None, None, created)
            for uid, email, name, role in rows]


def generate(url, scale: Scale = FULL, *, tax: bool = True, tax_csv: Path | None = None, service: bool = True,
             seed: int = SEED, log=print) -> District:
    """Fill an empty migrated database with the district (tax rows too unless ``tax=False``).

    ``service=False`` leaves out visits and requests (the import benchmark does not need them).

    ``tax_csv``: also write the tax rows as the tax bureau's CSV (uscc, month, total_tax,
    district_tax), in the same order; bench/imports.py imports that file.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    months = [shift(PERIOD, -k) for k in range(scale.months - 1, -1, -1)]
    district = District(scale, months)
    first_day = month_start(months[0])
    with psycopg.connect(libpq_url(url)) as conn:
        # --- staff, grids, buildings
        staff = _staff(rng)
        officers = [r[0] for r in staff if r[5] == "officer"]
        district.officer_ids = officers
        _copy(conn, "users", ("id", "email", "name", "phone", "password_hash", "role", "enterprise_id", "active",
                              "failed_logins", "locked_until", "last_login_at", "created_at"), staff)
        grids = [(g, f"Bench grid {g}", f"第{g}网格") for g in range(1, 11)]
        _copy(conn, "grids", ("id", "name", "name_zh"), grids)
        buildings, building_officers = [], []
        for b in range(1, scale.buildings + 1):
            gross = rng.randrange(30_000, 250_000)
            buildings.append((b, f"Bench Tower {b:03d}", f"测试大厦{b:03d}号", f"{b} Nanjing West Road", 1 + b % 10,
                              f"{gross}.00", f"{int(gross * rng.uniform(0.6, 0.85))}.00", rng.randrange(12, 70),
                              first_day, first_day))
            for officer in rng.sample(officers, 2):
                building_officers.append((b, officer))
        _copy(conn, "buildings", ("id", "name", "name_zh", "address", "grid_id", "gross_floor_area", "office_area",
                                  "floors", "created_at", "updated_at"), buildings)
        _copy(conn, "building_officers", ("building_id", "user_id"), building_officers)

        # --- enterprises
        enterprises, profiles = _enterprises(rng, scale, months, officers)
        district.usccs = [e[3] for e in enterprises]
        _copy(conn, "enterprises", ENTERPRISE_COLUMNS, enterprises)
        district.counts["enterprises"] = len(enterprises)

        # --- tax
        if tax or tax_csv is not None:
            writer = fh = None
            if tax_csv is not None:
                fh = open(tax_csv, "w", newline="", encoding="utf-8")
                writer = csv.writer(fh)
                writer.writerow(TAX_HEADER)
            try:
                copy_rows = []
                for row in _tax_rows(rng, profiles, months):
                    if writer is not None:
                        writer.writerow((district.usccs[row[0] - 1], *row[1:]))
                    if tax:
                        copy_rows.append(row)
                if tax:
                    _copy(conn, "tax_records", ("enterprise_id", "month", "total_tax", "district_tax"), copy_rows)
                district.counts["tax_records"] = len(copy_rows) if tax else 0
            finally:
                if fh is not None:
                    fh.close()

        # --- visits, requests, milestones, events
        visits, visit_officers, requests, milestones, events, departments, counters = _service(
            rng, scale, profiles, officers, first_day) if service else ([], [], [], [], [], [], {})
        _copy(conn, "visits", ("id", "enterprise_id", "visited_on", "summary", "created_by_id", "created_at"), visits)
        _copy(conn, "visit_officers", ("visit_id", "user_id"), visit_officers)
        _copy(conn, "service_requests", REQUEST_COLUMNS, requests)
        _copy(conn, "request_departments", ("request_id", "department_id"), departments)
        _copy(conn, "milestones", ("request_id", "cycle", "kind", "started_at", "due_at", "met_at", "breached_at",
                                   "breach_scan"), milestones)
        _copy(conn, "request_events", ("request_id", "at", "actor_id", "kind", "from_state", "to_state", "action",
                                       "text", "internal", "rating"), events)
        _copy(conn, "reference_counters", ("year", "last"), sorted(counters.items()))
        district.counts.update(visits=len(visits), service_requests=len(requests), milestones=len(milestones),
                               request_events=len(events))
        for table in ("users", "grids", "buildings", "enterprises", "visits", "service_requests",
                      "milestones", "request_events"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
        conn.commit()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    log(f"  generated in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{n:,} {t}" for t, n in district.counts.items()))
    return district


def _copy(conn, table: str, columns: tuple[str, ...], rows) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


ENTERPRISE_COLUMNS = (
    "id", "name", "name_zh", "uscc", "uscc_override", "industry", "hq_type", "hq_recognised_on", "building_id",
    "unit", "registered_in_district", "employees", "moved_in_on", "moved_out_on", "move_out_reason",
    "relocation_intent_on", "relocation_intent_note", "key_tier", "officer_id", "status", "contact_name",
    "contact_phone", "contact_email", "created_at", "updated_at",
)


@dataclass
class _Profile:
    """How one enterprise's tax and service behave (not stored)."""

    id: int
    base: float          # monthly total tax at the start, RMB
    growth: float        # per month
    district_share: float
    moved_in: str | None   # first month with tax, when inside the window
    moved_out: str | None  # first month without tax, when inside the window
    declining: bool      # tax falls away over the last 6 months (early warning)
    key: bool
    officer: int
    activity: float      # relative number of requests


def _enterprises(rng: random.Random, scale: Scale, months: list[str], officers: list[int]):
    rows, profiles = [], []
    industries, weights = zip(*INDUSTRY_WEIGHTS.items(), strict=True)
    # The big payers: a few towers hold most of them (月亿楼 and 亿元楼 at the top of the ranking).
    giants = max(4, scale.enterprises // 500)
    hot_buildings = list(range(1, min(scale.buildings, 8) + 1))
    window_start = date.fromisoformat(months[0] + "-01")
    for i in range(1, scale.enterprises + 1):
        uscc = make_uscc(f"91310106MA{i:07d}")
        giant = i <= giants
        if giant and i % 5:
            building = hot_buildings[i % len(hot_buildings)]
        elif giant or rng.random() < 0.93:
            building = rng.randrange(1, scale.buildings + 1)
        else:
            building = None  # registered here, office elsewhere
        if giant:
            base = rng.uniform(5e6, 25e6) * (2.0 if building in (1, 2, 3, 4) else 1.0)
        else:
            base = rng.lognormvariate(math.log(8_000), 1.7)
        hq = "none"
        if giant or rng.random() < 0.03:
            hq = "regional-hq" if giant or rng.random() < 0.5 else "hq-institution"
        key_tier = "district-key" if giant or base > 1e6 else (
            "subdistrict-key" if base > 2e5 or rng.random() < 0.04 else "normal")
        # Move-ins: 15 % inside the window; move-outs: 6 %, mostly in the last two years.
        moved_in_on = window_start - timedelta(days=rng.randrange(30, 9000))
        moved_in = None
        if not giant and rng.random() < 0.15:
            moved_in_on = window_start + timedelta(days=rng.randrange(0, len(months) * 30 - 10))
            moved_in = f"{moved_in_on.year:04d}-{moved_in_on.month:02d}"
        moved_out_on = moved_out = reason = None
        status = "active"
        if not giant and rng.random() < 0.06:
            earliest = max(moved_in_on + timedelta(days=60), window_start + timedelta(days=365))
            latest = NOW.astimezone(SHANGHAI).date() - timedelta(days=1)
            if earliest < latest:
                moved_out_on = earliest + timedelta(days=rng.randrange(0, (latest - earliest).days))
                moved_out = shift(f"{moved_out_on.year:04d}-{moved_out_on.month:02d}", 1)
                reason = rng.choice(MOVE_OUT_REASONS)
                status = "moved-out"
        declining = status == "active" and rng.random() < 0.03
        relocation_on = relocation_note = None
        if status == "active" and rng.random() < 0.015:
            relocation_on = NOW.astimezone(SHANGHAI).date() - timedelta(days=rng.randrange(5, 400))
            relocation_note = "Looking at offices in Qiantan"
        if status == "active" and (declining or relocation_on) and rng.random() < 0.5:
            status = "at-risk"
        name = f"Bench Enterprise {i:05d} Ltd"
        if i % 4999 == 0:
            name = HOSTILE_NAMES[(i // 4999) % len(HOSTILE_NAMES)]
        officer = officers[i % len(officers)]
        created = datetime.combine(min(moved_in_on, window_start), datetime.min.time(), UTC)
        rows.append((
            i, name, f"测试企业{i:05d}有限公司", uscc, False, rng.choices(industries, weights)[0], hq,
            (moved_in_on + timedelta(days=rng.randrange(100, 2000))) if hq != "none" else None,
            building, f"{rng.randrange(2, 60)}F" if building else None, rng.random() > 0.03,
            max(1, int(rng.lognormvariate(math.log(40), 1.2) * (20 if giant else 1))), moved_in_on,
            moved_out_on, reason, relocation_on, relocation_note, key_tier, officer, status,
            f"Contact {i}", f"+86 21 6{i:07d}", f"contact{i}@enterprise{i}.example", created, created,
        ))
        profiles.append(_Profile(
            id=i, base=base, growth=rng.gauss(0.004, 0.006), district_share=rng.uniform(0.25, 0.5),
            moved_in=moved_in, moved_out=moved_out, declining=declining, key=key_tier != "normal",
            officer=officer, activity=3.0 if giant else (1.5 if key_tier != "normal" else 1.0),
        ))
    return rows, profiles


#: Quarterly and annual settlements make some months heavier.
SEASON = {1: 1.25, 2: 0.8, 3: 0.95, 4: 1.15, 5: 1.3, 6: 0.95, 7: 1.15, 8: 0.9, 9: 0.95, 10: 1.1, 11: 0.85,
          12: 1.0}


def _tax_rows(rng: random.Random, profiles: list[_Profile], months: list[str]):
    """(enterprise_id, month, total, district) for every enterprise and month, amounts as text."""
    last = len(months) - 1
    for p in profiles:
        for k, month in enumerate(months):
            if (p.moved_in and month < p.moved_in) or (p.moved_out and month >= p.moved_out):
                yield (p.id, month, "0.00", "0.00")
                continue
            amount = p.base * (1 + p.growth) ** k * SEASON[int(month[5:7])] * rng.uniform(0.85, 1.15)
            if p.declining and k > last - 6:
                amount *= 0.45
            total = round(amount, 2)
            yield (p.id, month, _money(total), _money(round(total * p.district_share, 2)))


# --------------------------------------------------------------------------- service: visits and requests

REQUEST_COLUMNS = (
    "id", "reference", "year", "seq", "enterprise_id", "category", "topic_id", "handling_mode_id", "channel",
    "priority", "title", "description", "state", "level", "assigned_officer_id", "visit_id", "created_by_id",
    "received_at", "closed_at", "rating", "rating_comment", "cycle", "version",
)
#: handling_modes as migration 0002 seeds them: immediate 1, on-site 2, joint 3, tracked 4 (staged).
MODES = ((1, 35), (2, 35), (3, 20), (4, 10))
CHANNELS = (("portal", 30), ("visit", 20), ("phone", 35), ("walk-in", 15))
LEVELS = ("officer", "chief", "leadership")
MINUTE = timedelta(minutes=1)


def _working_time(rng: random.Random, day: date) -> datetime:
    """A moment in Shanghai office hours (08:00-20:00) on `day`, as UTC."""
    seconds = rng.randrange(8 * 3600, 20 * 3600)
    return (datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(seconds=seconds)).astimezone(UTC)


def _service(rng: random.Random, scale: Scale, profiles: list[_Profile], officers: list[int], first_day: datetime):
    visits, visit_officers, requests, milestones, events, departments = [], [], [], [], [], []
    counters: dict[int, int] = {}
    start_date = first_day.astimezone(SHANGHAI).date()
    end_date = NOW.astimezone(SHANGHAI).date()
    span_days = (end_date - start_date).days

    def add_visit(p: _Profile, day: date) -> int:
        vid = len(visits) + 1
        at = _working_time(rng, day)
        visits.append((vid, p.id, day, f"Visit to enterprise {p.id}: operations, talent, policy needs", p.officer,
                       at))
        visit_officers.append((vid, p.officer))
        return vid

    # Visits: key enterprises every ~2 months (a few go quiet for over 180 days), others now and then.
    for p in profiles:
        if p.moved_out:
            continue
        if p.key:
            quiet = rng.random() < 0.1
            day = start_date + timedelta(days=rng.randrange(0, 60))
            limit = end_date - timedelta(days=200) if quiet else end_date
            while day <= limit:
                add_visit(p, day)
                day += timedelta(days=rng.randrange(30, 90))
        elif rng.random() < 0.5:
            for _ in range(rng.randrange(1, 4)):
                add_visit(p, start_date + timedelta(days=rng.randrange(0, span_days)))

    weights = [p.activity for p in profiles]
    chosen = rng.choices(profiles, weights, k=scale.requests)
    # Received times: growing use over the window (density rising by half), recent days included.
    received = []
    while len(received) < scale.requests:
        # Use grows over the window: two thirds spread evenly, one third weighted to recent months.
        u = rng.random()
        offset = int(span_days * (math.sqrt(u) if rng.random() < 1 / 3 else u))
        at = _working_time(rng, start_date + timedelta(days=offset))
        if at < NOW:
            received.append(at)
    received.sort()
    for rid, (p, at) in enumerate(zip(chosen, received, strict=True), start=1):
        local = at.astimezone(SHANGHAI)
        year = local.year
        counters[year] = counters.get(year, 0) + 1
        seq = counters[year]
        mode = rng.choices([m for m, _ in MODES], [w for _, w in MODES])[0]
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        visit_id = add_visit(p, local.date()) if channel == "visit" else None
        category = rng.choice(("difficulty", "problem", "need"))
        topic = rng.randrange(1, 9)
        title = f"Request {rid}: {('parking', 'permit', 'talent housing', 'subsidy', 'lift repair')[rid % 5]}"
        req = _lifecycle(rng, rid, at, staged=mode == 4, officer=p.officer, joint=mode == 3)
        milestones.extend(req["milestones"])
        events.extend(req["events"])
        departments.extend((rid, d) for d in req["departments"])
        requests.append((
            rid, f"JAS-{year}-{seq:06d}", year, seq, p.id, category, topic, mode, channel,
            "urgent" if rid % 50 == 0 else ("high" if rid % 7 == 0 else "normal"), title,
            f"{title}, reported by {channel}.", req["state"], req["level"], p.officer, visit_id,
            p.officer if channel != "portal" else None, at, req["closed_at"], req["rating"], req["comment"],
            req["cycle"], req["version"],
        ))
    return visits, visit_officers, requests, milestones, events, departments, counters


def _lifecycle(rng: random.Random, rid: int, received: datetime, *, staged: bool, officer: int, joint: bool) -> dict:
    """One request's whole life, generated as if it ran to the end, then cut at NOW.

    Milestones are met on time most of the time (respond 92 %, on site 86 %, solved 80 %), late
    otherwise; 2.5 % are returned, 3 % get stuck open (never solved: open and overdue), 3 % are
    resolved but never confirmed; ratings of 1-2 reopen the request for a second cycle. A missed
    milestone is breached by the every-minute scan (or when met late before the scan saw it), with
    an escalation event each time the ladder has a step left.
    """
    spans = ((timedelta(days=1), timedelta(days=7), timedelta(days=30)) if staged else
             (timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=30)))
    on_time = (0.92, 0.86, 0.80)
    ev: list[tuple[datetime, tuple]] = []   # (at, event row without request_id/at)
    mls: list[list] = []
    state, level, cycle, version = "submitted", 0, 1, 1
    closed_at = rating = comment = None
    depts: list[int] = []

    def event(at, kind, actor=None, from_state=None, to_state=None, action=None, text=None, internal=False,
              rate=None):
        ev.append((at, (actor, kind, from_state, to_state, action, text, internal, rate)))

    event(received, "created", officer, None, "submitted", None, "Received: " + str(rid))
    fate = rng.random()
    cycle_start = received
    for current_cycle in (1, 2):
        dues = [cycle_start + s for s in spans]
        met: list[datetime | None] = [None, None, None]
        stuck = fate < 0.03
        stuck_at = rng.choice((0, 1, 2, 2))  # the first milestone a stuck request never meets
        returned = 0.03 <= fate < 0.055 and current_cycle == 1
        prev = cycle_start
        for k in range(3):
            if returned and k > 0:
                break
            if stuck and k == stuck_at:
                break  # never met, nor any after it: open and overdue
            span = spans[k]
            if rng.random() < on_time[k]:
                target = dues[k] - span * rng.uniform(0.0, 0.9 if k == 0 else 0.6)
            else:
                target = dues[k] + span * rng.uniform(0.05, 2.5)
            met[k] = max(target, prev + timedelta(seconds=30))
            prev = met[k]
        actions = (("respond", "submitted" if current_cycle == 1 else "reopened", "accepted"),
                   ("arrive", "accepted", "on_site"), ("resolve", "on_site", "resolved"))
        plan = rng.random() < 0.2
        for k, when in enumerate(met):
            if when is None:
                continue
            name, src, dst = actions[k]
            if k == 2 and plan:
                event(when, "transition", officer, "on_site", "plan_given", "give_plan", "Plan: staged fix agreed")
                src = "plan_given"
                resolve_at = when + timedelta(days=rng.uniform(1, 20))
                event(resolve_at, "transition", officer, src, dst, name, "Resolved")
            else:
                event(when, "transition", officer, src, dst, name, "Done" if k == 2 else None)
            if k == 0 and joint:
                dept = rng.randrange(1, 9)
                if dept not in depts:
                    depts.append(dept)
                event(when + MINUTE, "dispatch", 4, None, None, None, "Dispatched", True)
        if returned:
            ret_at = (met[0] or cycle_start) + timedelta(minutes=rng.uniform(1, 60))
            event(ret_at, "transition", officer, "accepted" if met[0] else "submitted", "returned", "return",
                  "Wrong channel: please apply at the district service centre")
        for k in range(3):
            due, when = dues[k], met[k]
            if returned and when is None:
                breached = None  # a returned request is not open: the scan leaves its clocks alone
            elif when is not None and when <= due:
                breached = None
            else:
                scan = due + timedelta(seconds=rng.uniform(1, 60))
                breached = when if when is not None and when < scan else scan
                kind = ("respond", "on_site", "solve")[k]
                event(breached, "breach", None, None, None, None, f"Missed: {kind.replace('_', ' ')}")
                event(breached, "escalation", None, None, None, None, "Escalated automatically", True)
            mls.append([current_cycle, ("respond", "on_site", "solve")[k], cycle_start, due, when, breached])
        if returned or stuck or met[2] is None:
            break
        resolved_at = max(at for at, _ in ev)
        if rng.random() < 0.03:
            break  # resolved, never confirmed
        confirm_at = resolved_at + timedelta(hours=rng.uniform(1, 96))
        r = rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0] if current_cycle == 1 else rng.choice((4, 5))
        event(confirm_at, "transition", officer, "resolved", "closed", "confirm", None)
        event(confirm_at, "rating", None, None, None, None, f"Rated {r}/5", False, r)
        if r <= 2 and current_cycle == 1:
            event(confirm_at, "transition", None, "closed", "reopened", "reopen", "Unsatisfied: reopened")
            cycle_start = confirm_at
            fate = rng.random() * 2 if rng.random() < 0.7 else 0.0  # most reopened requests get solved
            continue
        break

    # Cut at NOW: what happened after it has not happened yet.
    ev.sort(key=lambda e: e[0])
    rows, milestones = [], []
    for at, (actor, kind, from_state, to_state, action, text, internal, rate) in ev:
        if at > NOW:
            continue
        rows.append((rid, at, actor, kind, from_state, to_state, action, text, internal, rate))
        if kind == "transition":
            state, version = to_state, version + 1
            if action == "confirm":
                closed_at = at
            if action == "reopen":
                cycle, closed_at, rating, comment = cycle + 1, None, None, None
        elif kind == "escalation":
            if level < 2:
                level += 1
            else:
                rows.pop()  # already with leadership: no step left
        elif kind == "rating":
            rating, comment = rate, None
    for c, kind, start, due, when, breached in mls:
        if start > NOW:
            continue
        milestones.append((rid, c, kind, start, due, when if when and when <= NOW else None,
                           breached if breached and breached <= NOW else None,
                           f"bench{breached.strftime('%Y%m%d%H%M')}" if breached and breached <= NOW else None))
    if state != "closed":
        closed_at, rating = None, None
    return {"milestones": milestones, "events": rows, "departments": depts, "state": state, "level": LEVELS[level],
            "cycle": cycle, "version": version, "closed_at": closed_at, "rating": rating, "comment": comment}


# --------------------------------------------------------------------------- tax files


def write_update_csv(source: Path, target: Path, every: int = 10, seed: int = SEED) -> int:
    """A copy of a tax CSV with every `every`-th row's amounts changed (a corrected re-issue); returns how many."""
    rng = random.Random(seed + 1)
    changed = 0
    with open(source, newline="", encoding="utf-8") as src, open(target, "w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for n, (uscc, month, total, district) in enumerate(reader):
            if n % every == 0:
                bump = round(rng.uniform(1, 500), 2)
                total = f"{float(total) + bump:.2f}"
                changed += 1
            writer.writerow((uscc, month, total, district))
    return changed


def file_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


if __name__ == "__main__":  # a quick look: python bench/dataset.py [--quick] (keeps butler_bench)
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    recreate_database(DEFAULT_URL)
    migrate(DEFAULT_URL)
    generate(DEFAULT_URL, QUICK if args.quick else FULL, tax_csv=Path("/tmp/bench-tax.csv"))
