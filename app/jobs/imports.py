"""Web imports on the queue: the upload is validated and applied by a job, with a progress bar.

A file with any row error changes nothing: the run ends *done* with `error_count` > 0 (shown as
"Rejected") and an error sheet to download. A file that cannot be read at all (wrong type, empty,
missing columns) *fails* the run with the reason, without retries: it would fail the same way.
"""
from __future__ import annotations

from app.extensions import db
from app.jobs.runs import JOB_TIMEOUT, RESULT_TTL, RETRY, JobFailure, files_kept_if_done, set_progress, tracked_run
from app.models import ImportKind, ImportRun
from app.queue import get_queue
from app.services.import_files import discard, path_of, save_error_sheet
from app.services.imports import ImportFileError, import_enterprises, import_tax

SERVICES = {ImportKind.tax: import_tax, ImportKind.enterprises: import_enterprises}
#: Why a run fails when the work horse of its previous attempt died: an import's memory grows with
#: the file, so a file that killed one work horse is not tried again.
INTERRUPTED = "The worker stopped while importing this file (it may be too large)."


def enqueue_import(run: ImportRun) -> None:
    """Put a committed run's job on the queue, under the job id its row already has."""
    get_queue().enqueue(
        run_import, run.id, job_id=run.job_id, retry=RETRY, job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
        description=f"Import {run.kind.value} from {run.filename}",
    )


def run_import(run_id: int) -> dict:
    """Validate an uploaded import file and apply it, or write its error sheet and change nothing; the upload
    is deleted once the run has ended (kept while a retry is pending)."""
    with files_kept_if_done() as written, \
            tracked_run(ImportRun, run_id, interrupted=INTERRUPTED, ended=discard) as run:
        path = path_of(run.stored_name)
        if not path.is_file():
            raise JobFailure("The uploaded file is no longer on the server; upload it again.")
        try:
            result = SERVICES[run.kind](path, run.filename, progress=set_progress)
        except ImportFileError as exc:
            raise JobFailure(str(exc)) from exc
        if result.errors:
            db.session.rollback()  # nothing was written, but the import must leave no trace at all
            save_error_sheet(run, result.errors)
            written.append(path_of(run.error_file))
        else:
            run.rows = result.inserted + result.updated + result.unchanged
            run.inserted, run.updated, run.unchanged = result.inserted, result.updated, result.unchanged
        run.error_count = len(result.errors)
        # tracked_run commits the import together with the counts and status "done".
        return {"errors": run.error_count, "inserted": run.inserted, "updated": run.updated,
                "unchanged": run.unchanged}
