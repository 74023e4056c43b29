"""Money, numbers and times in each language, always in Asia/Shanghai."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.formatting import day, local_time, money, money_m, names, number

ZH = "zh_Hans_CN"
UTC_EVENING = datetime(2026, 11, 27, 10, 3, 9, tzinfo=timezone.utc)  # 18:03:09 in Shanghai


@pytest.mark.parametrize("locale", ["en", ZH])
def test_money_and_numbers_read_the_same_in_both_languages(app, locale):
    with force_locale(locale):
        assert money(Decimal("1234.56")) == "¥1,234.56"
        assert money(Decimal("1234567.125")) == "¥1,234,567.12"  # banker's rounding, as before, from the Decimal
        assert money(Decimal("-1234.5")) == "-¥1,234.50"
        assert money(Decimal("-0.001")) == "¥0.00"
        assert money(12, places=0) == "¥12"
        assert money(None) == "—"
        assert number(1234567) == "1,234,567"
        assert number(Decimal("0.5"), places=2) == "0.50"
        assert number(None) == "—"


def test_large_totals_in_millions_in_english_and_wan_in_chinese(app):
    with force_locale("en"):
        assert money_m(Decimal("123456789")) == "¥123.46 m"
    with force_locale(ZH):
        assert money_m(Decimal("123456789")) == "¥12,345.68 万"
        assert money_m(None) == "—"


@pytest.mark.parametrize("locale", ["en", ZH])
def test_times_are_shown_in_shanghai_iso_like(app, locale):
    with force_locale(locale):
        assert local_time(UTC_EVENING) == "2026-11-27 18:03"
        assert local_time(UTC_EVENING, "yyyy-MM-dd HH:mm:ss") == "2026-11-27 18:03:09"
        assert local_time(UTC_EVENING, "%Y-%m-%d %H:%M:%S") == "2026-11-27 18:03:09"  # the older strftime form
        assert local_time(UTC_EVENING, "%m-%d %H:%M") == "11-27 18:03"
        assert local_time(None) == "—"
        assert day(date(2026, 1, 5)) == "2026-01-05"


def test_named_styles_follow_the_language(app):
    with force_locale("en"):
        assert local_time(UTC_EVENING, "medium") == "Nov 27, 2026, 6:03:09\u202fPM"
    with force_locale(ZH):
        assert local_time(UTC_EVENING, "medium") == "2026年11月27日 18:03:09"


def test_without_a_locale_it_is_english(app):
    assert money_m(Decimal("2000000")) == "¥2.00 m"
    assert local_time(UTC_EVENING) == "2026-11-27 18:03"


def test_names_are_listed_in_the_readers_language(app):
    with app.test_request_context():
        assert names(["Li Na", "Wang Lei", "Zhou Ting"]) == "Li Na, Wang Lei, and Zhou Ting"
        assert names(["Li Na"]) == "Li Na" and names([]) == ""
        with force_locale(ZH):
            assert names(["李娜", "王磊", "周婷"]) == "李娜、王磊和周婷"
            assert names(["李娜", "王磊"]) == "李娜和王磊"
