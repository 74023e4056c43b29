"""Leader journey in a real browser: the dashboard, then the report centre — make last month's pack,
watch its progress bar move while a real RQ worker builds it, download it and open it with openpyxl."""
from __future__ import annotations

import re
import threading
from decimal import Decimal

import openpyxl
import pytest

from app import clock
from app.extensions import db as _db
from app.jobs import reports as report_jobs
from app.models import Role
from app.reports.period import Period, shift
from tests.conftest import TEST_PASSWORD
from tests.e2e.support import check_accessibility, log_in, screenshot, submit

pytestmark = pytest.mark.e2e

#: Where the report job is held while the test looks at its progress bar (fractions as in app/reports/builder.py).
HOLD_AT = 0.5


@pytest.fixture
def leader_district(make_user, make_building, make_enterprise, make_tax, make_request):
    """Two towers with tax for last month and the same month a year before, and a request."""
    month = Period.previous(clock.now()).month
    leader = make_user(Role.leader, name="Wang Lei", email="wang.lei@jingan.example")
    officer = make_user(Role.officer, name="Zhou Min")
    totals = Decimal("0")
    for n, (tower, tower_zh) in enumerate([("Jing'an Kerry Centre", "静安嘉里中心"), ("Wheelock Square", "会德丰国际广场")]):
        building = make_building(name=tower, name_zh=tower_zh)
        for k in range(2):
            enterprise = make_enterprise(name=f"{tower} Tenant {k + 1} Ltd", building=building, officer=officer,
                                         registered_in_district=True)
            total = Decimal(45_000_000 + 10_000_000 * n + 1_000_000 * k)
            make_tax(enterprise, month, str(total))
            make_tax(enterprise, shift(month, -12), str(total * Decimal("0.9")))
            totals += total
    make_request(by=officer)
    return {"leader": leader, "month": month, "ytd_tax": totals}


def test_leader_dashboard(page, live_server, leader_district):
    if not live_server.has_route("/dashboard"):
        pytest.skip("/dashboard does not exist yet (issue 6, part 1, is being built); this step runs once it does")
    from app.services.summaries import rebuild_tax_summary

    rebuild_tax_summary()  # an import does this; the factories wrote tax records directly
    _db.session.commit()
    log_in(page, leader_district["leader"].email, TEST_PASSWORD)
    nav = page.locator("nav.mainnav a[href^='/dashboard']")
    if nav.count():
        nav.first.click()
    else:
        page.goto("/dashboard")
    assert page.url.split("?")[0].rstrip("/").endswith("/dashboard"), page.url
    page.wait_for_load_state("networkidle")  # charts drawn (the page's own scripts, under the CSP)
    check_accessibility(page, "dashboard")
    screenshot(page, "leader-dashboard")
    # Every link on the dashboard (its tiles open the lists behind the figures) leads to a page.
    links = sorted(set(page.locator("main a[href^='/']").evaluate_all("as => as.map(a => a.getAttribute('href'))")))
    assert links, "the dashboard links to nothing"
    for href in links:
        status = page.request.get(href).status
        assert status == 200, f"{href} answers {status}"


def test_leader_makes_downloads_and_opens_the_monthly_pack(page, leader_district, run_worker, monkeypatch, tmp_path):
    month = leader_district["month"]
    log_in(page, leader_district["leader"].email, TEST_PASSWORD)
    page.locator("nav.mainnav a[href='/reports/']").click()
    check_accessibility(page, "report centre")

    form = page.locator("main form.report-form")
    assert form.locator("#kind").input_value() == "pack"
    assert form.locator("#month").input_value() == month  # last month, already chosen
    submit(form)
    assert re.search(r"/reports/runs/\d+$", page.url), page.url
    bar = page.locator(".run-progress progress")
    assert bar.get_attribute("value") == "0"  # queued: no worker has it yet
    check_accessibility(page, "report run (queued)")

    # A real worker builds it; the job is held half-way until the page has shown that.
    reached, release = threading.Event(), threading.Event()
    set_progress = report_jobs.set_progress

    def held(fraction: float) -> None:
        set_progress(fraction)
        if fraction == HOLD_AT:
            reached.set()
            release.wait(timeout=20)

    monkeypatch.setattr(report_jobs, "set_progress", held)
    worker = run_worker()
    try:
        page.wait_for_function("() => { const p = document.querySelector('.run-progress progress');"
                               f" return p !== null && p.value === {int(HOLD_AT * 100)}; }}")
        assert reached.is_set()
        assert f"{int(HOLD_AT * 100)} %" in page.locator(".run-progress-label").inner_text()
        screenshot(page, "leader-report-progress")
    finally:
        release.set()

    download = page.locator("main a[href$='/download']")
    download.wait_for()  # the page reloads itself when the run is done
    worker.join(timeout=20)
    check_accessibility(page, "report run (done)")
    screenshot(page, "leader-report-done")

    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    print(f"downloaded: {saved}")
    book = openpyxl.load_workbook(saved, read_only=True)
    try:
        assert "Summary" in book.sheetnames, book.sheetnames
        summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True) if row[0]}
    finally:
        book.close()
    assert summary["Total tax (YTD)"] == pytest.approx(float(leader_district["ytd_tax"]))
