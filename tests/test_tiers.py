"""Building tax tiers at their boundaries (pure rule and its SQL twin agree)."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import TaxTier
from app.services.tax import building_tax, tier_case, tier_for


@pytest.mark.parametrize(
    "ytd, month, tier",
    [
        ("300000000.00", "2026-03", TaxTier.monthly_100m),  # exactly 100 m a month on average
        ("299999999.99", "2026-03", TaxTier.annual_100m),
        ("100000000.00", "2026-03", TaxTier.annual_100m),  # exactly 100 m this year
        ("99999999.99", "2026-03", TaxTier.none),
        ("100000000.00", "2026-01", TaxTier.monthly_100m),  # January: one month
        ("1200000000.00", "2026-12", TaxTier.monthly_100m),
    ],
)
def test_tier_boundaries(ytd, month, tier):
    assert tier_for(Decimal(ytd), month) is tier


def test_sql_tier_matches_python_rule(db, make_building, make_enterprise, make_tax):
    cases = {"299999999.99": TaxTier.annual_100m, "300000000.00": TaxTier.monthly_100m, "99999999.99": TaxTier.none}
    ids = {}
    for total, expected in cases.items():
        enterprise = make_enterprise(building=make_building())
        make_tax(enterprise, "2026-03", total)
        make_tax(enterprise, "2025-12", "999999999.00")  # last year never counts
        ids[enterprise.building_id] = expected
    sub = building_tax("2026-03").subquery()
    rows = db.session.execute(select(sub.c.building_id, tier_case(sub.c.ytd_tax, "2026-03"))).all()
    assert {b: TaxTier(t) for b, t in rows} == ids
