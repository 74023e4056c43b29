"""The report centre: choose a report and a month, follow the run, download the workbook; history, retry, roles."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
import redis
from sqlalchemy import func, select

from app import clock
from app.models import AuditEvent, AuditKind, ReportKind, ReportRun, Role, RunStatus
from app.services import reports as service
from tests.security.test_security_headers import inline_code

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 on 2 March in Shanghai: last month is 2026-02


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)
    yield
    clock.freeze(None)


def runs(db) -> list[ReportRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReportRun).order_by(ReportRun.id)))


def submit(browser, kind="pack", month="2026-02", **kw):
    return browser.post("/reports/", {"kind": kind, "month": month}, token_from="/reports/", **kw)


@pytest.mark.parametrize("role, expected", [
    (Role.leader, 200), (Role.chief, 200), (Role.admin, 200), (Role.officer, 403), (Role.enterprise, 403),
])
def test_who_may_use_the_report_centre(browser, login_as, make_enterprise, db, role, expected):
    run = ReportRun(kind=ReportKind.tax, period="2026-02", status=RunStatus.failed, error="x")
    db.session.add(run)
    db.session.commit()
    login_as(role, **({"enterprise": make_enterprise()} if role is Role.enterprise else {}))
    for url in ("/reports/", f"/reports/runs/{run.id}", f"/reports/runs/{run.id}/status"):
        assert browser.get(url).status_code == expected, url
    if expected == 403:
        assert browser.post(f"/reports/runs/{run.id}/retry", token_from="/login").status_code == 403
        assert browser.post("/reports/", {"kind": "tax", "month": "2026-02"}, token_from="/login").status_code == 403
        assert db.session.scalar(select(func.count()).select_from(ReportRun)) == 1
    home = browser.get("/").get_data(as_text=True)
    assert ('href="/reports/"' in home) is (expected == 200)


def test_anonymous_users_are_sent_to_the_login_page(client):
    for url in ("/reports/", "/reports/runs/1", "/reports/runs/1/status", "/reports/runs/1/download"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_the_form_offers_the_reports_and_last_month(browser, login_as):
    login_as(Role.leader)
    page = browser.get("/reports/").get_data(as_text=True)
    for label in ("Tax revenue", "Enterprise retention", "Service (51530)", "Monthly pack"):
        assert f">{label}</option>" in page
    assert re.search(r'<option selected value="pack">|<option value="pack" selected', page)
    month = re.search(r'<input[^>]*name="month"[^>]*>', page).group(0)
    assert 'type="month"' in month and 'value="2026-02"' in month and 'max="2026-03"' in month
    assert "No reports made yet" in page


def test_submit_follow_and_download(app, browser, login_as, db, report_folder, work):
    leader = login_as(Role.leader, name="Wang Fang")
    response = submit(browser)
    (run,) = runs(db)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/runs/{run.id}")
    assert (run.kind, run.period, run.status, run.requested_by_id) == (ReportKind.pack, "2026-02", RunStatus.queued, leader.id)

    page = browser.get(f"/reports/runs/{run.id}").get_data(as_text=True)
    assert f'data-status-url="/reports/runs/{run.id}/status"' in page and "js/progress.js" in page
    assert "Download" not in page
    status = browser.get(f"/reports/runs/{run.id}/status").get_json()
    assert status == {"status": "queued", "label": "Queued", "progress": 0, "finished": False, "error": None}

    assert work() is True

    assert browser.get(f"/reports/runs/{run.id}/status").get_json() == {
        "status": "done", "label": "Done", "progress": 100, "finished": True, "error": None}
    page = browser.get(f"/reports/runs/{run.id}").get_data(as_text=True)
    assert f'href="/reports/runs/{run.id}/download"' in page and "data-status-url" not in page
    assert "butler-pack-2026-02.xlsx" in page and "Wang Fang" in page

    download = browser.get(f"/reports/runs/{run.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download.headers["Content-Disposition"] == "attachment; filename=butler-pack-2026-02.xlsx"
    assert "no-store" in download.headers["Cache-Control"]
    data = download.get_data()
    download.close()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert "Summary" in book.sheetnames
    book.close()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == AuditKind.download)).one()
    assert event.actor_id == leader.id and event.detail == f"Report Monthly pack 2026-02 (run {run.id})"


def test_the_history_lists_runs_with_who_status_duration_and_size(app, browser, login_as, db, report_folder, work):
    login_as(Role.chief, name="Chen Jie")
    submit(browser, kind="tax", month="2025-12")
    work()
    db.session.add(ReportRun(kind=ReportKind.pack, period="2026-01", schedule_key="pack:2026-01",
                             status=RunStatus.failed, error="ValueError: no data", created_at=T0.replace(minute=5),
                             started_at=T0, finished_at=T0.replace(minute=1, second=3)))
    db.session.commit()

    page = browser.get("/reports/").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    assert len(rows) == 2
    scheduled, made = rows  # newest first
    assert "Monthly pack" in scheduled and "2026-01" in scheduled and "Scheduled" in scheduled
    assert "Failed" in scheduled and "ValueError: no data" in scheduled and ">Retry</button>" in scheduled
    assert "1 min 3 s" in scheduled
    assert "Tax revenue" in made and "2025-12" in made and "Chen Jie" in made and "Done" in made
    assert "2026-03-02 09:00" in made  # requested at, in Shanghai time
    assert "0.0 s" in made  # the clock is frozen while it works
    assert re.search(r"\d+(\.\d)? (Bytes|kB)", made) and ">Download</a>" in made
    assert inline_code(page) == []


def test_the_history_is_paginated(app, browser, login_as, db):
    app.config["PER_PAGE"], saved = 2, app.config["PER_PAGE"]
    try:
        for month in ("2025-10", "2025-11", "2025-12"):
            db.session.add(ReportRun(kind=ReportKind.tax, period=month, status=RunStatus.failed, error="x"))
        db.session.commit()
        login_as(Role.admin)
        first = browser.get("/reports/").get_data(as_text=True)
        second = browser.get("/reports/?page=2").get_data(as_text=True)
    finally:
        app.config["PER_PAGE"] = saved
    assert "2025-12" in first and "2025-11" in first and "2025-10" not in first
    assert "2025-10" in second and "page 2 of 2" in second


@pytest.mark.parametrize("month, message", [
    ("2026-13", "is not a month as YYYY-MM"),
    ("March", "is not a month as YYYY-MM"),
    ("", "Choose the month to report on."),
    ("2026-04", "2026-04 has not begun yet: choose 2026-03 or an earlier month."),
])
def test_a_bad_month_is_refused_with_a_message_and_the_form_kept(browser, login_as, db, month, message):
    login_as(Role.leader)
    response = submit(browser, kind="retention", month=month)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page.replace("&#39;", "'")
    assert re.search(r'<option selected value="retention">|<option value="retention" selected', page)
    assert re.search(r'<input[^>]*name="month"[^>]*>', page).group(0).endswith(f'value="{month}">')
    assert runs(db) == []


def test_an_unknown_report_is_refused(browser, login_as, db):
    login_as(Role.leader)
    response = submit(browser, kind="salaries")
    assert response.status_code == 422 and "Choose one of the reports in the list." in response.get_data(as_text=True)
    assert runs(db) == []


def test_a_failed_run_shows_its_error_and_a_retry_succeeds(app, browser, login_as, db, report_folder, monkeypatch, work):
    login_as(Role.leader)
    real = service.build_report

    def broken(*args, **kw):
        raise RuntimeError("tax table locked")

    monkeypatch.setattr(service, "build_report", broken)
    submit(browser, kind="service")
    work()
    (failed,) = runs(db)
    assert failed.status is RunStatus.failed

    page = browser.get(f"/reports/runs/{failed.id}").get_data(as_text=True)
    assert "The report could not be made." in page and "tax table locked" not in page
    assert "The job failed unexpectedly (RuntimeError); it has been logged." in page
    assert f'action="/reports/runs/{failed.id}/retry"' in page and "data-status-url" not in page
    assert browser.get(f"/reports/runs/{failed.id}/status").get_json()["error"] == (
        "The job failed unexpectedly (RuntimeError); it has been logged.")
    assert browser.get(f"/reports/runs/{failed.id}/download").status_code == 404

    monkeypatch.setattr(service, "build_report", real)
    response = browser.post(f"/reports/runs/{failed.id}/retry", token_from=f"/reports/runs/{failed.id}")
    first, again = runs(db)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/runs/{again.id}")
    assert (again.kind, again.period, again.retry_of_id, again.status) == (ReportKind.service, "2026-02", failed.id, RunStatus.queued)
    work()
    first, again = runs(db)
    assert first.status is RunStatus.failed and again.status is RunStatus.done
    download = browser.get(f"/reports/runs/{again.id}/download")
    download.close()
    assert download.status_code == 200
    assert f"run #{failed.id}" in browser.get(f"/reports/runs/{again.id}").get_data(as_text=True)


def test_only_a_failed_run_can_be_retried(app, browser, login_as, db, report_folder, work):
    login_as(Role.leader)
    submit(browser)
    work()
    (run,) = runs(db)
    response = browser.post(f"/reports/runs/{run.id}/retry", token_from=f"/reports/runs/{run.id}", follow_redirects=True)
    assert "Only a failed run can be retried." in response.get_data(as_text=True)
    assert len(runs(db)) == 1


def test_queue_down_at_submit_leaves_no_orphan_run(app, browser, login_as, db, monkeypatch):
    login_as(Role.leader)
    monkeypatch.setitem(app.extensions, "redis", redis.Redis(unix_socket_path="/nonexistent/redis.sock"))
    response = submit(browser, kind="tax", month="2025-11")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The job queue is not reachable, so no report was started." in page
    assert re.search(r'<input[^>]*name="month"[^>]*value="2025-11"', page)
    assert runs(db) == []


def test_a_run_whose_job_vanished_is_failed_when_looked_at(browser, login_as, db):
    login_as(Role.leader)
    run = service.request_report(ReportKind.tax, service.check_period("2026-02"), None)
    run.status = RunStatus.running
    db.session.commit()  # its job is not in Redis (a killed worker, a flushed Redis)

    assert browser.get(f"/reports/runs/{run.id}/status").get_json()["status"] == "running"  # just enqueued?
    clock.freeze(T0 + timedelta(seconds=31))
    status = browser.get(f"/reports/runs/{run.id}/status").get_json()
    assert status["status"] == "failed" and status["finished"] is True
    assert status["error"].startswith("The worker stopped while making this report")  # it had started
    assert runs(db)[0].status is RunStatus.failed


def test_only_a_done_run_with_its_file_is_downloaded(app, browser, login_as, db, report_folder, work):
    login_as(Role.admin)
    submit(browser)
    work()
    (run,) = runs(db)
    temp = report_folder / f"{run.stored_name}.abc.part"
    temp.write_bytes(b"half")
    (report_folder / run.stored_name).unlink()  # the file went missing (storage not shared, cleaned up)

    assert browser.get(f"/reports/runs/{run.id}/download").status_code == 404
    assert "no longer in the report folder" in browser.get(f"/reports/runs/{run.id}").get_data(as_text=True)
    assert "File missing" in browser.get("/reports/").get_data(as_text=True)
    assert browser.get("/reports/runs/999999/download").status_code == 404


def test_the_home_page_shows_the_latest_monthly_pack(browser, login_as, db):
    db.session.add_all([
        ReportRun(kind=ReportKind.pack, period="2026-01", status=RunStatus.done, schedule_key="pack:2026-01"),
        ReportRun(kind=ReportKind.pack, period="2026-02", status=RunStatus.failed, schedule_key="pack:2026-02"),
        ReportRun(kind=ReportKind.tax, period="2026-02", status=RunStatus.done),
    ])
    db.session.commit()
    login_as(Role.leader)
    page = browser.get("/").get_data(as_text=True)
    assert re.search(r'<span class="tile-value">2026-01</span><span class="tile-label">Latest monthly pack', page)


def test_report_pages_have_no_inline_code(app, browser, login_as, db, report_folder, work):
    login_as(Role.leader)
    submit(browser)
    (run,) = runs(db)
    for url in ("/reports/", f"/reports/runs/{run.id}"):
        assert inline_code(browser.get(url).get_data(as_text=True)) == [], url
    work()
    assert inline_code(browser.get(f"/reports/runs/{run.id}").get_data(as_text=True)) == []
