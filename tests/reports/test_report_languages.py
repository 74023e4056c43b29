"""Reports in the requester's language: a Chinese workbook has Chinese sheets, headers, notes and cover,
while its Summary keeps the English indicator keys and the very same values; the report centre makes a
run in the language of whoever asked; `flask report --lang`; the automatic monthly pack is English.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from io import BytesIO

import openpyxl
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app import clock
from app.models import ReportKind, ReportRun, Role
from app.reports import build_report
from app.services import reports as service
from tests.reports.test_report_figures import risk_data, tax_data  # noqa: F401 (fixtures)

ZH = "zh_Hans_CN"
PROBE = "Tax by building"  # a report string: translated once the catalogue has the reports' strings
CJK = re.compile(r"[\u4e00-\u9fff]")
FORBIDDEN = set('[]:*?/\\')
SUMMARY_KEYS = [
    "Total tax (month)", "Total tax (YTD)", "District tax (YTD)", "YoY growth (YTD)", "Monthly-100m buildings",
    "Annual-100m buildings", "Headquarters share (YTD)", "Active enterprises", "Stability rate", "Move-ins (YTD)",
    "Move-outs (YTD)", "At-risk enterprises", "Requests received", "Responded on time", "On site on time",
    "Solved or plan on time", "Breaches", "Open at month end", "Open and overdue", "Satisfaction rate",
]


@pytest.fixture(autouse=True)
def thaw():
    yield
    clock.freeze(None)


def _catalogue_translates(app) -> bool:
    with app.app_context(), force_locale(ZH):
        return gettext(PROBE) != PROBE


@pytest.fixture
def chinese(app):
    """The reports' strings must be in the Chinese catalogue (app/translations): a missing one fails here."""
    assert _catalogue_translates(app), f"{PROBE!r} has no Chinese translation: run make translations"


def build(kind: str, locale: str | None = None, period: str = "2026-03"):
    buffer = BytesIO()
    build_report(kind, period, buffer, **({"locale": locale} if locale else {}))
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def rows(book, sheet: str) -> list[tuple]:
    return list(book[sheet].iter_rows(values_only=True))


def summary(book) -> dict:
    table = rows(book, "Summary")
    assert table[0] == ("Indicator", "Value")
    return dict(table[1:])


def cells(book, sheet: str) -> list[str]:
    return [c for row in rows(book, sheet) for c in row if isinstance(c, str)]


def test_a_chinese_pack_keeps_the_summary_keys_and_values(chinese, tax_data, risk_data):
    english, chinese_book = build("pack"), build("pack", ZH)

    assert list(summary(chinese_book)) == list(summary(english)) == SUMMARY_KEYS
    assert summary(chinese_book) == summary(english)
    for row in range(2, len(SUMMARY_KEYS) + 2):  # the same number formats (¥, %)
        assert chinese_book["Summary"].cell(row, 2).number_format == english["Summary"].cell(row, 2).number_format
    assert chinese_book["Summary"]["B3"].number_format == '"¥"#,##0.00'


def test_a_chinese_pack_has_chinese_sheets_headers_and_notes(chinese, tax_data, risk_data):
    english, book = build("pack"), build("pack", ZH)

    names = book.sheetnames
    assert names[:2] == ["封面", "Summary"] and len(names) == len(english.sheetnames) == len(set(names))
    for name in names:
        assert len(name) <= 31 and not FORBIDDEN & set(name)
        if name != "Summary":
            assert CJK.search(name), name
    assert {"楼宇税收", "税收图表", "预警企业", "51530按时率", "逾期未办结"} <= set(names)
    # Every sheet's header row is Chinese, only the Summary's stays as it is.
    for name in names[2:]:
        if name == "税收图表":
            continue  # charts and their titles
        header = [c for c in rows(book, name)[0] if c]
        assert header and all(CJK.search(h) or h.startswith("51530") for h in header), (name, header)
    buildings = {r[1]: dict(zip(rows(book, "楼宇税收")[0], r)) for r in rows(book, "楼宇税收")[1:]}
    assert buildings["Alpha Tower"]["排名"] == 1 and buildings["Alpha Tower"]["等级"] == "月亿楼"
    assert buildings["Alpha Tower"]["累计税收"] == pytest.approx(300000000.0)
    assert "（未登记楼宇）" in buildings
    assert "2026-03 税收" in rows(book, "楼宇税收")[0]
    at_risk = {r[0]: dict(zip(rows(book, "预警企业")[0], r)) for r in rows(book, "预警企业")[1:]}
    assert at_risk["Down Thirty"]["税收同比下降 ≥ 30 %（连续 3 个月）"] == "是"
    assert "最近 3 个月税收均同比下降（2026-01 −30.0 %" in at_risk["Down Thirty"]["原因"]
    assert at_risk["Key Visited 180 Days Ago"]["原因"] == "区级重点企业 180 天未走访（上次走访 2025-10-02）"
    assert "（从未走访）" in at_risk["Key Visited Only In April"]["原因"]
    assert at_risk["Late And Open"]["原因"].startswith("1 件未办结诉求已超时（")
    assert cells(book, "迁入企业") == [*rows(book, "迁入企业")[0], "本年截至月末没有企业迁入。"]


def test_a_chinese_cover_names_and_defines_every_indicator_in_chinese(chinese, tax_data):
    book = build("pack", ZH)
    cover = rows(book, "封面")

    assert cover[0][0] == "月度报表包：税收、企业稳定与服务 — 2026-03"
    labels = {r[0]: r[1] for r in cover if r[0]}
    assert labels["期间"] == "2026-03" and labels["生成时间"].endswith("（上海时间）")
    assert labels["制作单位"] == "商务楼宇管家 — 静安寺街道"
    heading = cover.index(("指标", "定义", "Summary 表中的指标名（英文）"))
    indicators = {r[2]: (r[0], r[1]) for r in cover[heading + 1:]}
    assert list(indicators) == SUMMARY_KEYS  # each indicator with its English key
    for key, (name, definition) in indicators.items():
        assert CJK.search(name) and CJK.search(definition) and name != key, key
    assert indicators["Stability rate"][0] == "稳定率"
    assert indicators["Total tax (YTD)"] == ("税收总额（累计）", "1 月至当月（含）缴纳的税收总额（元）。")
    notes = [r[1] for r in cover if r[0] == "说明"]
    assert any(n.startswith("2026-03 未受理任何诉求") for n in notes)  # no requests in this data
    sheets = [r[1] for r in cover[cover.index(("工作表", None, None)) + 1:heading - 1]]
    assert sheets == book.sheetnames[1:]


def test_an_english_workbook_is_the_default_and_has_no_key_column(tax_data):
    book = build("tax")
    assert book.sheetnames[:3] == ["Cover", "Summary", "Tax by building"]
    cover = rows(book, "Cover")
    assert ("Indicator", "Definition") in [r[:2] for r in cover]
    assert all(len([c for c in r if c is not None]) <= 2 for r in cover)
    assert build("tax", "xx").sheetnames == book.sheetnames  # an unknown locale is English


def test_every_sheet_name_is_valid_in_every_language(chinese, db):
    for locale in ("en", ZH):
        for kind in ("tax", "retention", "service", "pack"):
            names = build(kind, locale, "2031-07").sheetnames
            assert len(names) == len(set(names)) and "Summary" in names
            assert all(len(n) <= 31 and not FORBIDDEN & set(n) for n in names)


# --------------------------------------------------------------------------- the report centre, the job, the CLI

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 on 2 March in Shanghai: last month is 2026-02


def submit(browser, kind="pack", month="2026-02"):
    return browser.post("/reports/", {"kind": kind, "month": month}, token_from="/reports/")


def test_a_run_asked_for_in_chinese_is_made_in_chinese(chinese, app, browser, login_as, db, report_folder, work):
    clock.freeze(T0)
    login_as(Role.leader, locale=ZH)
    assert submit(browser).status_code == 302
    run = db.session.scalars(select(ReportRun)).one()
    assert run.locale == ZH

    assert work() is True

    db.session.expire_all()
    book = openpyxl.load_workbook(report_folder / run.stored_name)
    assert book.sheetnames[:3] == ["封面", "Summary", "楼宇税收"]
    assert list(summary(book)) == SUMMARY_KEYS
    assert rows(book, "封面")[0][0] == "月度报表包：税收、企业稳定与服务 — 2026-02"


def test_a_run_is_made_in_the_language_of_whoever_asks(app, browser, login_as, db):
    clock.freeze(T0)
    login_as(Role.chief)  # never chose: the page's language, English here
    assert submit(browser, "tax").status_code == 302
    assert db.session.scalars(select(ReportRun)).one().locale == "en"
    chinese_user = login_as(Role.leader, locale=ZH)
    run = service.request_report(ReportKind.tax, service.check_period("2026-02"),
                                 chinese_user)  # outside the report centre: the user's saved language
    assert run.locale == ZH
    db.session.rollback()


def test_the_automatic_monthly_pack_is_english(db):
    clock.freeze(T0)
    run = service.start_scheduled_pack("2026-02")
    assert run.locale == "en" and run.requested_by is None
    db.session.rollback()


@pytest.fixture
def cli(app):
    return lambda *args: app.test_cli_runner().invoke(args=["report", *args])


def cli_cover(cli, out, *lang) -> str:
    result = cli("service", "2026-02", "--out", str(out), *lang)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    names = book.sheetnames
    book.close()
    assert names[1] == "Summary"
    return names[0]


def test_the_report_command_is_english_by_default(cli, tmp_path, db):
    assert cli_cover(cli, tmp_path / "default.xlsx") == "Cover"
    assert cli_cover(cli, tmp_path / "en.xlsx", "--lang", "en") == "Cover"
    result = cli("service", "2026-02", "--out", str(tmp_path / "x.xlsx"), "--lang", "fr")
    assert result.exit_code == 2 and "Invalid value for '--lang'" in result.output


def test_the_report_command_makes_a_chinese_workbook(chinese, cli, tmp_path, db):
    assert cli_cover(cli, tmp_path / "zh.xlsx", "--lang", ZH) == "封面"
