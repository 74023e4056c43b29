"""Web imports of tax records and enterprises (officers, chiefs, admins): upload, progress, result, history."""
from __future__ import annotations

import io
import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.imports import spreadsheets
from app.imports.forms import KIND_LABELS, ImportForm, size_text
from app.jobs.imports import INTERRUPTED, enqueue_import
from app.jobs.runs import progress_of, reconcile, status_payload
from app.models import AuditKind, ImportKind, ImportRun, RunStatus
from app.params import page_arg
from app.permissions import EDITORS, roles_required
from app.services import audit, import_files

bp = Blueprint("imports", __name__)

#: Errors listed on a rejected run's page; the error sheet has them all.
ERRORS_SHOWN = 50
#: Stored on the run (in English, as stored text is) and flashed in the reader's language.
QUEUE_DOWN = ("The import could not be started: the job queue is not answering. Nothing was imported; "
              "try again in a few minutes, and tell the administrator if it keeps happening.")


def _reconcile(run: ImportRun) -> None:
    """Fail a run whose job vanished or never appeared (commits if so) and delete its upload: nothing
    will import it any more."""
    if reconcile(run, INTERRUPTED):
        db.session.commit()
        import_files.discard(run)


def _refresh(run: ImportRun) -> int:
    """Catch up with a run whose job vanished (commits if so); its progress in percent."""
    try:
        _reconcile(run)
        return progress_of(run)
    except RedisError:  # the queue is down: show what the database knows
        return 0


@bp.route("/", methods=["GET", "POST"])
@roles_required(EDITORS)
def index():
    """Upload a file to import, download the templates, and the history of imports."""
    form = ImportForm()
    if form.validate_on_submit():
        by = current_user._get_current_object()
        run = import_files.save_upload(ImportKind(form.kind.data), form.file.data, by=by)
        try:
            db.session.commit()
        except BaseException:
            db.session.rollback()
            import_files.discard(run)
            raise
        try:
            enqueue_import(run)
        except RedisError:
            current_app.logger.exception("import run %s could not be queued", run.id)
            run.status, run.error, run.finished_at = RunStatus.failed, QUEUE_DOWN, clock.now()
            import_files.discard(run)
            db.session.commit()
            flash(_("The import could not be started: the job queue is not answering. Nothing was imported; "
                    "try again in a few minutes, and tell the administrator if it keeps happening."), "error")
            return redirect(url_for("imports.index"))
        return redirect(url_for("imports.run", run_id=run.id))
    history = db.paginate(
        select(ImportRun).options(joinedload(ImportRun.requested_by))
        .order_by(ImportRun.created_at.desc(), ImportRun.id.desc()),
        page=page_arg(), per_page=current_app.config["PER_PAGE"], error_out=True,
    )
    for run in history.items:
        if not run.status.finished:
            _refresh(run)
    status = 422 if form.errors else 200
    limit = size_text(current_app.config["MAX_IMPORT_BYTES"])
    return render_template("imports/index.html", form=form, history=history, kinds=KIND_LABELS,
                           columns=spreadsheets.COLUMNS, limit=limit), status


@bp.errorhandler(413)
def too_large(error):
    """A request bigger than MAX_CONTENT_LENGTH is refused before the form sees it: say what the limit is."""
    message = _("The file is larger than the %(limit)s an import may be; split it into smaller files (for example "
                "one per month) and import them one after another.",
                limit=size_text(current_app.config["MAX_IMPORT_BYTES"]))
    return render_template("errors/error.html", code=413, title=_("Too large"), message=message), 413


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _template(kind: str, suffix: str, data, mimetype: str):
    try:
        found = ImportKind(kind)
    except ValueError:
        abort(404)
    return send_file(io.BytesIO(data(found)), mimetype=mimetype, as_attachment=True,
                     download_name=spreadsheets.template_name(found, suffix), max_age=0)


@bp.route("/templates/<kind>.xlsx")
@roles_required(EDITORS)
def template_xlsx(kind: str):
    """The empty .xlsx template of an import: the header row, and a Notes sheet on every column."""
    return _template(kind, "xlsx", spreadsheets.template_xlsx, XLSX_TYPE)


@bp.route("/templates/<kind>.csv")
@roles_required(EDITORS)
def template_csv(kind: str):
    """The empty .csv template of an import: the header row."""
    return _template(kind, "csv", spreadsheets.template_csv, "text/csv")


def _get_run_or_404(run_id: int) -> ImportRun:
    """Any editor may see every import: the data is district-wide."""
    return db.first_or_404(select(ImportRun).options(joinedload(ImportRun.requested_by)).where(ImportRun.id == run_id))


@bp.route("/runs/<int:run_id>")
@roles_required(EDITORS)
def run(run_id: int):
    """One import: its progress while it runs, then its counts, its errors or why it failed."""
    found = _get_run_or_404(run_id)
    progress = _refresh(found)
    errors = import_files.read_errors(found, ERRORS_SHOWN) if found.error_count else None
    return render_template("imports/run.html", run=found, progress=progress, errors=errors, kinds=KIND_LABELS,
                           size=size_text(found.size))


@bp.route("/runs/<int:run_id>/status")
@roles_required(EDITORS)
def status(run_id: int):
    """The run's status as JSON, for the progress bar (503 while the queue does not answer)."""
    found = _get_run_or_404(run_id)
    try:
        _reconcile(found)
        return status_payload(found)
    except RedisError:
        return {"error": _("The job queue is not answering.")}, 503


@bp.route("/runs/<int:run_id>/errors.xlsx")
@roles_required(EDITORS)
def error_sheet(run_id: int):
    """Download the full error sheet of a rejected import (row, column, reason)."""
    found = _get_run_or_404(run_id)
    if not found.error_file:
        abort(404)
    path = import_files.path_of(found.error_file)
    if not path.is_file():
        abort(404)
    audit.record(AuditKind.download, detail=f"Error sheet of import {found.id} ({found.filename})")
    db.session.commit()
    stem = os.path.splitext(found.filename)[0] or "import"
    response = send_file(path, mimetype=XLSX_TYPE, as_attachment=True, download_name=f"{stem}-errors.xlsx",
                         max_age=0, conditional=False, etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response
