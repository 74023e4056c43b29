"""Ids and page numbers from URLs, kept inside the database's integer range.

An id or page number too big for the database (SQLite: OverflowError; PostgreSQL: "out of
range") must be a 404 or an ignored filter, never a 500.
"""
from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: Primary keys are INTEGER (PostgreSQL: 32-bit signed).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in routes, bounded by MAX_ID: a bigger number matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 (Werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def id_arg(name: str) -> int | None:
    """A positive id from the query string, or None when absent, not a number or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def page_arg() -> int:
    """?page= as a page number; not a number, below 1 or absurdly large: 404 (as past the end)."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    try:
        page = int(raw)
    except ValueError:
        abort(404)
    if not 1 <= page <= MAX_ID:
        abort(404)
    return page


def refuse_nul_bytes() -> None:
    """before_request: a NUL byte anywhere in the query string or form is a 400.

    No browser sends one from a form, and PostgreSQL refuses text holding one (a DataError, so a
    500) whether it is to be stored or only compared, as in a search.
    """
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def list_args() -> dict:
    """This request's query string plus its URL parameters, for pager and sort links.

    Keys url_for() treats as its own (`_external`, `_scheme`, `_anchor`, `_method`, `endpoint`)
    are dropped: passed through from the query string they crash url_for or change the link.
    The URL's own parameters win over query-string keys of the same name.
    """
    args = {k: v for k, v in request.args.items() if not k.startswith("_") and k != "endpoint"}
    args.update(request.view_args or {})
    return args
