"""Factories for visit tests."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import clock
from app.models import Role
from app.services.visits import log_visit


@pytest.fixture
def make_visit(db, make_enterprise, make_user):
    """A visit logged through the service (officers default to one new officer)."""

    def make(enterprise=None, officers=None, visited_on: date | None = None, summary: str = "Met the finance director.",
             by=None):
        officers = officers or [make_user(Role.officer)]
        visit = log_visit(
            enterprise=enterprise or make_enterprise(), visited_on=visited_on or clock.today() - timedelta(days=1),
            officers=officers, summary=summary, by=by or officers[0],
        )
        db.session.commit()
        return visit

    return make
