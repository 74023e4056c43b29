"""The report centre: ask for a report, follow its progress, download it; the history of runs."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy.orm import joinedload

from app import clock
from app.auth.forms import ConfirmForm
from app.extensions import db
from app.i18n import current_locale
from app.jobs.reports import INTERRUPTED, enqueue_report
from app.jobs.runs import progress_of, reconcile, status_payload
from app.models import AuditKind, ReportKind, ReportRun
from app.params import page_arg
from app.permissions import REPORTERS, roles_required
from app.report_centre.forms import ReportForm
from app.reports import Period
from app.services import audit
from app.services.reports import ReportRunError, report_path, request_report, retry_report

bp = Blueprint("reports", __name__)
log = logging.getLogger(__name__)


@bp.app_template_global()
def can_use_reports() -> bool:
    """Whether the current user may use the report centre (for the navigation and the home page)."""
    return current_user.is_authenticated and current_user.role in REPORTERS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reconcile(runs: list[ReportRun]) -> None:
    """Fail the unfinished runs whose job is gone (reconcile() gives a new run its enqueue grace); a Redis
    outage leaves them as they are."""
    try:
        if any([reconcile(run, INTERRUPTED) for run in runs if not run.status.finished]):
            db.session.commit()
    except RedisError:
        db.session.rollback()
        log.warning("Redis unreachable: report runs not reconciled")


def _get_run_or_404(run_id: int) -> ReportRun:
    return db.get_or_404(ReportRun, run_id, options=[joinedload(ReportRun.requested_by)])


def _start(run: ReportRun) -> bool:
    """Enqueue a committed run; if the queue is down, delete it again (no orphan queued run) and say so."""
    try:
        enqueue_report(run)
    except RedisError:
        log.exception("Could not enqueue report run %s", run.id)
        db.session.delete(run)
        db.session.commit()
        flash(_("The job queue is not reachable, so no report was started. Try again in a minute; if it persists, "
                "tell the administrator."), "error")
        return False
    return True


@bp.route("/", methods=["GET", "POST"])
@roles_required(REPORTERS)
def index():
    """The report centre: the form to make a report, and the history of runs."""
    form = ReportForm()
    if form.validate_on_submit():
        # The workbook is made in the language of the page it was asked on (the user's choice).
        run = request_report(ReportKind(form.kind.data), form.period, current_user._get_current_object(),
                             locale=current_locale())
        db.session.commit()
        if _start(run):
            return redirect(url_for("reports.run", run_id=run.id))
    elif not form.is_submitted():
        # ?kind=&month= preselect the form (the dashboard's tiles link here with theirs).
        form.month.data = request.args.get("month") or str(Period.previous(clock.now()))
        if request.args.get("kind") in {k.value for k in ReportKind}:
            form.kind.data = request.args["kind"]
    status = 200 if not form.is_submitted() else (422 if form.errors else 503)
    stmt = (
        db.select(ReportRun).options(joinedload(ReportRun.requested_by))
        .order_by(ReportRun.created_at.desc(), ReportRun.id.desc())
    )
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config["PER_PAGE"])
    _reconcile(page.items)
    return render_template("reports/index.html", form=form, page=page, button=ConfirmForm(formdata=None),
                           available={run.id for run in page.items if report_path(run)}), status


@bp.route("/runs/<int:run_id>")
@roles_required(REPORTERS)
def run(run_id: int):
    """One run: its progress bar while it works, then the download or the error (and a retry)."""
    run = _get_run_or_404(run_id)
    _reconcile([run])
    try:
        progress = progress_of(run)
    except RedisError:
        progress = 0
    return render_template("reports/run.html", run=run, progress=progress, path=report_path(run),
                           retry_of=db.session.get(ReportRun, run.retry_of_id) if run.retry_of_id else None,
                           button=ConfirmForm(formdata=None))


@bp.route("/runs/<int:run_id>/status")
@roles_required(REPORTERS)
def status(run_id: int):
    """The run's status as JSON, for its progress bar (a run whose job vanished is failed first)."""
    run = _get_run_or_404(run_id)
    _reconcile([run])
    try:
        return status_payload(run)
    except RedisError:  # the progress bar asks again a little later
        return {"error": _("The job queue is not reachable.")}, 503


@bp.route("/runs/<int:run_id>/download")
@roles_required(REPORTERS)
def download(run_id: int):
    """The finished workbook (only a done run whose file is there), recorded in the audit log."""
    run = _get_run_or_404(run_id)
    path = report_path(run)
    if path is None:
        abort(404)
    with force_locale("en"):  # the audit log is stored text, in English
        detail = f"Report {run.kind.label} {run.period} (run {run.id})"
    audit.record(AuditKind.download, detail=detail)
    db.session.commit()
    response = send_file(path, mimetype=XLSX, as_attachment=True, download_name=run.download_name,
                         max_age=0, conditional=False, etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/runs/<int:run_id>/retry", methods=["POST"])
@roles_required(REPORTERS)
def retry(run_id: int):
    """Make a failed run again, as a new run (the failed one stays in the history)."""
    failed = _get_run_or_404(run_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        run = retry_report(failed, current_user._get_current_object(), locale=current_locale())
    except ReportRunError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("reports.run", run_id=failed.id))
    db.session.commit()
    if not _start(run):
        return redirect(url_for("reports.run", run_id=failed.id))
    flash(_("Run %(failed)d is being made again as run %(run)d.", failed=failed.id, run=run.id), "success")
    return redirect(url_for("reports.run", run_id=run.id))
