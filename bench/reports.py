"""Benchmark: the monthly pack at issue 5's scale, against the same aggregates as plain SQL plus a bare XlsxWriter.

Not a test. Needs PostgreSQL; makes (and afterwards drops) its own database:

    .venv/bin/python bench/reports.py                  # 3 runs, medians and ratio
    .venv/bin/python bench/reports.py --quick          # a small district and 1 run: a smoke test
    .venv/bin/python bench/reports.py --profile        # also one extra pack under cProfile (not counted)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@HOST:5432/NAME .venv/bin/python bench/reports.py

Once: the district of bench/dataset.py (100 buildings, 20,000 enterprises, 36 months of tax =
720,000 rows, 50,000 requests with their milestones and events, visits, ratings, move-ins,
move-outs and relocation intents), VACUUM ANALYZEd. The reports only read, so every run uses the
same rows.

Each run times, on the same data:
- the **pack**: ``app.reports.build_report("pack", PERIOD, path)`` in an app context, in a fresh
  child process (as a worker's forked job runs it). The child times the call (not interpreter
  start-up), records every SQL statement it sends with its parameters (``before_cursor_execute``)
  and the time each took; the parent reads the child's peak RSS (wait4): the worker's memory;
- the **lower bound**, in this process: exactly those statements with those parameters, re-run
  with a plain psycopg cursor and ``fetchall()`` (best of three, warm), plus XlsxWriter in
  ``constant_memory`` mode writing the same cells (every non-empty cell of the pack, read back
  with openpyxl before the clock starts, sheet by sheet, with ``write_row``) and closing the file
  (best of three).
Ratio = pack / (SQL + XlsxWriter). Issue 5's target: at most 2, and the pack's peak RSS at most 1 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
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

TARGET_RATIO = 2.0
TARGET_RSS_MB = 1024


# --------------------------------------------------------------------------- the pack, in a child


def run_pack(url, period: str, out: Path, work: Path, profile: Path | None = None) -> dict:
    """build_report("pack") in a fresh child process; its timing, statements and peak RSS."""
    statements = work / "statements.pickle"
    args = [sys.executable, __file__, "--child", str(out), "--url", url, "--period", period,
            "--statements", str(statements)]
    if profile is not None:
        args += ["--profile-out", str(profile)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_text, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"pack child failed:\n{err[-4000:]}")
    result = json.loads(out_text.strip().splitlines()[-1])
    result["max_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    with open(statements, "rb") as fh:
        result["statements"] = pickle.load(fh)
    return result


def child(out: str, url: str, period: str, statements_out: str, profile_out: str | None) -> None:
    """In the child: build the pack as the job does, recording each statement, its parameters and its time."""
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from app.reports import build_report
    from config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = "redis://127.0.0.1:6379/11"  # required by the app; the report never uses it

    app = create_app(BenchConfig)
    recorded: list[list] = []  # [statement, parameters, seconds]
    marks: list[tuple[float, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        recorded.append([statement, parameters, time.perf_counter() - context._bench_started])

    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect before the clock starts
        db.session.remove()
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        profiler = None
        if profile_out:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        build_report("pack", period, out, progress=lambda f: marks.append((f, time.perf_counter() - started)))
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_out)
        db.session.remove()
    with open(statements_out, "wb") as fh:
        pickle.dump(recorded, fh)
    print(json.dumps({"seconds": elapsed, "marks": marks}))


# --------------------------------------------------------------------------- the lower bound


def read_cells(path: Path) -> list[tuple[str, list[list]]]:
    """Every sheet of the workbook with its rows of non-empty cell values (what the lower bound writes)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = []
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows(values_only=True):
                values = [v for v in row if v is not None]
                if values:
                    rows.append(values)
            sheets.append((sheet.title, rows))
        return sheets
    finally:
        book.close()


def time_sql(url, statements: list[list]) -> tuple[float, int]:
    """Best of three: every recorded statement with its parameters, plain cursor, fetchall."""
    best, fetched = float("inf"), 0
    with psycopg.connect(dataset.libpq_url(url)) as conn:
        for _ in range(3):
            fetched = 0
            started = time.perf_counter()
            with conn.cursor() as cur:
                for statement, parameters, _ in statements:
                    cur.execute(statement, parameters)
                    if cur.description is not None:
                        fetched += len(cur.fetchall())
            best = min(best, time.perf_counter() - started)
            conn.rollback()
    return best, fetched


def time_xlsx(sheets: list[tuple[str, list[list]]], path: Path) -> float:
    """Best of three: the same cells with XlsxWriter in constant-memory mode, row by row, closed."""
    import xlsxwriter

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_urls": False})
        for title, rows in sheets:
            sheet = book.add_worksheet(title)
            for r, values in enumerate(rows):
                sheet.write_row(r, 0, values)
        book.close()
        best = min(best, time.perf_counter() - started)
    return best


# --------------------------------------------------------------------------- reporting


def print_statements(statements: list[list], top: int = 12) -> None:
    """The pack's statements by time taken in the pack (first line of each)."""
    total = sum(s for _, _, s in statements)
    print(f"  {len(statements)} statements, {total:.2f} s in the database (as timed in the pack):")
    for statement, _, seconds in sorted(statements, key=lambda s: -s[2])[:top]:
        head = " ".join(statement.split())[:110]
        print(f"    {seconds * 1000:8.0f} ms  {head}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small district and one run: a smoke test")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--profile", action="store_true", help="one extra pack under cProfile (not counted)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--period", default=dataset.PERIOD, help=argparse.SUPPRESS)
    parser.add_argument("--statements", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.period, args.statements, args.profile_out)
        return 0

    url = os.environ.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL)
    scale = dataset.QUICK if args.quick else dataset.FULL
    runs = args.runs or (1 if args.quick else 3)
    print(f"database: {make_url(url).render_as_string()}; period {dataset.PERIOD}")
    dataset.recreate_database(url)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        work = Path(tmp)
        try:
            dataset.migrate(url)
            dataset.generate(url, scale)
            with psycopg.connect(dataset.libpq_url(url)) as conn:
                print("  " + conn.execute("SELECT version()").fetchone()[0])
            if args.profile:
                profile = work / "pack.prof"
                pack = run_pack(url, dataset.PERIOD, work / "pack-profiled.xlsx", work, profile)
                print(f"profiled pack (not counted): {pack['seconds']:.2f} s")
                print_profile(profile)
            for run in range(1, runs + 1):
                print(f"run {run}:")
                pack_path = work / f"pack-{run}.xlsx"
                pack = run_pack(url, dataset.PERIOD, pack_path, work)
                sheets = read_cells(pack_path)
                cells = sum(len(r) for _, rs in sheets for r in rs)
                sql_s, fetched = time_sql(url, pack["statements"])
                xlsx_s = time_xlsx(sheets, work / "lower-bound.xlsx")
                bound = sql_s + xlsx_s
                in_db = sum(s for _, _, s in pack["statements"])
                print(f"  pack {pack['seconds']:6.2f} s (of which {in_db:.2f} s in SQL statements), "
                      f"peak RSS {pack['max_rss_mb']:.0f} MB, {pack_path.stat().st_size / 1e6:.1f} MB, "
                      f"{len(sheets)} sheets, {cells:,} cells")
                print(f"  lower bound {bound:6.2f} s = SQL {sql_s:.2f} s ({len(pack['statements'])} statements, "
                      f"{fetched:,} rows fetched) + XlsxWriter {xlsx_s:.2f} s | ratio {pack['seconds'] / bound:.2f}")
                print("  progress marks: " + ", ".join(f"{f:.2f}@{t:.1f}s" for f, t in pack["marks"]))
                if run == 1:
                    print_statements(pack["statements"])
                    print("  sheets: " + ", ".join(f"{t} ({sum(len(r) for r in rs):,})" for t, rs in sheets))
                rows.append((pack["seconds"], sql_s, xlsx_s, pack["max_rss_mb"]))
        finally:
            if not args.keep:
                dataset.drop_database(url)

    packs, sqls, xlsxs, rsss = zip(*rows, strict=True)
    ratio = statistics.median(p / (s + x) for p, s, x, _ in rows)
    peak = max(rsss)
    print(f"\nmedian of {len(rows)} run(s); targets: ratio at most {TARGET_RATIO:g}, peak RSS at most "
          f"{TARGET_RSS_MB} MB")
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| pack (build_report) | {statistics.median(packs):.2f} s |")
    print(f"| lower bound: SQL, plain cursor + fetchall | {statistics.median(sqls):.2f} s |")
    print(f"| lower bound: XlsxWriter constant_memory, same cells | {statistics.median(xlsxs):.2f} s |")
    print(f"| ratio pack / lower bound | {ratio:.2f} |")
    print(f"| pack peak RSS (max of runs) | {peak:.0f} MB |")
    ok = ratio <= TARGET_RATIO and peak <= TARGET_RSS_MB
    print(f"{'meets' if ok else 'MISSES'} the targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
