"""Web imports end to end: upload → queued run → worker → records stored, or errors and nothing changed."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from app import clock
from app.extensions import db as _db
from app.jobs import imports as import_job
from app.jobs.imports import run_import
from app.jobs.runs import JOB_TIMEOUT
from app.models import AuditEvent, AuditKind, Building, Enterprise, ImportKind, ImportRun, RunStatus, TaxRecord
from app.queue import get_redis
from tests.imports.web.conftest import fresh_run, run_id_of, stored_files, work


def tax_csv(rows: list[tuple]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([("uscc", "month", "total_tax", "district_tax"), *rows])
    return out.getvalue()


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def tax_records() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    _db.session.expire_all()
    rows = _db.session.execute(
        select(Enterprise.uscc, TaxRecord.month, TaxRecord.total_tax, TaxRecord.district_tax).join(TaxRecord.enterprise)
    )
    return {(code, month): (total, district) for code, month, total, district in rows}


@pytest.fixture
def two(make_enterprise):
    return make_enterprise(name="Acme Trading Ltd"), make_enterprise(name="Birch Consulting Ltd")


def test_a_clean_tax_file_is_queued_then_imported_by_the_worker(app, browser, officer, upload, upload_folder, two):
    a, b = two
    csv = tax_csv([(a.uscc, "2026-09", "1200000.00", "480000.00"), (a.uscc, "2026-10", "1,300,000.50", "520000"),
                   (b.uscc, "2026-10", 99, 0)])

    response = upload(csv, "Tax October 2026.csv")

    run_id = run_id_of(response)
    run = fresh_run(run_id)
    assert (run.kind, run.status, run.filename, run.requested_by_id) == (
        ImportKind.tax, RunStatus.queued, "Tax October 2026.csv", officer.id)
    assert run.job_id and run.size == len(csv.encode())
    job = Job.fetch(run.job_id, connection=get_redis())
    assert (job.func, job.args, job.retries_left, job.timeout) == (run_import, (run_id,), 3, JOB_TIMEOUT)
    # stored under a random name, never the user's
    assert stored_files(upload_folder) == [run.stored_name]
    assert "Tax" not in run.stored_name and run.stored_name.endswith(".csv") and len(run.stored_name) == 36
    queued = browser.get(f"/imports/runs/{run_id}")
    assert queued.status_code == 200
    page = queued.get_data(as_text=True)
    assert 'data-status-url="/imports/runs/%d/status"' % run_id in page and "js/progress.js" in page
    assert browser.get(f"/imports/runs/{run_id}/status").get_json() == {
        "status": "queued", "label": "Queued", "progress": 0, "finished": False, "error": None}

    assert work(app) is True

    run = fresh_run(run_id)
    assert (run.status, run.rows, run.inserted, run.updated, run.unchanged, run.error_count, run.error_file) == (
        RunStatus.done, 3, 3, 0, 0, 0, None)
    assert run.attempts == 1 and run.duration is not None
    assert tax_records() == {
        (a.uscc, "2026-09"): (Decimal("1200000.00"), Decimal("480000.00")),
        (a.uscc, "2026-10"): (Decimal("1300000.50"), Decimal("520000.00")),
        (b.uscc, "2026-10"): (Decimal("99.00"), Decimal("0.00")),
    }
    assert browser.get(f"/imports/runs/{run_id}/status").get_json() == {
        "status": "done", "label": "Done", "progress": 100, "finished": True, "error": None}
    page = browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)
    assert "Imported:</strong> 3 rows checked and saved" in page
    assert "js/progress.js" not in page  # finished: nothing polls any more
    history = browser.get("/imports/").get_data(as_text=True)
    assert "Tax October 2026.csv" in history and "Zhou Min" in history and ">Imported<" in history


def test_importing_the_same_file_again_changes_nothing(app, browser, officer, upload, two):
    a, b = two
    book = xlsx([["USCC", "Month", "Total_Tax", "District_Tax"], [a.uscc, "2026-10", 500, 200],
                 [b.uscc, "2026-10", 700.5, 300]])
    first = run_id_of(upload(book, "tax.xlsx"))
    work(app)
    before = tax_records()

    second = run_id_of(upload(book, "tax.xlsx"))
    work(app)

    assert (fresh_run(first).inserted, fresh_run(first).unchanged) == (2, 0)
    run = fresh_run(second)
    assert (run.status, run.inserted, run.updated, run.unchanged, run.error_count) == (RunStatus.done, 0, 0, 2, 0)
    assert tax_records() == before
    page = browser.get(f"/imports/runs/{second}").get_data(as_text=True)
    assert "Unchanged (already stored)" in page


def test_a_file_with_errors_changes_nothing_and_names_each_error(app, browser, officer, upload, two, make_tax):
    a, b = two
    make_tax(a, "2026-09", "100.00", "40.00")
    before = tax_records()
    csv = tax_csv([
        (a.uscc, "2026-09", "999.00", "1.00"),            # a good update: must not be applied either
        ("913101060000000000", "2026-10", "1", "1"),       # a bad checksum
        (b.uscc, "2026-13", "1", "1"),                     # a bad month
        (b.uscc, "2026-10", "-5", "<script>alert(1)</script>"),  # negative; and user text that must stay text
    ])

    run_id = run_id_of(upload(csv, "bad.csv"))
    work(app)

    run = fresh_run(run_id)
    assert run.status is RunStatus.done and run.error_count == 4 and run.error_file
    assert run.inserted is None and run.rows is None
    assert tax_records() == before
    page = browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)
    assert "Rejected: 4 errors." in page and "Nothing was imported" in page
    assert ">Rejected · 4 errors<" in page
    assert "2026-13" in page and "must not be negative" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    response = browser.get(f"/imports/runs/{run_id}/errors.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=bad-errors.xlsx")
    assert "no-store" in response.headers["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    response.close()
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("Row", "Column", "Reason")
    assert [(r[0], r[1]) for r in rows[1:]] == [(3, "uscc"), (4, "month"), (5, "total_tax"), (5, "district_tax")]
    assert "2026-13" in rows[2][2] and "negative" in rows[3][2]
    assert _db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.kind == AuditKind.download, AuditEvent.detail.contains("bad.csv"))) == 1


def test_the_run_page_lists_the_first_50_errors_and_the_sheet_has_all(app, browser, officer, upload):
    csv = tax_csv([("91310106MA1FL0000X", "2026-10", "1", "1")] * 60)
    run_id = run_id_of(upload(csv, "many.csv"))
    work(app)

    page = browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)
    assert fresh_run(run_id).error_count == 60
    assert "The first 50 of 60 errors" in page
    assert page.count('<td class="mono">uscc</td>') == 50
    response = browser.get(f"/imports/runs/{run_id}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    response.close()
    assert sheet.max_row == 61


def test_enterprises_are_imported_from_the_web_too(app, browser, officer, upload, make_building, make_enterprise):
    building = make_building(name="Plaza 66", name_zh="恒隆广场")
    known = make_enterprise(name="Old Name Ltd", industry="L")
    book = xlsx([
        ["uscc", "name", "name_zh", "industry", "hq_type", "building", "unit", "employees", "moved_in",
         "registered_in_district", "key_tier"],
        [known.uscc, "New Name Ltd", "新名称有限公司", "L", "", "恒隆广场", "12-03", 40, "2021-06-01", "yes", ""],
        ["914403001922038216", "Shenzhen Example Co.", None, "F", "regional-hq", "Plaza 66", None, None, None, None,
         "district-key"],
    ])

    run_id = run_id_of(upload(book, "enterprises.xlsx", kind="enterprises"))
    work(app)

    run = fresh_run(run_id)
    assert (run.kind, run.status, run.inserted, run.updated, run.unchanged) == (
        ImportKind.enterprises, RunStatus.done, 1, 1, 0)
    names = dict(_db.session.execute(select(Enterprise.uscc, Enterprise.name)).all())
    assert names == {known.uscc: "New Name Ltd", "914403001922038216": "Shenzhen Example Co."}
    assert _db.session.scalar(select(func.count()).select_from(Enterprise).where(
        Enterprise.building_id == building.id)) == 2
    assert "Enterprises: enterprises.xlsx" in browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Building)) == 1


# --- whole-file problems: refused at once by the form, or failing the run with the reason ----------


@pytest.mark.parametrize("content, filename, message", [
    (b"uscc,month\n", "tax.xls", "Upload an .xlsx or a .csv file (an old .xls workbook"),
    (b"uscc,month\n", "tax.txt", "Upload an .xlsx or a .csv file"),
    (b"", "tax.csv", "“tax.csv” is empty: it has no header row and no data."),
    (b"uscc,month,total_tax,district_tax\n", "tax.xlsx", "“tax.xlsx” is not a real .xlsx workbook"),
    (b"%PDF-1.4\n%%EOF\n", "tax.csv", "“tax.csv” is named .csv but is a PDF, not text"),
])
def test_a_wrong_or_empty_file_is_refused_by_the_form(browser, officer, upload, upload_folder, content, filename,
                                                        message):
    response = upload(content, filename)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(ImportRun)) == 0
    assert stored_files(upload_folder) == []


def test_no_file_chosen(browser, officer):
    response = browser.post("/imports/", {"kind": "tax"}, token_from="/imports/")
    assert response.status_code == 422
    assert "Choose the .xlsx or .csv file to import." in response.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_with_the_limit(app, browser, officer, upload, upload_folder):
    # Small sizes: the test client spools bigger bodies to temporary files it never closes.
    app.config["MAX_IMPORT_BYTES"] = 2048
    response = upload(b"uscc,month,total_tax,district_tax\n" + b"x" * 3000, "big.csv")
    assert response.status_code == 422
    assert "“big.csv” is 3 KB, more than the 2 KB an import may be; split it" in response.get_data(as_text=True)

    app.config["MAX_CONTENT_LENGTH"] = 4096  # beyond the whole request's limit: refused before the form
    response = upload(b"x" * 5000, "huge.csv")
    assert response.status_code == 413
    assert "The file is larger than the 2 KB an import may be" in response.get_data(as_text=True)
    assert stored_files(upload_folder) == []


@pytest.mark.parametrize("content, filename, message", [
    ("uscc,month,total_tax\n91310106MA1FL0000X,2026-10,1\n", "tax.csv",
     "The sheet is missing the column district_tax (expected header row: uscc, month, total_tax, district_tax)."),
    ("uscc,month,total_tax,district_tax\n\n", "tax.csv", "The file has a header row but no data rows."),
    ("\n \n", "tax.csv", "The file is empty: it has no header row and no data."),
    (b"uscc,total\xff\n", "tax.csv", "The CSV file is not UTF-8 encoded"),
])
def test_an_unreadable_file_fails_the_run_with_the_reason_and_is_not_retried(
        app, browser, officer, upload, content, filename, message):
    run_id = run_id_of(upload(content, filename))
    job_id = fresh_run(run_id).job_id

    work(app)

    run = fresh_run(run_id)
    assert run.status is RunStatus.failed and run.attempts == 1
    assert run.error.startswith(message[:30]) and message in run.error
    job = Job.fetch(job_id, connection=get_redis())
    assert job.get_status() == JobStatus.FAILED and job.retries_left == 0
    page = browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)
    assert "Failed:</strong>" in page and "Nothing was imported." in page
    assert browser.get(f"/imports/runs/{run_id}/status").get_json()["error"] == run.error
    assert browser.get(f"/imports/runs/{run_id}/errors.xlsx").status_code == 404


def test_an_upload_that_vanished_fails_with_a_clear_message(app, officer, upload, upload_folder, two):
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))
    (upload_folder / "imports" / fresh_run(run_id).stored_name).unlink()

    work(app)

    run = fresh_run(run_id)
    assert run.status is RunStatus.failed
    assert run.error == "The uploaded file is no longer on the server; upload it again."


def test_when_the_queue_is_down_the_run_is_marked_failed_and_the_file_removed(
        app, browser, officer, upload, upload_folder, monkeypatch, two):
    from rq import Queue

    def refuse(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(Queue, "enqueue", refuse)
    response = upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv")

    assert response.status_code == 302 and response.headers["Location"].endswith("/imports/")
    run = _db.session.scalars(select(ImportRun)).one()
    assert run.status is RunStatus.failed and run.finished_at is not None
    assert "the job queue is not answering" in run.error
    assert stored_files(upload_folder) == []
    page = browser.get("/imports/").get_data(as_text=True)
    assert "The import could not be started: the job queue is not answering." in page
    assert tax_records() == {}


def test_a_run_whose_job_vanished_is_marked_failed_when_looked_at(app, browser, officer, upload, two):
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))
    get_redis().flushdb()  # the job is gone (Redis lost its data, or the job expired)
    clock.freeze(clock.now() + timedelta(seconds=31))  # past the grace a new run has to be enqueued
    try:
        payload = browser.get(f"/imports/runs/{run_id}/status").get_json()
    finally:
        clock.freeze(None)

    assert payload["status"] == "failed" and payload["finished"] is True
    assert payload["error"].startswith("The run never started: its job was lost")  # no worker had taken it
    assert fresh_run(run_id).status is RunStatus.failed


def test_a_transient_failure_leaves_the_run_queued_for_a_retry(app, browser, officer, upload, monkeypatch, two):
    from sqlalchemy.exc import OperationalError

    def lost_connection(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, lost_connection)
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))

    work(app)

    run = fresh_run(run_id)
    assert run.status is RunStatus.queued and run.attempts == 1 and run.error.endswith("(will retry)")
    assert Job.fetch(run.job_id, connection=get_redis()).get_status() == JobStatus.SCHEDULED
    page = browser.get(f"/imports/runs/{run_id}").get_data(as_text=True)
    assert "The last attempt stopped: The job failed unexpectedly (OperationalError)" in page
    assert "server closed" not in page and "js/progress.js" in page
    assert browser.get(f"/imports/runs/{run_id}/status").get_json()["finished"] is False


def test_the_upload_is_deleted_when_the_import_ends_and_kept_while_a_retry_is_pending(
        app, officer, upload, upload_folder, monkeypatch, two):
    from rq.registry import ScheduledJobRegistry
    from sqlalchemy.exc import OperationalError

    from app.queue import get_queue

    a = two[0]
    done = run_id_of(upload(tax_csv([(a.uscc, "2026-10", 1, 1)]), "tax.csv"))
    rejected = run_id_of(upload(tax_csv([(a.uscc, "2026-13", 1, 1)]), "bad.csv"))
    failed = run_id_of(upload("uscc,month,total_tax\n91310106MA1FL0000X,2026-10,1\n", "columns.csv"))
    work(app)
    assert [fresh_run(r).status for r in (done, rejected, failed)] == [RunStatus.done, RunStatus.done, RunStatus.failed]
    assert stored_files(upload_folder) == [fresh_run(rejected).error_file]  # the error sheet is the user's download

    real = import_job.SERVICES[ImportKind.tax]

    def lost_connection(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, lost_connection)
    retried = run_id_of(upload(tax_csv([(a.uscc, "2026-11", 1, 1)]), "tax.csv"))
    work(app)
    run = fresh_run(retried)
    assert run.status is RunStatus.queued and run.stored_name in stored_files(upload_folder)  # kept for the retry

    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, real)
    queue = get_queue()
    queue.enqueue_job(queue.fetch_job(run.job_id))  # what the scheduler does 10 s later
    ScheduledJobRegistry(queue=queue).remove(run.job_id)
    work(app)
    assert fresh_run(retried).status is RunStatus.done
    assert stored_files(upload_folder) == [fresh_run(rejected).error_file]


def test_a_run_whose_job_was_never_enqueued_fails_after_the_grace(app, browser, officer, upload, upload_folder,
                                                                   monkeypatch, two):
    """The job id is committed with the run, before enqueueing: if the web process dies in between, the run is
    failed once the grace has passed (and its upload deleted) instead of staying queued for ever."""
    from app.imports import views

    t0 = clock.now()
    clock.freeze(t0)
    try:
        monkeypatch.setattr(views, "enqueue_import", lambda run: None)  # the process died after the commit
        run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))
        run = fresh_run(run_id)
        assert run.job_id.startswith(f"import-{run_id}-") and stored_files(upload_folder) == [run.stored_name]

        assert browser.get(f"/imports/runs/{run_id}/status").get_json()["status"] == "queued"  # just enqueued?
        clock.freeze(t0 + timedelta(seconds=31))
        payload = browser.get(f"/imports/runs/{run_id}/status").get_json()
    finally:
        clock.freeze(None)

    assert payload["status"] == "failed" and payload["error"].startswith("The run never started")
    assert stored_files(upload_folder) == []


def release(job_id: str) -> None:
    """Do what RQ's scheduler does when a retry's time comes: move the job to its queue."""
    from rq.registry import ScheduledJobRegistry

    from app.queue import get_queue

    queue = get_queue()
    queue.enqueue_job(queue.fetch_job(job_id))
    ScheduledJobRegistry(queue=queue).remove(job_id)


def test_an_import_whose_work_horse_was_killed_is_failed_not_imported_again(
        app, officer, upload, upload_folder, monkeypatch, two):
    """A work horse killed (out of memory on a big file) is retried by RQ whatever killed it; the retry finds the
    run still "running" from the attempt that never finished, and fails it instead of importing the file again."""
    import os
    import signal

    from app.jobs.worker import make_worker

    real = import_job.SERVICES[ImportKind.tax]

    def out_of_memory(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, out_of_memory)
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        make_worker(app, ["default"], get_redis()).work(burst=True)  # forks a work horse, which is killed
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    run = fresh_run(run_id)
    assert run.status is RunStatus.running and run.attempts == 1
    assert Job.fetch(run.job_id, connection=get_redis()).get_status() == JobStatus.SCHEDULED  # RQ retries it

    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, real)
    release(run.job_id)
    work(app)

    run = fresh_run(run_id)
    assert run.status is RunStatus.failed and run.attempts == 2 and run.finished_at is not None
    assert run.error == "The worker stopped while importing this file (it may be too large)."
    assert tax_records() == {} and stored_files(upload_folder) == []
    job = Job.fetch(run.job_id, connection=get_redis())
    assert job.get_status() == JobStatus.FAILED and job.retries_left == 0


def test_a_failure_that_could_not_be_recorded_is_retried_normally(app, officer, upload, monkeypatch, two):
    """The database went away: the failed attempt could not even record its failure (the run stays "running"),
    yet it ended in tracked_run, not by a killed work horse: the retry imports the file."""
    from sqlalchemy.exc import OperationalError

    def lost():
        return OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                                connection_invalidated=True)

    real = import_job.SERVICES[ImportKind.tax]

    real_commit = _db.session.commit

    def database_gone(*args, **kwargs):
        def refuse():
            raise lost()
        monkeypatch.setattr(_db.session, "commit", refuse)
        raise lost()

    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, database_gone)
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))
    work(app)
    monkeypatch.setattr(_db.session, "commit", real_commit)
    monkeypatch.setitem(import_job.SERVICES, ImportKind.tax, real)
    run = fresh_run(run_id)
    assert run.status is RunStatus.running and run.attempts == 1  # its failure could not be written

    release(run.job_id)
    work(app)

    run = fresh_run(run_id)
    assert run.status is RunStatus.done and run.attempts == 2 and run.inserted == 1


def test_an_error_sheet_is_not_left_behind_when_the_run_cannot_be_saved(app, officer, upload, upload_folder,
                                                                        monkeypatch, two):
    """A rejected import whose final commit fails: the run is recorded as failed (tracked_run), and
    the error sheet it had written — named by no saved run — is removed, not left on the disk."""
    from app.jobs import imports as jobs
    from app.services import import_files

    real_save = import_files.save_error_sheet
    real_commit = _db.session.commit
    written = []

    def save_then_fail_the_commit(run, errors):
        real_save(run, errors)
        written.append(run.error_file)

        def failing_commit():
            monkeypatch.setattr(_db.session, "commit", real_commit)  # only this once
            raise RuntimeError("the database went away at the last moment")

        monkeypatch.setattr(_db.session, "commit", failing_commit)

    monkeypatch.setattr(jobs, "save_error_sheet", save_then_fail_the_commit)
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-13", 1, 1)]), "bad.csv"))
    work(app)
    run = fresh_run(run_id)
    assert written and run.status is RunStatus.failed and run.error_file is None
    assert stored_files(upload_folder) == []  # neither the upload nor the orphaned sheet


def test_a_run_whose_worker_died_on_its_last_attempt_says_so_in_the_imports_words(app, browser, officer, upload,
                                                                                  two):
    """The last attempt had started (the run is running) when its work horse was killed, and no retry
    will come: the run fails with the import's own reason, not a generic one nor an earlier attempt's."""
    run_id = run_id_of(upload(tax_csv([(two[0].uscc, "2026-10", 1, 1)]), "tax.csv"))
    run = fresh_run(run_id)
    run.status, run.attempts, run.error = RunStatus.running, 3, "The job failed unexpectedly (OperationalError) (will retry)"
    _db.session.commit()
    get_redis().flushdb()  # RQ's record of the killed job is gone too
    clock.freeze(clock.now() + timedelta(seconds=31))
    try:
        payload = browser.get(f"/imports/runs/{run_id}/status").get_json()
    finally:
        clock.freeze(None)
    assert payload["status"] == "failed" and payload["error"] == import_job.INTERRUPTED
