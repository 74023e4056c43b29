"""Benchmark: importing the district's tax file (720,000 rows of CSV) against PostgreSQL COPY of the same file.

Not a test. Needs PostgreSQL; makes (and afterwards drops) its own database:

    .venv/bin/python bench/imports.py                  # 3 runs, medians and ratios
    .venv/bin/python bench/imports.py --quick          # 2,000 enterprises x 24 months, 1 run: a smoke test
    .venv/bin/python bench/imports.py --profile        # also the three imports once more under cProfile (not counted)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@HOST:5432/NAME .venv/bin/python bench/imports.py

Once: the district of bench/dataset.py without its tax rows (20,000 enterprises, 100 buildings)
and its tax file as the tax bureau sends it (uscc, month, total_tax, district_tax), plus a
corrected re-issue of that file with every 10th row's total changed.

Each run empties ``tax_records`` (VACUUM, CHECKPOINT), then times, on the same file:
- the lower bound: ``COPY tax_copy FROM STDIN (FORMAT csv, HEADER)`` into a plain table with the
  file's four columns (no key, no index, no constraint), streamed from the file by psycopg,
  committed; best of three;
- for reference, the floor of a first import on this schema (time_floor: the file COPYed and
  loaded into the empty tax_records the fastest way PostgreSQL has, no row checked, no summary
  refreshed; rolled back), and the same for the leanest table that keeps the rules (only the key
  (enterprise_id, month), the foreign key and the checks: time_lean_floor); best of two each;
- the **first import** (every row inserted), the **re-import** of the same file (every row
  unchanged) and the **update import** (every 10th row changed): each
  ``app.services.imports.import_tax(path)`` plus its commit, in an app context on this database
  (as the CLI and the queue job run it), in a fresh child process so that nothing is cached
  between imports, as with a worker's forked job. The child reports its own timing (from just
  before import_tax to just after the commit, so interpreter start-up is not counted) and the
  split at 50 % progress (validation done), and the parent reads its peak RSS (wait4).
Ratio = import time / COPY time; the target of issue 5 is at most 5 (one fifth as fast as COPY).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from bench import dataset  # noqa: E402
from bench.dataset import print_profile  # noqa: E402

TARGET = 5.0
PHASES = ("first import", "re-import", "update import")


def time_copy(url, path: Path) -> tuple[int, float]:
    """Best of three: COPY the file into a plain table with its columns, and commit."""
    best = float("inf")
    with psycopg.connect(dataset.libpq_url(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS tax_copy")
        conn.execute("CREATE TABLE tax_copy (uscc varchar(18), month varchar(7), total_tax numeric(18, 2),"
                     " district_tax numeric(18, 2))")
        conn.commit()
        for _ in range(3):
            conn.execute("TRUNCATE tax_copy")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cur, open(path, "rb") as fh:
                with cur.copy("COPY tax_copy FROM STDIN (FORMAT csv, HEADER true)") as copy:
                    while block := fh.read(1 << 16):
                        copy.write(block)
            conn.commit()
            best = min(best, time.perf_counter() - started)
        rows = conn.execute("SELECT count(*) FROM tax_copy").fetchone()[0]
        conn.execute("DROP TABLE tax_copy")
        conn.commit()
    return rows, best


def stage_file(conn, path: Path) -> None:
    """COPY the file as it is into a temporary table floor_raw, dropped at the end of the transaction."""
    conn.execute("CREATE TEMPORARY TABLE floor_raw (uscc text, month text, total_tax numeric,"
                 " district_tax numeric) ON COMMIT DROP")
    with conn.cursor() as cur, open(path, "rb") as fh:
        with cur.copy("COPY floor_raw FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := fh.read(1 << 20):
                copy.write(block)


def time_floor(url, path: Path) -> float:
    """What a first import cannot do without on this schema, best of two, rolled back each time:
    COPY the file into a temporary table, then load tax_records the fastest way PostgreSQL has —
    its keys, index and foreign key dropped, one INSERT ... SELECT joining the codes to their
    enterprises, then each key and index built by one sort and the foreign key checked by one
    join. No row checked, no summary refreshed: a floor under the import, not a rival to it."""
    best = float("inf")
    with psycopg.connect(dataset.libpq_url(url)) as conn:
        keys = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint"
            " WHERE conrelid = 'tax_records'::regclass AND contype IN ('p', 'u', 'f')"
            " ORDER BY position(contype::text IN 'puf')").fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tax_records'"
            " AND indexname <> ALL(%s)", ([name for name, _, _ in keys],)).fetchall()
        conn.rollback()
        for _ in range(2):
            started = time.perf_counter()
            stage_file(conn, path)
            for name, _, _ in reversed(keys):
                conn.execute(f"ALTER TABLE tax_records DROP CONSTRAINT {name}")
            for name, _ in indexes:
                conn.execute(f"DROP INDEX {name}")
            conn.execute("INSERT INTO tax_records (enterprise_id, month, total_tax, district_tax)"
                         " SELECT e.id, r.month, r.total_tax, r.district_tax"
                         " FROM floor_raw AS r JOIN enterprises AS e ON e.uscc = r.uscc")
            for name, definition, _ in keys:
                conn.execute(f"ALTER TABLE tax_records ADD CONSTRAINT {name} {definition}")
            for _, definition in indexes:
                conn.execute(definition)
            best = min(best, time.perf_counter() - started)
            conn.rollback()
    return best


def time_lean_floor(url, path: Path) -> float:
    """The same floor for the leanest table that still keeps the rules: no surrogate id and no month
    index, only the key (enterprise_id, month), the foreign key and the checks (a scratch table,
    rolled back); best of two."""
    best = float("inf")
    with psycopg.connect(dataset.libpq_url(url)) as conn:
        for _ in range(2):
            started = time.perf_counter()
            stage_file(conn, path)
            conn.execute("CREATE TABLE lean_tax (enterprise_id integer NOT NULL, month varchar(7) NOT NULL,"
                         " total_tax numeric(18, 2) NOT NULL CHECK (total_tax >= 0),"
                         " district_tax numeric(18, 2) NOT NULL CHECK (district_tax >= 0),"
                         " CHECK (district_tax <= total_tax), CHECK (length(month) = 7 AND substr(month, 5, 1) = '-'))")
            conn.execute("INSERT INTO lean_tax SELECT e.id, r.month, r.total_tax, r.district_tax"
                         " FROM floor_raw AS r JOIN enterprises AS e ON e.uscc = r.uscc")
            conn.execute("ALTER TABLE lean_tax ADD PRIMARY KEY (enterprise_id, month)")
            conn.execute("ALTER TABLE lean_tax ADD FOREIGN KEY (enterprise_id) REFERENCES enterprises (id)")
            best = min(best, time.perf_counter() - started)
            conn.rollback()
    return best


def reset_tax(url) -> None:
    with psycopg.connect(dataset.libpq_url(url), autocommit=True) as conn:
        conn.execute("TRUNCATE tax_records")
        conn.execute("VACUUM ANALYZE tax_records")
        conn.execute("CHECKPOINT")


def settle(url) -> None:
    """After an import: VACUUM ANALYZE what it wrote and checkpoint, so the next one starts level."""
    with psycopg.connect(dataset.libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tax_records")
        conn.execute("CHECKPOINT")


def run_import(url, path: Path, profile: Path | None = None) -> dict:
    """import_tax(path) + commit in a fresh child process; its timing, counts and peak RSS."""
    args = [sys.executable, __file__, "--child", str(path), "--url", url]
    if profile is not None:
        args += ["--profile-out", str(profile)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import child failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["max_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def child(path: str, url: str, profile_out: str | None) -> None:
    """In the child: the import as the CLI runs it (import_tax, then commit), timed."""
    from app import create_app
    from app.extensions import db
    from app.services.imports import import_tax
    from config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = "redis://127.0.0.1:6379/11"  # required by the app; the import never uses it

    app = create_app(BenchConfig)
    marks: list[tuple[float, float]] = []
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect before the clock starts
        profiler = None
        if profile_out:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        result = import_tax(path, progress=lambda f: marks.append((f, time.perf_counter())))
        if result.errors:
            raise SystemExit(f"{len(result.errors)} errors, first: {result.errors[0]}")
        db.session.commit()
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_out)
        validated = next((t for f, t in marks if f >= 0.5), started) - started
    print(json.dumps({"seconds": elapsed, "validate": validated, "inserted": result.inserted,
                      "updated": result.updated, "unchanged": result.unchanged}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small district and one run: a smoke test")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--profile", action="store_true",
                        help="the three imports once more under cProfile, before the runs (not counted)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.profile_out)
        return 0

    url = os.environ.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL)
    scale = dataset.QUICK if args.quick else dataset.FULL
    runs = args.runs or (1 if args.quick else 3)
    print(f"database: {make_url(url).render_as_string()}")
    dataset.recreate_database(url)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        try:
            dataset.migrate(url)
            tax_csv, update_csv = Path(tmp) / "tax.csv", Path(tmp) / "tax-corrected.csv"
            dataset.generate(url, scale, tax=False, tax_csv=tax_csv, service=False)
            changed = dataset.write_update_csv(tax_csv, update_csv)
            lines = dataset.file_lines(tax_csv) - 1
            print(f"  tax file: {lines:,} rows, {tax_csv.stat().st_size / 1e6:.1f} MB; "
                  f"corrected re-issue: {changed:,} rows changed")
            with psycopg.connect(dataset.libpq_url(url)) as conn:
                print("  " + conn.execute("SELECT version()").fetchone()[0])
            if args.profile:
                reset_tax(url)
                for phase, path in zip(PHASES, (tax_csv, tax_csv, update_csv), strict=True):
                    profile = Path(tmp) / "import.prof"
                    r = run_import(url, path, profile)
                    print(f"--- {phase} under cProfile (not counted): {r['seconds']:.2f} s")
                    print_profile(profile)
                    settle(url)
            for run in range(1, runs + 1):
                print(f"run {run}:")
                reset_tax(url)
                copied, copy_s = time_copy(url, tax_csv)
                assert copied == lines, (copied, lines)
                print(f"  COPY {copied:,} rows: {copy_s:.2f} s (best of 3)")
                floor_s = time_floor(url, tax_csv)
                print(f"  first-import floor on this schema: {floor_s:.2f} s (best of 2) | ratio {floor_s / copy_s:5.2f}")
                lean_s = time_lean_floor(url, tax_csv)
                print(f"  first-import floor, leanest table: {lean_s:.2f} s (best of 2) | ratio {lean_s / copy_s:5.2f}")
                measured = {"floor": {"seconds": floor_s}, "lean floor": {"seconds": lean_s}}
                # The floors' rolled-back rows are dead rows in tax_records: gone before the first import.
                reset_tax(url)
                expected = {"first import": (lines, 0, 0), "re-import": (0, 0, lines),
                            "update import": (0, changed, lines - changed)}
                for phase, path in zip(PHASES, (tax_csv, tax_csv, update_csv), strict=True):
                    r = run_import(url, path)
                    got = (r["inserted"], r["updated"], r["unchanged"])
                    if got != expected[phase]:
                        raise SystemExit(f"{phase}: counts {got}, expected {expected[phase]}")
                    measured[phase] = r
                    print(f"  {phase:<13} {r['seconds']:6.2f} s (validation {r['validate']:5.2f} s) "
                          f"| ratio {r['seconds'] / copy_s:5.2f} | peak RSS {r['max_rss_mb']:5.0f} MB "
                          f"| {got[0]:,} inserted, {got[1]:,} updated, {got[2]:,} unchanged")
                    settle(url)
                rows.append((copy_s, measured))
        finally:
            if not args.keep:
                dataset.drop_database(url)

    print(f"\nmedian of {len(rows)} run(s), target: ratio at most {TARGET:g}")
    print(f"| {'operation':<16} | {'seconds':>8} | {'ratio to COPY':>13} | {'peak RSS MB':>11} |")
    print(f"| {'-' * 16} | {'-' * 8}:| {'-' * 13}:| {'-' * 11}:|")
    copy_med = statistics.median(c for c, _ in rows)
    print(f"| {'COPY (best of 3)':<16} | {copy_med:8.2f} | {1:13.2f} | {'':>11} |")
    for floor in ("floor", "lean floor"):
        floor_med = statistics.median(m[floor]["seconds"] for _, m in rows)
        floor_ratio = statistics.median(m[floor]["seconds"] / c for c, m in rows)
        print(f"| {floor + ' (best of 2)':<16} | {floor_med:8.2f} | {floor_ratio:13.2f} | {'':>11} |")
    worst = 0.0
    for phase in PHASES:
        secs = statistics.median(m[phase]["seconds"] for _, m in rows)
        ratio = statistics.median(m[phase]["seconds"] / c for c, m in rows)
        rss = max(m[phase]["max_rss_mb"] for _, m in rows)
        worst = max(worst, ratio)
        print(f"| {phase:<16} | {secs:8.2f} | {ratio:13.2f} | {rss:11.0f} |")
    print(f"worst median ratio {worst:.2f}: {'meets' if worst <= TARGET else 'MISSES'} the target of {TARGET:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
