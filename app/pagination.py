"""Pagination of row queries (several columns per row), reusing Flask-SQLAlchemy's Pagination."""
from __future__ import annotations

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from app.extensions import db
from app.params import page_arg


class RowPagination(Pagination):
    """Like db.paginate, but items are Row tuples rather than the first column only."""

    def _query_items(self) -> list:
        stmt: Select = self._query_args["select"]
        return list(db.session.execute(stmt.limit(self.per_page).offset(self._query_offset)))

    def _query_count(self) -> int:
        stmt: Select = self._query_args["select"]
        return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def paginate_rows(stmt: Select, per_page: int | None = None) -> RowPagination:
    """Page through a multi-column select using ?page= from the request (404 past the end)."""
    return RowPagination(
        page=page_arg(),
        per_page=per_page or current_app.config["PER_PAGE"],
        max_per_page=100,
        error_out=True,
        select=stmt,
    )
